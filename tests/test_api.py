"""The read-only JSON API: published plans with the public list's filters and order, whole plans, tag
counts, an OpenAPI schema that validates, documentation served without a CDN, CORS open for reading."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone
from openapi_spec_validator import validate

from plans import search
from plans.models import BlogLink, Insight, Plan
from tests.test_downloads import (
    APPROVED_URL,
    HIDDEN_TITLES,
    PENDING_URL,
    QUERIES,
    REJECTED_URL,
    SECRET_EMAIL,
    expected_slugs,
    open_data,
)


@pytest.fixture
def data(plan_factory, lab_b):
    with search.batch():  # index each plan once, not after each child and tag: two thirds of the time
        return open_data(plan_factory, lab_b)


def get(client, url, params=None, **headers):
    return client.get(url, params or {}, HTTP_ACCEPT="application/json", **headers)


def all_slugs(client, params):
    """Every slug of the list, following `next` links."""
    slugs, url = [], reverse("api:plan-list")
    response = get(client, url, params)
    while True:
        assert response.status_code == 200
        body = response.json()
        slugs += [plan["slug"] for plan in body["results"]]
        if not body["next"]:
            return slugs
        response = get(client, body["next"])


def test_it_answers_the_list_with_count_next_previous_and_results(client, data):
    body = get(client, reverse("api:plan-list"), {"page_size": 2}).json()
    assert list(body) == ["count", "next", "previous", "results"]
    assert body["count"] == 3
    assert body["previous"] is None
    assert body["next"].startswith("http://testserver/api/plans/?")
    assert len(body["results"]) == 2
    second = get(client, body["next"]).json()
    assert second["previous"] is not None
    assert [p["slug"] for p in second["results"]] == [data["waste"].slug]


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: "&".join(f"{k}={v}" for k, v in q.items()) or "all")
def test_it_filters_searches_and_orders_as_the_list_does(client, data, query):
    assert all_slugs(client, {**query, "page_size": 1}) == expected_slugs(query)


def test_it_keeps_a_stable_order_for_plans_published_at_the_same_time(client, plan_factory):
    moment = timezone.now()
    made = [plan_factory(title=f"Same time {n}", status="published", published_at=moment) for n in range(6)]
    # Newest first, then the most recent row first: the same answer on every call and across pages.
    expected = [p.slug for p in sorted(made, key=lambda p: -p.pk)]
    assert all_slugs(client, {"page_size": 4}) == expected
    assert all_slugs(client, {"page_size": 4}) == expected


def test_it_ignores_unknown_filter_values_as_the_list_does(client, data):
    # Value by value: a stale tag next to a known one is ignored; a filter of stale tags only matches nothing.
    stale = {"methods": ["no-such-tag", "co-creation"]}
    assert all_slugs(client, stale) == expected_slugs({"methods": "co-creation"}) != []
    assert all_slugs(client, {"methods": "no-such-tag"}) == []


def test_it_caps_the_page_size(client, data, monkeypatch):
    from plans.api.views import PlanPagination

    monkeypatch.setattr(PlanPagination, "max_page_size", 2)
    body = get(client, reverse("api:plan-list"), {"page_size": 10}).json()
    assert len(body["results"]) == 2
    assert body["next"] is not None


def test_it_shows_the_whole_plan_with_children_tags_and_approved_links(client, data):
    plan = get(client, reverse("api:plan-detail", kwargs={"slug": data["water"].slug})).json()
    assert plan["title"] == "Water kiosks in Hanoi"
    assert plan["lab"] == {"name": "Accelerator Lab Viet Nam", "country": "Vietnam", "iso3": "VNM"}
    assert [t["slug"] for t in plan["methods"]] == ["co-creation", "participatory-design"]
    assert [t["name"] for t in plan["datasources"]] == ["Geospatial data"]
    assert [t["slug"] for t in plan["thematic_areas"]] == ["water"]
    assert [s["number"] for s in plan["sdgs"]] == [6, 13]
    assert [i["text"] for i in plan["insights"]][0] == "Kiosks near schools sold most."
    assert plan["partners"] == [
        {
            "name": "Hanoi Water Board",
            "sector": "government",
            "description": "",
            "is_new_and_unusual": "unknown",
        }
    ]
    assert plan["blog_links"] == [{"url": APPROVED_URL, "title": ""}]
    assert plan["url"] == "http://testserver" + data["water"].get_absolute_url()
    assert "focal_point_email" not in plan


def test_it_drops_unapproved_links_even_without_the_filtered_prefetch(data):
    from plans.api.serializers import PlanDetailSerializer

    plan = Plan.objects.prefetch_related("blog_links").get(pk=data["water"].pk)
    assert [link.url for link in plan.blog_links.all()] == [APPROVED_URL, PENDING_URL, REJECTED_URL]
    assert [link["url"] for link in PlanDetailSerializer(plan).data["blog_links"]] == [APPROVED_URL]


@pytest.mark.parametrize("status", ["draft", "submitted", "withdrawn"])
def test_it_answers_404_for_an_unpublished_plan(client, data, status, superuser):
    client.force_login(superuser)
    response = get(client, reverse("api:plan-detail", kwargs={"slug": data[status].slug}))
    assert response.status_code == 404


def test_it_lists_no_unpublished_plan(client, data):
    body = json.dumps(get(client, reverse("api:plan-list"), {"page_size": 100}).json())
    for title in HIDDEN_TITLES:
        assert title not in body
    assert SECRET_EMAIL not in body


@override_settings(PUBLIC_FOCAL_POINT_EMAILS=True)
def test_it_shows_emails_in_list_and_detail_when_the_site_publishes_them(client, data):
    listed = get(client, reverse("api:plan-list")).json()["results"]
    assert {p["focal_point_email"] for p in listed} == {SECRET_EMAIL}
    plan = get(client, reverse("api:plan-detail", kwargs={"slug": data["water"].slug})).json()
    assert plan["focal_point_email"] == SECRET_EMAIL


def test_it_counts_tags_over_published_plans_only(client, data):
    # The three hidden plans also carry "Co-creation" and SDG 13: counting them would say 5, not 2.
    methods = get(client, reverse("api:tags", kwargs={"vocabulary": "methods"})).json()
    assert methods == [
        {"slug": "co-creation", "name": "Co-creation", "count": 2},
        {"slug": "ethnography", "name": "Ethnography", "count": 1},
        {"slug": "participatory-design", "name": "Participatory Design", "count": 1},
    ]
    sdgs = get(client, reverse("api:tags", kwargs={"vocabulary": "sdgs"})).json()
    assert [(s["slug"], s["count"]) for s in sdgs] == [("6", 1), ("13", 2)]
    areas = get(client, reverse("api:tags", kwargs={"vocabulary": "thematic_areas"})).json()
    assert areas == [{"slug": "water", "name": "water", "count": 2}]


def test_it_counts_tags_over_the_filtered_plans(client, data):
    methods = get(client, reverse("api:tags", kwargs={"vocabulary": "methods"}), {"year": "2022"}).json()
    assert methods == [{"slug": "co-creation", "name": "Co-creation", "count": 1}]
    datasources = get(client, reverse("api:tags", kwargs={"vocabulary": "datasources"}), {"q": "abattoirs"})
    assert datasources.json() == []


def test_it_answers_404_for_an_unknown_vocabulary(client, data):
    assert get(client, reverse("api:tags", kwargs={"vocabulary": "colours"})).status_code == 404


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_it_refuses_to_write(client, data, method):
    url = reverse("api:plan-detail", kwargs={"slug": data["water"].slug})
    response = getattr(client, method)(url, {}, content_type="application/json")
    assert response.status_code == 405
    assert Plan.objects.filter(slug=data["water"].slug, title="Water kiosks in Hanoi").exists()


def test_it_reads_the_same_number_of_queries_for_3_and_30_plans(client, data, plan_factory):
    def queries():
        with CaptureQueriesContext(connection) as context:
            assert get(client, reverse("api:plan-list"), {"page_size": 100}).status_code == 200
        return len(context.captured_queries)

    few = queries()
    with search.batch():  # index each plan once, not after each child: most of the time it takes
        for n in range(27):
            plan = plan_factory(title=f"Extra {n}", status=Plan.Status.PUBLISHED, published_at=timezone.now())
            plan.methods.add(f"method {n}")
            Insight.objects.create(plan=plan, text="insight")
            BlogLink.objects.create(plan=plan, url=f"https://example.org/{n}", status="approved")
    assert queries() == few


# ------------------------------------------------------------------ schema and documentation


@pytest.mark.parametrize("emails", [False, True])
def test_it_serves_an_openapi_3_schema_that_validates(client, db, emails):
    with override_settings(PUBLIC_FOCAL_POINT_EMAILS=emails):
        response = client.get(reverse("api:schema"), {"format": "json"})
    assert response.status_code == 200
    schema = json.loads(response.content)
    validate(schema)  # raises on an invalid document
    assert schema["openapi"].startswith("3.")
    assert {"/api/plans/", "/api/plans/{slug}/", "/api/tags/{vocabulary}/"} <= set(schema["paths"])
    parameters = {p["name"] for p in schema["paths"]["/api/plans/"]["get"]["parameters"]}
    assert {
        "country",
        "year",
        "kind",
        "language",
        "methods",
        "datasources",
        "sdgs",
        "thematic_areas",
        "q",
    } <= (parameters)
    detail = schema["components"]["schemas"]["PlanDetail"]["properties"]
    assert ("focal_point_email" in detail) is emails


@pytest.mark.parametrize("name", ["api:docs", "api:redoc"])
def test_it_serves_the_documentation_from_our_own_static_files(client, db, name):
    page = client.get(reverse(name)).content.decode()
    assert "/static/drf_spectacular_sidecar/" in page
    assert "cdn" not in page.lower()
    assert "unpkg" not in page.lower()


# ------------------------------------------------------------------ CORS


def test_it_allows_any_origin_to_read_the_api(client, data):
    response = get(client, reverse("api:plan-list"), HTTP_ORIGIN="https://research.example")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response


def test_it_allows_only_reading_in_a_preflight(client, db):
    response = client.options(
        reverse("api:plan-list"),
        HTTP_ORIGIN="https://research.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )
    assert response.status_code == 200
    allowed = {m.strip() for m in response["Access-Control-Allow-Methods"].split(",")}
    assert allowed == {"GET", "HEAD", "OPTIONS"}


def test_it_keeps_cors_off_outside_the_api(client, data):
    response = client.get(reverse("downloads:json"), HTTP_ORIGIN="https://research.example")
    assert "Access-Control-Allow-Origin" not in response


def test_it_lets_people_browse_the_api_in_html(client, data):
    response = client.get(reverse("api:plan-list"), {"country": "Peru"}, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "Déchets ménagers à Lima" in response.content.decode()
    assert "Water kiosks in Hanoi" not in response.content.decode()


def test_it_lists_tags_in_alphabetical_order_whatever_the_order_they_were_added(client, plan_factory):
    plan = plan_factory(title="Tagged", status="published", published_at=timezone.now())
    for name in ("zebra crossings", "Alpha testing", "mango markets"):
        plan.methods.add(name)
    detail = get(client, reverse("api:plan-detail", kwargs={"slug": plan.slug})).json()
    assert [t["name"] for t in detail["methods"]] == ["Alpha testing", "mango markets", "zebra crossings"]
    row = get(client, reverse("downloads:csv")).streaming_content
    assert b"Alpha testing; mango markets; zebra crossings" in b"".join(row)


def test_it_serves_cached_api_lists_that_follow_every_publication(client, plan_factory, reviewer):
    plan_factory(title="Already public", status=Plan.Status.PUBLISHED, published_at=timezone.now())
    first = client.get("/api/plans/", HTTP_ACCEPT="application/json")
    again = client.get("/api/plans/", HTTP_ACCEPT="application/json")
    assert (first["X-Cache"], again["X-Cache"]) == ("miss", "hit")
    assert again.json()["count"] == 1
    submitted = plan_factory(title="Just published", status=Plan.Status.SUBMITTED)
    submitted.publish(by=reviewer)
    assert client.get("/api/plans/", HTTP_ACCEPT="application/json").json()["count"] == 2


def test_it_does_not_serve_the_browsable_page_to_a_json_client(client, plan_factory):
    plan_factory(title="Already public", status=Plan.Status.PUBLISHED, published_at=timezone.now())
    html = client.get("/api/plans/", HTTP_ACCEPT="text/html")
    as_json = client.get("/api/plans/", HTTP_ACCEPT="application/json")
    assert html["Content-Type"].startswith("text/html")
    assert as_json["Content-Type"].startswith("application/json")
