"""The page cache serves anonymous readers only what is the same for all of them."""

import pickle
import secrets

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import RequestFactory

from plans import cache


def anonymous_get(path="/page/"):
    request = RequestFactory().get(path)
    request.user = AnonymousUser()
    return request


def test_it_serves_the_second_anonymous_request_from_the_cache(db):
    view = cache.public_page(lambda request: HttpResponse("same for everyone"))
    assert view(anonymous_get())["X-Cache"] == "miss"
    hit = view(anonymous_get())
    assert hit["X-Cache"] == "hit"
    assert hit.content == b"same for everyone"


def test_it_keeps_large_pages_compressed_and_serves_them_whole(db):
    """A list page carries every facet's values (hundreds of KB at 20,000 plans): the cache keeps it
    compressed, so that a worker's own cache of 300 pages stays small, and a hit serves the same bytes."""
    from django.core.cache import cache as store

    page = "".join(f"<li>{secrets.token_hex(4)} tag {n}</li>" for n in range(4000)).encode()
    view = cache.public_page(lambda request: HttpResponse(page, content_type="text/html; charset=utf-8"))
    assert view(anonymous_get("/big/"))["X-Cache"] == "miss"
    stored = [pickle.loads(value) for value in store._cache.values()]  # LocMem in tests: pickled values
    kept = next(e for e in stored if isinstance(e, tuple) and len(e) > 1 and e[1].startswith("text/html"))
    assert len(kept[0]) < len(page) / 2
    hit = view(anonymous_get("/big/"))
    assert hit["X-Cache"] == "hit" and hit.content == page
    assert hit["Content-Type"] == "text/html; charset=utf-8"


def test_it_never_caches_a_page_that_holds_a_csrf_token(db):
    view = cache.public_page(lambda request: HttpResponse(f"token {get_token(request)}"))
    first, second = view(anonymous_get()), view(anonymous_get())
    assert (first["X-Cache"], second["X-Cache"]) == ("miss", "miss")
    assert first.content != second.content


def test_it_renders_fresh_pages_for_signed_in_users(db, reviewer):
    calls = []
    view = cache.public_page(lambda request: calls.append(1) or HttpResponse("preview"))
    request = anonymous_get()
    request.user = reviewer
    view(request)
    view(request)
    assert len(calls) == 2


def test_it_misses_after_a_bump(db):
    view = cache.public_page(lambda request: HttpResponse("x"))
    view(anonymous_get())
    cache.bump()
    assert view(anonymous_get())["X-Cache"] == "miss"


def test_it_reads_the_content_version_once_per_request(db, django_assert_num_queries):
    request = anonymous_get()
    with django_assert_num_queries(1):
        first = cache.current_version(request)
        assert cache.current_version(request) == first


