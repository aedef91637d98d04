"""/healthz is a real check that stays cheap, reports the database and the cache apart, and a database or
cache outage degrades the site (503 with Retry-After, or uncached pages) instead of breaking it."""

import gc
import importlib
import sys
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.db import connections
from django.db.utils import load_backend
from django.test import Client, override_settings

from acclab.settings import redis_cache
from plans import cache, health

DOWNLOADS = [f"/plans/download.{ext}" for ext in ("csv", "xlsx", "json", "geojson", "zip")]
CLOSED_PORT = 1  # nothing listens on port 1 of the loopback: connections are refused at once


def test_it_answers_ok_with_one_query(db, client, django_assert_num_queries):
    health.check_migrations()  # once per process, at start-up in production
    with django_assert_num_queries(1):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "cache": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_it_reports_unapplied_migrations(db, client, monkeypatch):
    monkeypatch.setattr(health, "_unapplied", 2)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "2 unapplied migrations"


def test_it_finds_no_unapplied_migrations_on_a_migrated_database(db, monkeypatch):
    monkeypatch.setattr(health, "_unapplied", None)
    assert health.check_migrations() == 0


# ------------------------------------------------------------------ cache outage


@pytest.fixture
def redis_down(monkeypatch):
    """The production cache backend pointed at a port where no Redis listens."""
    monkeypatch.setattr(cache.RedisCache, "down_until", 0.0)
    down = redis_cache(f"redis://127.0.0.1:{CLOSED_PORT}/0")
    with override_settings(CACHES={**settings.CACHES, "default": down}):  # the header's fragments stay local
        yield


@pytest.mark.parametrize("url", ["/", "/plans/", "/plans/?q=water", "/map/", "/map/pins.json", "/stats/"])
def test_it_serves_pages_uncached_while_the_cache_is_down(client, plan_factory, redis_down, url):
    plan = plan_factory(title="Water kiosks", status="published")
    for _ in range(2):
        response = client.get(url)
        assert response.status_code == 200
        assert response["X-Cache"] == "miss"
    assert client.get(plan.get_absolute_url()).status_code == 200
    assert client.get("/api/plans/", HTTP_ACCEPT="application/json").json()["count"] == 1


def test_it_says_the_cache_is_down_but_the_site_serves(db, client, redis_down):
    health.check_migrations()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "cache": "down"}


def test_it_tries_the_cache_again_after_a_failure(db, client, redis_down, monkeypatch):
    client.get("/")
    assert cache.RedisCache.down_until > 0  # the failure was noticed, and the cache is skipped for a while
    monkeypatch.setattr(cache, "RETRY_SECONDS", 0)
    cache.RedisCache.down_until = 0.0  # the pause is over: the next request tries Redis again
    local = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    with override_settings(CACHES={**settings.CACHES, "default": local}):
        client.get("/")
        assert client.get("/")["X-Cache"] == "hit"


# ------------------------------------------------------------------ database outage


@contextmanager
def unreachable_database():
    """The default connection replaced by a real one to a database that cannot be reached: PostgreSQL on a
    closed port, SQLite in a directory that does not exist. The test's own connection is put back after."""
    original = connections["default"]
    settings = dict(original.settings_dict)
    if original.vendor == "sqlite":
        settings["NAME"] = "/nonexistent/directory/db.sqlite3"
    else:
        settings.update(HOST="127.0.0.1", PORT=str(CLOSED_PORT))
    connections["default"] = load_backend(settings["ENGINE"]).DatabaseWrapper(settings, "default")
    try:
        yield
    finally:
        connections["default"].close()
        connections["default"] = original


@pytest.fixture
def database_down(db):
    with unreachable_database():
        yield


@pytest.mark.parametrize(
    "url",
    ["/", "/plans/", "/plans/some-plan/", "/map/", "/map/pins.json", "/stats/", "/api/plans/", *DOWNLOADS],
)
def test_it_answers_503_with_retry_after_while_the_database_is_down(db, client, database_down, url):
    response = client.get(url)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "no-cache" in response["Cache-Control"]
    if not url.startswith(("/api/", "/plans/download")):
        assert "The site is back in a moment" in response.content.decode()


def test_it_says_the_database_is_down(db, client, database_down):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "down: OperationalError"
    assert response["Retry-After"] == "30"


def test_it_serves_again_as_soon_as_the_database_is_back(client, plan_factory):
    plan_factory(title="Water kiosks", status="published")
    with unreachable_database():
        assert client.get("/plans/").status_code == 503
    response = client.get("/plans/")
    assert response.status_code == 200
    assert "Water kiosks" in response.content.decode()


def test_it_answers_503_to_a_signed_in_reader_too(reviewer):
    client = Client(raise_request_exception=False)  # the error reaches Django's handler: it is logged
    client.force_login(reviewer)  # the session is read from the database, in a middleware
    with unreachable_database():
        response = client.get("/plans/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "The site is back in a moment" in response.content.decode()


def test_it_starts_a_worker_while_the_database_is_down_and_checks_migrations_later(db, client, monkeypatch):
    # A worker that fails to boot makes gunicorn stop altogether: a worker restarted during an outage must
    # start, and /healthz checks the migrations once the database answers.
    monkeypatch.setattr(health, "_unapplied", None)
    with unreachable_database():
        health.check_migrations_at_start()
        assert health._unapplied is None
        assert client.get("/healthz").status_code == 503
    assert client.get("/healthz").json() == {"database": "ok", "cache": "ok"}
    assert health._unapplied == 0


@pytest.mark.django_db
def test_it_leaves_what_a_worker_loads_at_start_up_out_of_garbage_collection():
    sys.modules.pop("acclab.wsgi", None)
    try:
        importlib.import_module("acclab.wsgi")
        # Every object tracked then (modules, classes, functions, URL patterns) is left out of collections.
        assert gc.get_freeze_count() > 10_000
        assert "plans.views" in sys.modules
    finally:
        gc.unfreeze()
