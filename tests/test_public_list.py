"""The plan list: facets, filters, full-text search, sorting, pagination and its query budget."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from plans import filters, search
from plans.models import SDG, Lab, Plan


@pytest.fixture
def published(plan_factory):
    now = timezone.now()

    def make(**kwargs):
        kwargs.setdefault("status", Plan.Status.PUBLISHED)
        kwargs.setdefault("published_at", now - timedelta(days=Plan.objects.count()))
        return plan_factory(**kwargs)

    return make


def listed(response) -> list[str]:
    titles = r'<h3 class="plan-card__title"[^>]*><a href="[^"]*">([^<]*)</a>'
    return re.findall(titles, response.content.decode())


@pytest.fixture
def corpus(published, lab_a, lab_b):
    a = published(title="Alpha", country="Vietnam", year=2021, kind="opening", language="en")
    a.methods.add("Ethnography")
    a.sdgs.add(SDG.objects.get(number=13))
    b = published(title="Bravo", country="Peru", year=2022, kind="closing", language="es", lab=lab_b)
    b.methods.add("Ethnography", "Drones")
    b.datasources.add("Satellite data")
    b.thematic_areas.add("climate")
    c = published(title="Charlie", country="Peru", year=2023, kind="opening", language="fr", lab=lab_b)
    c.sdgs.add(SDG.objects.get(number=5))
    c.thematic_areas.add("gender")
    published(
        title="Delta",
        country="Benin",
        year=2023,
        kind="closing",
        language="fr",
        lab=Lab.objects.create(name="Lab Benin", country="Benin"),
    )
    return a, b, c


def test_it_lists_published_plans_newest_first(client, corpus, plan_factory):
    plan_factory(title="Hidden draft", status=Plan.Status.DRAFT)
    plan_factory(title="Hidden submitted", status=Plan.Status.SUBMITTED)
    plan_factory(title="Hidden withdrawn", status=Plan.Status.WITHDRAWN)

    response = client.get("/plans/")

    assert response.status_code == 200
    assert listed(response) == ["Alpha", "Bravo", "Charlie", "Delta"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("country=Peru", ["Bravo", "Charlie"]),
        ("country=Peru&country=Vietnam", ["Alpha", "Bravo", "Charlie"]),
        ("year=2023", ["Charlie", "Delta"]),
        ("year=2021&year=2022", ["Alpha", "Bravo"]),
        ("kind=closing", ["Bravo", "Delta"]),
        ("language=fr", ["Charlie", "Delta"]),
        ("methods=ethnography", ["Alpha", "Bravo"]),
        ("methods=drones&methods=ethnography", ["Alpha", "Bravo"]),
        ("datasources=satellite-data", ["Bravo"]),
        ("sdgs=13&sdgs=5", ["Alpha", "Charlie"]),
        ("thematic_areas=gender", ["Charlie"]),
        ("country=Peru&methods=ethnography", ["Bravo"]),
        ("country=Peru&year=2023&language=fr", ["Charlie"]),
        ("country=Peru&sdgs=13", []),
        # A filter whose every value is stale matches nothing (it used to be dropped: every plan).
        ("year=notayear", []),
        ("methods=no-such-tag", []),
    ],
)
def test_it_filters_with_or_within_and_and_across_facets(client, corpus, query, expected):
    assert listed(client.get(f"/plans/?{query}&sort=title")) == expected


def test_it_counts_facet_values_over_the_other_filters(client, corpus, plan_factory):
    plan_factory(title="Draft in Peru", country="Peru", status=Plan.Status.DRAFT)

    response = client.get("/plans/?country=Peru")
    countries = {v.value: v.count for v in response.context["facets"][0].values}
    years = {v.value: v.count for v in response.context["facets"][1].values}

    # The country facet ignores its own selection (to offer more), and never counts the draft.
    assert countries == {"BEN": 1, "PER": 2, "VNM": 1}  # grouped by ISO 3166 code (issue 16)
    # Other facets count within the selection.
    assert years == {"2022": 1, "2023": 1}
    html = response.content.decode()
    assert 'name="country" value="PER" checked' in html


def test_it_keeps_a_chosen_value_that_the_other_filters_empty_ticked_in_its_facet(client, corpus):
    def shown(query):
        response = client.get(f"/plans/?{query}")
        facets = response.context["facets"]
        return {f.name: {v.value: (v.count, v.selected) for v in f.values} for f in facets}, response

    # Peru's plans have no SDG 13, Alpha (Vietnam) has it: each facet, counted over the other filter, leaves
    # its chosen value without a plan, and still shows it ticked, to be unticked there.
    facets, response = shown("country=Peru&sdgs=13")
    assert facets["country"] == {"PER": (0, True), "VNM": (1, False)}
    assert facets["sdgs"] == {"13": (0, True), "5": (1, False)}
    assert 'name="sdgs" value="13" checked' in response.content.decode()
    # Values no plan carries are not offered.
    facets, _response = shown("methods=no-such-method&year=1999&language=xx")
    assert "no-such-method" not in facets["methods"] and "1999" not in facets["year"]
    assert "xx" not in facets["language"]


def test_it_shows_active_filters_as_removable_chips(client, corpus):
    response = client.get("/plans/?country=Peru&methods=ethnography&q=bravo")
    chips = {c["label"]: c["remove"] for c in response.context["chips"]}

    assert set(chips) == {"Peru", "Ethnography", "“bravo”"}
    assert "country=Peru" not in chips["Peru"] and "methods=ethnography" in chips["Peru"]
    assert listed(client.get("/plans/" + chips["Peru"])) == ["Bravo"]


def test_it_says_when_nothing_matches_and_offers_to_clear(client, corpus):
    html = client.get("/plans/?country=Peru&sdgs=13").content.decode()

    assert "No plan matches these filters" in html
    assert 'href="/plans/">Clear all filters' in html


def test_it_searches_and_sorts_by_relevance(client, published):
    published(title="Mostly about rice", background="rice rice rice paddies rice farmers")
    published(title="Mentions rice once", background="fish and rice")
    published(title="Nothing relevant", background="fish")

    response = client.get("/plans/?q=rice")

    assert listed(response) == ["Mostly about rice", "Mentions rice once"]
    assert response.context["sort"] == "relevance"
    assert "<mark>rice</mark>" in response.content.decode()


def test_it_combines_search_with_facets(client, corpus):
    Plan.objects.filter(title__in=["Alpha", "Bravo"]).update(background="mangrove restoration")
    from plans import search

    search.update_index(Plan.objects.values_list("pk", flat=True))

    assert listed(client.get("/plans/?q=mangrove&sort=title")) == ["Alpha", "Bravo"]
    assert listed(client.get("/plans/?q=mangrove&country=Peru")) == ["Bravo"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("title", ["Alpha", "Bravo", "Charlie", "Delta"]),
        ("newest", ["Alpha", "Bravo", "Charlie", "Delta"]),
        ("relevance", ["Alpha", "Bravo", "Charlie", "Delta"]),  # no query: falls back to newest
        ("nonsense", ["Alpha", "Bravo", "Charlie", "Delta"]),
    ],
)
def test_it_sorts(client, corpus, sort, expected):
    assert listed(client.get(f"/plans/?sort={sort}")) == expected


def test_it_sorts_by_title_and_by_newest(client, published):
    now = timezone.now()
    published(title="Zulu", published_at=now)
    published(title="Mike", published_at=now - timedelta(days=2))
    published(title="Alpha", published_at=now - timedelta(days=1))

    assert listed(client.get("/plans/?sort=newest")) == ["Zulu", "Alpha", "Mike"]
    assert listed(client.get("/plans/?sort=title")) == ["Alpha", "Mike", "Zulu"]


def test_it_paginates_and_keeps_the_filters(client, published):
    for i in range(45):
        published(title=f"Plan {i:02d}", country="Peru" if i % 2 else "Chile")

    first = client.get("/plans/?country=Peru&sort=title")
    second = client.get("/plans/?country=Peru&sort=title&page=2")

    assert len(listed(first)) == 20
    assert listed(second) == [f"Plan {i:02d}" for i in range(41, 45, 2)]
    html = first.content.decode()
    assert 'href="?country=Peru&amp;sort=title&amp;page=2"' in html
    assert listed(client.get("/plans/?country=Peru&sort=title&page=999")) == listed(second)


def _make_plans(published, n, sdgs):
    with search.batch():  # index each plan once, not after each tag: most of the time it takes
        for i in range(n):
            plan = published(
                title=f"Plan {i}",
                country=f"Country {i % 3}",
                year=2020 + i % 5,
                language="fr" if i % 3 else "en",
            )
            plan.methods.add(f"method {i % 4}")
            plan.datasources.add(f"source {i % 13}")
            plan.thematic_areas.add(f"theme {i % 17}")
            plan.sdgs.add(sdgs[i % len(sdgs)])
            plan.insights.create(text="an insight")


@pytest.mark.parametrize(
    "url", ["/plans/", "/plans/?country=Country+1&methods=method-1&q=plan&sort=title", "/plans/?q=plan"]
)
def test_it_lists_with_a_query_count_independent_of_the_number_of_plans(
    client, published, django_assert_max_num_queries, django_assert_num_queries, url
):
    sdgs = list(SDG.objects.all())
    _make_plans(published, 5, sdgs)
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    # 30 plans: a full page (20) where there were 5, and 3 matches of the filtered search where there was 1.
    _make_plans(published, 25, sdgs)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200


def test_it_finds_a_plan_once_published_and_not_after_withdrawal(client, plan_factory, focal_point, reviewer):
    plan = plan_factory(title="Seaweed farming", background="Seaweed cooperatives in Zanzibar")
    assert listed(client.get("/plans/?q=seaweed")) == []

    plan.submit(by=focal_point)
    plan.publish(by=reviewer)
    assert listed(client.get("/plans/?q=seaweed")) == ["Seaweed farming"]

    plan.withdraw(by=reviewer)
    assert listed(client.get("/plans/?q=seaweed")) == []


def test_it_lists_a_plan_with_two_of_the_chosen_tags_once(client, corpus):
    response = client.get("/plans/?methods=ethnography&methods=drones&thematic_areas=climate")

    assert listed(response) == ["Bravo"]
    assert response.context["page_obj"].paginator.count == 1
    assert listed(client.get("/plans/?sdgs=13&sdgs=5")) == ["Alpha", "Charlie"]
    both = client.get("/plans/?methods=ethnography&methods=drones")
    assert listed(both) == ["Alpha", "Bravo"]
    methods = next(f for f in both.context["facets"] if f.name == "methods")
    assert {v.value: v.count for v in methods.values} == {"ethnography": 2, "drones": 1}
    years = next(f for f in both.context["facets"] if f.name == "year")
    assert {v.value: v.count for v in years.values} == {"2021": 1, "2022": 1}


def test_it_pages_search_results_by_relevance_with_their_total(client, published):
    for n in range(25):
        published(title=f"Rice plan {n:02}", background="rice " * (n % 5 + 1))

    first, second = client.get("/plans/?q=rice"), client.get("/plans/?q=rice&page=2")
    past, junk = client.get("/plans/?q=rice&page=99"), client.get("/plans/?q=rice&page=x")

    assert first.context["page_obj"].paginator.count == 25
    assert len(listed(first)) == 20 and len(listed(second)) == 5
    assert set(listed(first)) | set(listed(second)) == {f"Rice plan {n:02}" for n in range(25)}
    assert listed(past) == listed(second) and listed(junk) == listed(first)
    assert "25 plans" in first.content.decode()


@pytest.fixture
def rice(published, monkeypatch):
    monkeypatch.setattr(filters.CappedPaginator, "CAP", 40)  # 40 plans stand for 1,000
    for n in range(45):
        published(title=f"Rice plan {n:02}", background="rice " * (n % 5 + 1))


def test_it_lists_no_further_than_the_cap(client, rice):
    """A list without a search stops at its CAP-th plan too, without counting every plan: a page past them,
    or past the end, shows the last page within them, and the list tells the reader how to reach the rest."""
    first, second = client.get("/plans/?sort=title"), client.get("/plans/?sort=title&page=2")
    third, past = client.get("/plans/?sort=title&page=3"), client.get("/plans/?page=999999999")

    assert all(r.context["page_obj"].paginator.capped for r in (first, second, third, past))
    assert len(listed(first)) == len(listed(second)) == 20
    assert listed(third) == listed(second) == [f"Rice plan {n}" for n in range(20, 40)]
    assert listed(past) == [f"Rice plan {n}" for n in range(20, 40)]  # the newest first
    assert 'rel="next"' not in second.content.decode() and 'rel="next"' in first.content.decode()
    text = " ".join(past.content.decode().split())
    assert '<p class="result-count" role="status">More than 40 plans</p>' in text
    assert '<p class="result-hint">Only the first 40 are shown: narrow the list with filters' in text


def test_it_reaches_a_plan_past_the_cap_by_a_narrower_list(client, rice):
    assert "Rice plan 44" not in listed(client.get("/plans/?page=3"))  # the 45th, past the cap
    Plan.objects.filter(title__in=["Rice plan 43", "Rice plan 44"]).update(year=1999)

    narrow = client.get("/plans/?year=1999&page=99")

    assert listed(narrow) == ["Rice plan 43", "Rice plan 44"] and "2 plans" in narrow.content.decode()
    assert not narrow.context["page_obj"].paginator.capped and "Only the first" not in narrow.content.decode()


@pytest.mark.parametrize("sort", ["newest", "title"])
def test_it_pages_a_list_by_ids_as_by_offset(rice, sort, monkeypatch):
    """ListPaginator (the ids of the first CAP + 1 plans, then a page's plans by id) shows the same pages,
    count and cap as slicing the list; the list reads no page with OFFSET."""
    Plan.objects.filter(title__in=["Rice plan 07", "Rice plan 08"]).update(published_at=None, title="Rice")
    for cap in (40, 50):  # capped, and whole
        monkeypatch.setattr(filters.CappedPaginator, "CAP", cap)
        plans = filters.PlanFilter({"sort": sort}, queryset=Plan.objects.published()).sorted()
        by_ids, by_offset = filters.ListPaginator(plans, 20), filters.CappedPaginator(plans, 20)
        expected = (min(cap, 45), cap < 45)
        assert (by_ids.count, by_ids.capped) == (by_offset.count, by_offset.capped) == expected
        for number in (1, 2, 3, 99):
            shown = [p.pk for p in by_ids.get_page(number).object_list]
            assert shown == [p.pk for p in by_offset.get_page(number).object_list], (cap, number)


def test_it_reads_a_list_page_without_offset(client, rice):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        page = client.get("/plans/?year=2023&page=2")
    assert len(listed(page)) == 20
    assert not [q for q in queries.captured_queries if "OFFSET" in q["sql"]]


@pytest.mark.parametrize("sort", ["", "&sort=title"])
def test_it_serves_a_search_no_further_than_the_cap(client, rice, sort):
    """A search's pages stop at its CAP-th match: a page past them, or past the end, shows the last page
    within them (and no further page), and the list tells the reader to narrow the search."""
    first, second = client.get(f"/plans/?q=rice{sort}"), client.get(f"/plans/?q=rice{sort}&page=2")
    third, past = client.get(f"/plans/?q=rice{sort}&page=3"), client.get(f"/plans/?q=rice{sort}&page=999")

    assert len(listed(first)) == 20 and len(listed(second)) == 20
    assert listed(third) == listed(past) == listed(second)
    assert not set(listed(first)) & set(listed(second))
    assert third.context["page_obj"].number == 2 and not third.context["page_obj"].has_next()
    for response in (first, third):
        text = " ".join(response.content.decode().split())
        assert '<p class="result-count" role="status">More than 40 plans</p>' in text
        assert '<p class="result-hint">Only the first 40 are shown: add words or filters' in text
    assert 'rel="next"' not in third.content.decode()


@pytest.mark.parametrize(
    ("prefix", "text", "hint", "list_hint"),
    [
        ("/fr", "Plus de 40 plans", "Seuls les 40 premiers", "affinez la liste avec des filtres"),
        ("/es", "Más de 40 planes", "Solo se muestran los 40", "acote la lista con filtros"),
    ],
)
def test_it_says_more_than_the_cap_in_the_readers_language(client, rice, prefix, text, hint, list_hint):
    page = client.get(f"{prefix}/plans/?q=rice").content.decode()
    assert text in page and hint in page
    assert list_hint in client.get(f"{prefix}/plans/").content.decode()


# ------------------------------------------------------------------ stale values, on every surface


def _titles(response) -> set[str] | int:
    """The plans one surface shows: their titles, or their number where the page shows only counts."""
    import csv
    import io
    import json
    import zipfile

    import openpyxl

    body = b"".join(response.streaming_content) if response.streaming else response.content
    kind = response.get("Content-Type", "")
    if "html" in kind:  # the list, the map, the statistics
        context = response.context
        if "page_obj" in context:
            return set(listed(response)) if context["page_obj"].paginator.count <= 20 else -1
        return context["located"] if "located" in context else context["total"]
    if "csv" in kind:
        return {row["title"] for row in csv.DictReader(io.StringIO(body.decode()))}
    if "zip" in kind:
        names = [n for n in zipfile.ZipFile(io.BytesIO(body)).namelist() if n.endswith(".md")]
        return {Plan.objects.get(slug=name.removesuffix(".md")).title for name in names}
    if "spreadsheet" in kind:
        rows = list(openpyxl.load_workbook(io.BytesIO(body)).active.values)
        column = rows[0].index("title")
        return {row[column] for row in rows[1:]}
    data = json.loads(body)
    if "pins" in data:
        return {pin[3] for pin in data["pins"]}
    if "features" in data:
        return {feature["properties"]["title"] for feature in data["features"]}
    return {plan["title"] for plan in data["results"]}


SURFACES = [
    "/plans/",
    "/map/",
    "/map/pins.json",
    "/stats/",
    "/plans/download.csv",
    "/plans/download.xlsx",
    "/plans/download.json",
    "/plans/download.geojson",
    "/plans/download.zip",
    "/api/plans/",
]
# (facet, a value some plans match, a stale or invalid value, the titles the valid value selects)
STALE = [
    ("country", "Peru", "Atlantis", {"Bravo", "Charlie"}),
    ("year", "2021", "abc", {"Alpha"}),
    ("year", "2021", "99999", {"Alpha"}),
    ("kind", "closing", "nonsense", {"Bravo", "Delta"}),
    ("language", "fr", "xx", {"Charlie", "Delta"}),
    ("methods", "ethnography", "gone", {"Alpha", "Bravo"}),
    ("datasources", "satellite-data", "gone", {"Bravo"}),
    ("sdgs", "13", "abc", {"Alpha"}),
    ("sdgs", "13", "99", {"Alpha"}),
    ("thematic_areas", "gender", "gone", {"Charlie"}),
]
# The API answers 400 to a value its schema rules out (a kind, year or SDG that cannot exist); pages and
# downloads ignore it. Values the schema cannot rule out (a renamed tag, a country) are ignored everywhere.
MALFORMED = {"abc", "99999", "nonsense", "99"}


@pytest.fixture
def located_corpus(corpus):
    Plan.objects.update(latitude=10.0, longitude=20.0)  # every plan is on the map too
    return corpus


def _expected(url, titles):
    return len(titles) if url in {"/map/", "/stats/"} else titles


def _check(response, url, stale, titles):
    if url.startswith("/api/") and stale in MALFORMED:
        assert response.status_code == 400
        return
    assert response.status_code == 200
    assert _titles(response) == _expected(url, titles)


@pytest.mark.parametrize("url", SURFACES)
@pytest.mark.parametrize(("name", "valid", "stale", "titles"), STALE)
def test_it_ignores_a_stale_filter_value_alone(client, located_corpus, url, name, valid, stale, titles):
    _check(client.get(url, {name: [valid, stale]}), url, stale, titles)


@pytest.mark.parametrize("url", SURFACES)
@pytest.mark.parametrize(("name", "valid", "stale", "titles"), STALE)
def test_it_matches_nothing_when_every_value_of_a_filter_is_stale(
    client, located_corpus, url, name, valid, stale, titles
):
    _check(client.get(url, {name: [stale, f"{stale}-too"] if name != "year" else [stale]}), url, stale, set())


def test_it_links_to_every_value_of_a_facet_when_its_counts_come_from_the_cache(client, published):
    """A facet is cached with its HTML: the second page that reads it from the cache still says how many
    more values there are and links to them, and its chips still name the chosen ones."""
    for n in range(filters.TOP_TAGS + 3):
        published(title=f"Plan {n}").methods.add(*[f"Method {m:02d}" for m in range(n + 1)])
    pages = [client.get("/plans/?page=1"), client.get("/plans/?page=2")]
    assert pages[0].context["facets"] is not pages[1].context["facets"]  # the second came from the cache
    methods = [next(f for f in page.context["facets"] if f.name == "methods") for page in pages]
    assert methods[1].more_count == 3 and len(methods[1].values) == filters.TOP_TAGS
    for page in pages:
        assert '<a href="values/methods/">Show all (3 more values)</a>' in page.content.decode()
    every = client.get("/plans/values/methods/").content.decode()
    assert all(f"Method {m:02d}" in every for m in range(filters.TOP_TAGS + 3))
    chosen = client.get("/plans/?page=3&methods=method-00")
    assert [c["label"] for c in chosen.context["chips"]] == ["Method 00"]


def test_it_looks_a_pages_plans_up_by_id_without_ordering_them_in_sql(client, rice):
    """The page's plans are put in the list's order in Python: the query that reads them by id has no ORDER
    BY, which made SQLite walk the list's whole index instead of looking the twenty up by primary key."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        page = client.get("/plans/?page=2")
    reads = [q["sql"] for q in queries.captured_queries if '"plans_plan"."tweet_summary"' in q["sql"]]
    assert len(listed(page)) == 20 and len(reads) == 1
    assert '"plans_plan"."id" IN (' in reads[0] and "ORDER BY" not in reads[0]


@pytest.mark.django_db
def test_it_gives_sqlites_planner_statistics_to_look_plans_up_by_id(published):
    """Without statistics SQLite took the status index as selective and read a page's plans by walking it;
    `refresh_statistics` (after a large import, and after `bench_generate`) lets it use the primary key."""
    from django.db import connection

    from plans.archive import importer

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's planner: PostgreSQL's autovacuum gathers statistics by itself")
    for n in range(60):
        published(title=f"Plan {n}")
    ids = list(Plan.objects.values_list("pk", flat=True)[:20])
    marks = ", ".join(map(str, ids))
    where = f"status = 'published' AND id IN ({marks})"
    sql = f"EXPLAIN QUERY PLAN SELECT id, title FROM plans_plan WHERE {where}"

    def plan() -> str:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return " ".join(str(row[-1]) for row in cursor.fetchall())

    assert "INTEGER PRIMARY KEY" not in plan()  # what the list met at 20,000 plans
    importer.refresh_statistics()
    assert "INTEGER PRIMARY KEY" in plan()


@pytest.mark.django_db(transaction=True)  # plans/postings.py keeps nothing inside a transaction
def test_it_ranks_a_search_once_for_all_its_pages_until_a_publication(client, plan_factory):
    """A search ranked in SQL or from the ranks its index gives (several words here) keeps its first
    thousand ids per content version: its next pages read their plans by id; a publication ranks it again,
    with the new plan."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from plans import postings

    postings.forget()
    for n in range(25):
        plan_factory(title=f"Rice harvest {n}", status=Plan.Status.PUBLISHED, complete=True)

    def ranking_queries(url: str) -> tuple[list[str], list]:
        with CaptureQueriesContext(connection) as queries:
            page = client.get(url)
        sql = [q["sql"] for q in queries.captured_queries]
        # Ranked in SQL (PostgreSQL), or from every match's bm25 read from the index (SQLite, search.py).
        return [q for q in sql if ("ORDER BY" in q or "bm25" in q) and "harvest" in q], listed(page)

    first, shown = ranking_queries("/plans/?q=rice+harvest")
    second, shown_next = ranking_queries("/plans/?q=rice+harvest&page=2")
    assert len(first) == 1 and second == []
    assert len(shown) == 20 and len(shown_next) == 5 and not set(shown) & set(shown_next)

    plan_factory(title="Rice harvest 99", status=Plan.Status.PUBLISHED, complete=True)
    again, shown = ranking_queries("/plans/?q=rice+harvest&page=2")
    assert len(again) == 1 and len(shown) == 6


def test_it_makes_the_filter_form_class_once_and_cleans_each_request_s_values():
    from django.http import QueryDict
    from django.utils import translation

    first = filters.PlanFilter(QueryDict("year=2021&year=x&kind=opening"), queryset=Plan.objects.none())
    second = filters.PlanFilter(QueryDict("kind=closing&sort=nonsense"), queryset=Plan.objects.none())

    assert type(first.form) is type(second.form)
    assert first.form.is_valid() and first.form.cleaned_data["year"] == [2021]
    assert not second.form.is_valid() and second.form.cleaned_data["kind"] == ["closing"]
    with translation.override("fr"):  # its labels stay lazy: translated when read
        assert str(second.form.fields["country"].label) == "Pays"
    assert str(second.form.fields["country"].label) == "Country"


def test_it_gives_each_filter_set_filters_of_its_own_without_deep_copies(corpus):
    from django.http import QueryDict

    published = Plan.objects.published()
    first = filters.PlanFilter(QueryDict("q=Alpha"), queryset=published.filter(country="Vietnam"))
    second = filters.PlanFilter(QueryDict("q=Bravo&sort=title"), queryset=published.filter(country="Peru"))

    for filterset in (first, second):
        for name, own in filterset.filters.items():
            base = filters.PlanFilter.base_filters[name]
            assert own is not base and own.parent is filterset and own.model is Plan
            assert own.extra == base.extra and own.extra is not base.extra
    assert not hasattr(filters.PlanFilter.base_filters["q"], "parent")
    # A filter with a `method` calls its own filter set's, over that filter set's plans.
    assert first.filters["q"].filter.f is first.filters["q"]
    assert [p.title for p in first.qs] == ["Alpha"] and [p.title for p in second.qs] == ["Bravo"]
    # Forms share their class's fields, which nothing changes: cleaning is per form.
    assert first.form.fields["year"] is second.form.fields["year"]
    assert first.form.is_valid() and second.form.cleaned_data["sort"] == "title"
    assert first.form.cleaned_data["sort"] == ""


def test_it_links_each_card_to_its_plan_in_the_reader_s_language(client, corpus):
    for prefix in ("", "/fr", "/es"):
        html = client.get(f"{prefix}/plans/").content.decode()
        links = re.findall(r'<h3 class="plan-card__title"[^>]*><a href="([^"]*)">', html)
        assert sorted(links) == sorted(f"{prefix}/plans/{p.slug}/" for p in Plan.objects.published())
        for plan in corpus:
            assert client.get(f"{prefix}/plans/{plan.slug}/").status_code == 200