@pytest.mark.django_db(transaction=True)  # plans/postings.py keeps nothing inside a transaction
def test_it_reads_the_content_version_once_while_computing_a_public_page(client, plan_factory):
    """A new page of a list: its key, the plans' bitmap and the list's order (plans/postings.py) share one
    read of the content version, which the page's own request holds; outside a page each call reads it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from plans import postings

    postings.forget()

    for n in range(3):
        plan_factory(title=f"Plan {n}", status="published")
    client.get("/plans/")  # its facets and the postings are computed once for the version
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/plans/?page=2")["X-Cache"] == "miss"
    reads = [q for q in queries.captured_queries if "plans_contentversion" in q["sql"]]
    assert len(reads) == 1
    with CaptureQueriesContext(connection) as queries:
        cache.current_version()
        cache.current_version()
    assert len(queries.captured_queries) == 2
    # Statistics of a new filter, with its facets: the page's key and the postings (a dozen tallies) read
    # the versions once for the page, together.
    client.get("/stats/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/stats/?language=en")["X-Cache"] == "miss"
    assert len([q for q in queries.captured_queries if "plans_contentversion" in q["sql"]]) == 1


# ------------------------------------------------------------------ shared counts


def _entries() -> set[str]:
    from django.core.cache import cache as backend

    # LocMemCache, the test settings' cache: its keys, without the API's rate-limit counters (same cache,
    # one key per minute window: a test crossing a minute would see a new one; plans/api/fair_use.py)
    return {key for key in backend._cache if ":throttle:" not in key}


def test_it_shares_facets_and_statistics_between_users(client, reviewer, focal_point, plan_factory):
    plan_factory(title="Published", status="published")
    plan_factory(title="Draft of lab A", status="draft")
    client.force_login(reviewer)
    assert client.get("/stats/").context["total"] == 1  # lists, maps and statistics count published plans
    assert client.get("/plans/").status_code == 200
    cached = _entries()

    # Another signed-in user, even one whose lab has a draft, and an anonymous reader reuse every entry.
    client.force_login(focal_point)
    assert client.get("/stats/").context["total"] == 1
    client.get("/plans/")
    assert _entries() == cached
    client.logout()
    client.get("/stats/")
    client.get("/plans/")
    assert len(_entries() - cached) == 2  # their pages only (the page cache is for anonymous readers)


# ------------------------------------------------------------------ page keys


@pytest.mark.parametrize("url", ["/", "/plans/", "/map/", "/map/pins.json", "/stats/", "/api/plans/"])
def test_it_keeps_one_entry_for_requests_that_differ_only_in_unknown_parameters(client, plan_factory, url):
    plan_factory(title="Published", status="published")
    client.get(url, {"utm_first": "x"})
    cached = _entries()  # the page's entry, and those of its facets and statistics
    for n in range(50):
        response = client.get(url, {f"utm_{secrets.token_hex(4)}": secrets.token_hex(8), "n": n})
        assert response.status_code == 200
        assert response["X-Cache"] == "hit"
    assert _entries() == cached


def test_it_keys_pages_on_normalised_parameters(client, plan_factory):
    plan_factory(title="Published", status="published", country="Peru", year=2021)
    first = client.get("/plans/?country=Peru&year=2021&utm_campaign=a")
    assert first["X-Cache"] == "miss"
    for same in (
        "/plans/?year=2021&country=Peru",
        "/plans/?country=Peru&year=2021&year=2021&fbclid=x&page=01",
    ):
        response = client.get(same)
        assert response["X-Cache"] == "hit"
        assert response.content == first.content
    # What a cached page shows (its links) depends only on its key: no unknown parameter is kept in them.
    assert b"utm_campaign" not in first.content
    assert client.get("/plans/?country=Peru&year=2022")["X-Cache"] == "miss"


def test_it_keys_pages_on_the_scheme_and_host(client, plan_factory):
    plan_factory(title="Published", status="published")
    assert client.get("/api/plans/")["X-Cache"] == "miss"
    secure = client.get("/api/plans/", secure=True)
    assert secure["X-Cache"] == "miss"
    assert secure.json()["results"][0]["url"].startswith("https://")
    assert client.get("/api/plans/", HTTP_HOST="localhost")["X-Cache"] == "miss"


def test_it_keys_the_api_on_the_format_it_answers_not_on_the_accept_header(client, plan_factory):
    plan_factory(title="Published", status="published")
    client.get("/api/plans/", HTTP_ACCEPT="application/json")
    cached = _entries()
    for _ in range(20):
        response = client.get("/api/plans/", HTTP_ACCEPT=f"application/json, x/{secrets.token_hex(6)}")
        assert (response["X-Cache"], response["Content-Type"]) == ("hit", "application/json")
    assert _entries() == cached
    browsable = client.get("/api/plans/", HTTP_ACCEPT="text/html")
    assert (browsable["X-Cache"], browsable["Content-Type"]) == ("miss", "text/html; charset=utf-8")
    assert client.get("/api/plans/", {"format": "json"}, HTTP_ACCEPT="text/html")["Content-Type"] == (
        "application/json"
    )
    # A variant of a format is answered as asked, and not cached.
    before = _entries()
    indented = client.get("/api/plans/", HTTP_ACCEPT="application/json; indent=4")
    assert indented.content.startswith(b'{\n    "count"') and "X-Cache" not in indented
    assert _entries() == before


# ------------------------------------------------------------------ invalidation by what changed


@pytest.fixture
def two_published(plan_factory):
    """Two published plans whose pages and API records were requested once (cached)."""
    from plans.models import Plan

    a = plan_factory(title="Alpha published", status=Plan.Status.PUBLISHED, complete=True)
    b = plan_factory(title="Bravo published", status=Plan.Status.PUBLISHED, complete=True)
    return a, b


def _pages_of(plan) -> list[str]:
    return [f"/plans/{plan.slug}/", f"/api/plans/{plan.slug}/"]


def _cache_state(client, plans) -> dict[str, str]:
    return {url: client.get(url)["X-Cache"] for plan in plans for url in _pages_of(plan)}


def test_it_keeps_other_plans_pages_cached_when_one_is_published(
    client, two_published, plan_factory, focal_point, reviewer
):
    a, b = two_published
    _cache_state(client, two_published)
    assert client.get("/plans/")["X-Cache"] == "miss"
    new = plan_factory(title="Charlie, new")
    assert _cache_state(client, two_published) == dict.fromkeys([*_pages_of(a), *_pages_of(b)], "hit")

    new.submit(by=focal_point)
    new.publish(by=reviewer)

    assert _cache_state(client, two_published) == dict.fromkeys([*_pages_of(a), *_pages_of(b)], "hit")
    page = client.get(f"/plans/{new.slug}/")
    assert (page.status_code, page["X-Cache"]) == (200, "miss")
    listed = client.get("/plans/")  # lists, searches and statistics show the new plan at once
    assert listed["X-Cache"] == "miss" and "Charlie, new" in listed.content.decode()
    assert "Charlie, new" in client.get("/plans/?q=charlie").content.decode()


def test_it_recomputes_the_pages_of_the_plan_that_changed(client, two_published):
    from plans.models import MethodTag

    a, b = two_published
    ethnography = MethodTag.objects.create(name="Ethnography")  # a new tag's name is every plan's change
    _cache_state(client, two_published)

    a.insights.create(text="A newly added insight about mangroves")

    state = _cache_state(client, two_published)
    assert [state[url] for url in _pages_of(a)] == ["miss", "miss"]
    assert [state[url] for url in _pages_of(b)] == ["hit", "hit"]
    assert "newly added insight" in client.get(f"/plans/{a.slug}/").content.decode()
    b.methods.add(ethnography)  # a tag assignment is the plan's too
    state = _cache_state(client, two_published)
    assert [state[url] for url in (*_pages_of(a), *_pages_of(b))] == ["hit", "hit", "miss", "miss"]
    assert "Ethnography" in client.get(f"/api/plans/{b.slug}/").content.decode()


def test_it_recomputes_every_plans_pages_when_what_they_all_show_changes(client, two_published, lab_a):
    _cache_state(client, two_published)

    lab_a.name = "Renamed Accelerator Lab"
    lab_a.save()

    assert set(_cache_state(client, two_published).values()) == {"miss"}
    a, _b = two_published
    assert "Renamed Accelerator Lab" in client.get(f"/plans/{a.slug}/").content.decode()


def test_it_recomputes_an_opening_plans_page_when_its_closing_report_is_published(client, plan_factory):
    """An opening plan's page names its closing report once published: that report's change is the opening
    plan's too."""
    from plans.models import Plan

    opening = plan_factory(title="Opening plan", kind="opening", status=Plan.Status.PUBLISHED, complete=True)
    other = plan_factory(title="Another plan", status=Plan.Status.PUBLISHED, complete=True)
    report = plan_factory(title="Its closing report", kind="closing", opening_plan=opening, complete=False)
    client.get(f"/plans/{opening.slug}/"), client.get(f"/plans/{other.slug}/")
    assert client.get(f"/plans/{opening.slug}/")["X-Cache"] == "hit"

    report.status, report.published_at = Plan.Status.PUBLISHED, report.modified_at
    report.save()

    page = client.get(f"/plans/{opening.slug}/")
    assert page["X-Cache"] == "miss" and "Its closing report" in page.content.decode()
    assert client.get(f"/plans/{other.slug}/")["X-Cache"] == "hit"
