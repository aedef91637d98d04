"""Fair use of the API: a published anonymous rate limit with X-RateLimit-* headers and 429 + Retry-After,
counted in the shared cache so that two worker processes agree; API keys made, listed and revoked on the
account page for a higher limit; revoked and malformed keys refused."""

import re
import time
import urllib.error
import urllib.request

import pytest
from django.urls import reverse

from plans.models import APIKey
from tests.servers import gunicorn_servers, manage, server_env

API = reverse("api:plan-list")


def steady_window():
    """Counts are per fixed window (an hour here): start well inside one, so that none rolls over."""
    if time.time() % 3600 > 3590:
        time.sleep(3600 - time.time() % 3600 + 0.5)


@pytest.fixture
def limited(settings, plan_factory):
    settings.API_ANON_RATE = "3/hour"
    settings.API_KEY_RATE = "5/hour"
    plan_factory(title="Open plan", status="published")
    steady_window()


def test_an_anonymous_client_over_the_limit_is_told_how_long_to_wait(client, limited):
    for remaining in (2, 1, 0):
        response = client.get(API)
        assert response.status_code == 200
        assert response["X-RateLimit-Limit"] == "3"
        assert response["X-RateLimit-Remaining"] == str(remaining)
        assert 0 < int(response["X-RateLimit-Reset"]) <= 3600
    # The second and third answers came from the page cache: they counted all the same.
    refused = client.get(API)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert refused["X-RateLimit-Remaining"] == "0"
    assert "throttled" in refused.json()["detail"].lower()
    # Every part of the API shares the count; the public site does not.
    assert client.get(reverse("api:tags", kwargs={"vocabulary": "methods"})).status_code == 429
    assert client.get(reverse("api:plan-detail", kwargs={"slug": "open-plan"})).status_code == 429
    assert client.get(reverse("plans:list")).status_code == 200
    # Another address has its own count.
    assert client.get(API, REMOTE_ADDR="10.0.0.2").status_code == 200


def test_a_key_gives_its_own_higher_limit_and_a_revoked_key_is_refused(client, limited, reviewer):
    key_row, key = APIKey.make(reviewer, "harvester")
    for _n in range(3):
        client.get(API)
    assert client.get(API).status_code == 429
    for remaining in range(4, -1, -1):
        response = client.get(API, HTTP_X_API_KEY=key)
        assert response.status_code == 200 and response["X-RateLimit-Limit"] == "5"
        assert response["X-RateLimit-Remaining"] == str(remaining)
    assert client.get(API, HTTP_AUTHORIZATION=f"Api-Key {key}").status_code == 429
    key_row.refresh_from_db()
    assert key_row.last_used_at is not None
    key_row.revoke()
    refused = client.get(API, HTTP_X_API_KEY=key)
    assert refused.status_code == 401
    assert refused.json() == {"detail": "This API key is unknown or has been revoked."}
    assert refused["WWW-Authenticate"] == 'Api-Key realm="api"'


@pytest.mark.parametrize("key", ["nonsense", "acl_00000000_xxxx", "acl__", "acl_abc_def_ghi", "é" * 20])
def test_an_unknown_or_malformed_key_is_refused_not_served_as_anonymous(client, limited, reviewer, key):
    _row, real = APIKey.make(reviewer, "real")
    forged = real[:-1] + ("A" if real[-1] != "A" else "B")
    for attempt in (key, forged):
        response = client.get(API, HTTP_X_API_KEY=attempt)
        assert response.status_code == 401, attempt


def test_a_cache_that_does_not_answer_lets_requests_through(client, limited, monkeypatch):
    from django.core.cache import cache

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "incr", down)
    assert all(client.get(API).status_code == 200 for _n in range(5))


def test_the_schema_documents_the_limit_the_headers_and_the_key(client, limited, settings):
    settings.API_ANON_RATE = "1000/hour"
    schema = client.get(reverse("api:schema"), {"format": "json"}).json()
    operation = schema["paths"]["/api/plans/"]["get"]
    assert set(operation["responses"]["429"]["headers"]) >= {"Retry-After", "X-RateLimit-Remaining"}
    assert "X-RateLimit-Limit" in operation["responses"]["200"]["headers"]
    assert "401" in operation["responses"]
    assert schema["components"]["securitySchemes"]["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "An API key made on your account page: a higher rate limit.",
    }


# ------------------------------------------------------------------ the account page


def test_a_registered_person_makes_lists_and_revokes_keys(client, focal_point, reviewer):
    page = reverse("account:api-keys")
    assert client.get(page).url.startswith(reverse("admin:login"))
    client.force_login(focal_point)
    made = client.post(page, {"name": "My notebook"})
    key = made.context["new_key"]
    assert re.fullmatch(r"acl_[0-9a-f]{8}_[A-Za-z0-9_-]{32}", key)
    assert key in made.content.decode()
    listed = client.get(page).content.decode()
    assert "My notebook" in listed and key not in listed  # shown once
    row = APIKey.objects.get(user=focal_point)
    assert row.digest != key and key not in row.digest
    assert client.get(API, HTTP_X_API_KEY=key).status_code == 200

    # Another person cannot see or revoke it.
    client.force_login(reviewer)
    assert "My notebook" not in client.get(page).content.decode()
    assert client.post(reverse("account:revoke-api-key", kwargs={"pk": row.pk})).status_code == 404
    assert client.get(API, HTTP_X_API_KEY=key).status_code == 200

    client.force_login(focal_point)
    assert client.get(reverse("account:revoke-api-key", kwargs={"pk": row.pk})).status_code == 405
    response = client.post(reverse("account:revoke-api-key", kwargs={"pk": row.pk}), follow=True)
    assert "is revoked" in response.content.decode() and "Revoked on" in response.content.decode()
    assert client.get(API, HTTP_X_API_KEY=key).status_code == 401


def test_the_account_page_refuses_an_empty_name_and_too_many_keys(client, focal_point):
    client.force_login(focal_point)
    page = reverse("account:api-keys")
    assert "Give the key a name" in client.post(page, {"name": "  "}).content.decode()
    for n in range(10):
        APIKey.make(focal_point, f"key {n}")
    response = client.post(page, {"name": "one too many"})
    assert response.context["new_key"] is None and "revoke one first" in response.content.decode()
    assert APIKey.objects.filter(user=focal_point).count() == 10


def test_a_deactivated_persons_keys_stop_working(client, focal_point):
    _row, key = APIKey.make(focal_point, "script")
    focal_point.is_active = False
    focal_point.save()
    assert client.get(API, HTTP_X_API_KEY=key).status_code == 401


# ------------------------------------------------------------------ two workers, one count


def fetch(url: str, headers=None) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=20) as r:
            r.read()
            return r.status, dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers)


REDIS_DB = 13  # this test's own Redis database


@pytest.fixture
def two_workers(tmp_path):
    import redis

    store = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    try:
        store.ping()
    except redis.ConnectionError:
        pytest.fail("this test needs Redis on 127.0.0.1:6379")
    for name in store.scan_iter("*throttle:*"):
        store.delete(name)
    env = server_env(
        tmp_path / "db.sqlite3",
        REDIS_URL=f"redis://127.0.0.1:6379/{REDIS_DB}",
        API_ANON_RATE="4/hour",
        API_KEY_RATE="6/hour",
    )
    manage(env, "migrate", "--no-input")
    key = manage(
        env,
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model\nfrom plans.models import APIKey, Plan\n"
        "user = get_user_model().objects.create_user('harvester', 'h@example.org', 'pw')\n"
        "Plan.objects.create(title='Open plan', status='published')\n"
        "print(APIKey.make(user, 'mirror')[1])",
    ).split()[-1]
    try:
        with gunicorn_servers(env) as bases:
            steady_window()
            yield bases, key, lambda code: manage(env, "shell", "-c", code)
    finally:
        for name in store.scan_iter("*throttle:*"):
            store.delete(name)


def test_two_workers_sharing_the_cache_count_one_limit(two_workers):
    bases, key, run = two_workers
    answers = [fetch(bases[n % 2] + API) for n in range(6)]
    assert [status for status, _h in answers] == [200, 200, 200, 200, 429, 429]
    assert [h["X-RateLimit-Remaining"] for _s, h in answers] == ["3", "2", "1", "0", "0", "0"]
    assert all(0 < int(h["Retry-After"]) <= 3600 for _s, h in answers[4:])
    assert answers[3][1].get("X-Cache") == "hit"  # served from the shared page cache, counted all the same

    keyed = [fetch(bases[n % 2] + API, {"X-API-Key": key}) for n in range(7)]
    assert [status for status, _h in keyed] == [200] * 6 + [429]
    assert keyed[0][1]["X-RateLimit-Limit"] == "6"

    run(f"from plans.models import APIKey\nAPIKey.objects.get(prefix='{key.split('_')[1]}').revoke()")
    assert [fetch(base + API, {"X-API-Key": key})[0] for base in bases] == [401, 401]
    assert fetch(bases[1] + "/api/schema/")[0] == 429  # anonymous, over the limit on every part of the API


def test_a_key_whose_secret_holds_underscores_is_found(db, reviewer, monkeypatch):
    monkeypatch.setattr("plans.models.secrets.token_urlsafe", lambda n: "_a_" * 8)
    row, key = APIKey.make(reviewer, "underscores")
    assert key.count("_") > 2 and APIKey.find(key) == row
