"""Home, plan detail, map, statistics, feed, sitemap, robots.txt and error pages; only published content."""

import gzip
import json
import re

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from plans import presentation, search
from plans.models import SDG, BlogLink, Evidence, Lab, Plan
from plans.presentation import detail_context
from plans.sitemaps import PlanSitemap
from tests.conftest import whole_sitemap

HIDDEN = [Plan.Status.DRAFT, Plan.Status.SUBMITTED, Plan.Status.WITHDRAWN]


@pytest.fixture
def published(plan_factory):
    def make(**kwargs):
        kwargs.setdefault("status", Plan.Status.PUBLISHED)
        kwargs.setdefault("published_at", timezone.now())
        return plan_factory(**kwargs)

    return make


@pytest.fixture
def full_plan(published):
    plan = published(
        title="Closing the loop on plastic",
        kind=Plan.Kind.CLOSING,
        form_version=Plan.FormVersion.CLOSING_V2,
        language="fr",
        plan_name="Boucler la boucle",
        challenge_statement='<p class="MsoNormal">Le plastique &amp; les <script>alert(1)</script>x</p>',
        background=(
            "Premier paragraphe.\n\nSecond paragraphe\navec un saut de ligne, voir https://example.org/rapport."
        ),
        tweet_summary="Moins de plastique.",
        why_data="Parce que.",
        time_sense=10,
        time_explore=20,
        time_test=30,
        time_grow=40,
        handover_options=["Handed over to government"],
        latitude=6.37,
        longitude=2.39,
    )
    plan.methods.add("Ethnographie")
    plan.datasources.add("Données satellitaires")
    plan.thematic_areas.add("économie circulaire")
    plan.sdgs.add(SDG.objects.get(number=12))
    plan.partnerships.create(name="Mairie de Cotonou", sector="government", description="Co-conception")
    plan.learning_questions.create(question="Qui achète le plastique ?", stages=["sense", "test"])
    plan.insights.create(text="Les acheteurs existent.")
    plan.evidence.create(kind=Evidence.Kind.QUANTITATIVE, text="42 tonnes", url="https://example.org/data")
    plan.blog_links.create(
        url="https://example.org/approved", title="Approved blog", status=BlogLink.Status.APPROVED
    )
    plan.blog_links.create(
        url="https://example.org/pending", title="Pending blog", status=BlogLink.Status.PENDING
    )
    plan.blog_links.create(
        url="https://example.org/rejected", title="Rejected blog", status=BlogLink.Status.REJECTED
    )
    plan.extra_answers.create(section="Fin", prompt="Autre", answer="Merci beaucoup")
    return plan


def test_it_renders_every_section_of_a_plan_safely(client, full_plan):
    response = client.get(f"/plans/{full_plan.slug}/")
    html = response.content.decode()

    assert response.status_code == 200
    for text in [
        "Boucler la boucle",
        "Mairie de Cotonou",
        "Qui achète le plastique",
        "Les acheteurs existent",
        "42 tonnes",
        "Parce que.",
        "Merci beaucoup",
        "Handed over to government",
        "Explore",
    ]:
        assert text in html, text
    assert "<script>alert" not in html
    assert "Le plastique &amp; les" in html
    assert "<p>Premier paragraphe.</p><p>Second paragraphe<br>" in html
    assert '<a href="https://example.org/rapport" rel="nofollow noopener noreferrer">' in html
    assert '<h1 lang="fr">' in html and 'class="answer" lang="fr"' in html


@pytest.mark.parametrize("reader", ["anonymous", "author"])
def test_it_reads_a_plan_for_its_page_as_for_reader_does(full_plan, published, focal_point, reader):
    """`one_for_reader` (SQL built once per process) gives the page the same rows, values and order as
    `for_reader`'s prefetches, and the same page."""
    from django.contrib.auth.models import AnonymousUser

    from plans.parts import CHILDREN, VOCABULARY_NAMES

    user = AnonymousUser() if reader == "anonymous" else focal_point
    full_plan.insights.create(text="Troisième", position=9)
    full_plan.insights.create(text="Deuxième", position=4)
    full_plan.learning_questions.create(question="Combien ?", stages=["grow"])
    opening = published(title="The opening plan")
    Plan.objects.filter(pk=full_plan.pk).update(opening_plan=opening)

    fast = Plan.objects.one_for_reader(user, slug=full_plan.slug)
    known = Plan.objects.for_reader(user).get(slug=full_plan.slug)

    def rows(plan, name):
        return [
            {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields}
            for row in getattr(plan, name).all()
        ]

    for name in (*VOCABULARY_NAMES, *(c.related_name for c in CHILDREN)):
        assert rows(fast, name) == rows(known, name), name
    # The plan's own row (its JSON decoded) and its lab, read without a query more.
    assert {f.attname: getattr(fast, f.attname) for f in Plan._meta.concrete_fields} == {
        f.attname: getattr(known, f.attname) for f in Plan._meta.concrete_fields
    }
    with CaptureQueriesContext(connection) as lab_read:
        assert fast.lab == known.lab and fast.lab.name == known.lab.name
    assert not lab_read.captured_queries
    assert [i["text"] for i in rows(fast, "insights")][-2:] == ["Deuxième", "Troisième"]
    assert rows(fast, "learning_questions")[0]["stages"] == ["sense", "test"]  # JSON, decoded
    assert fast.public_opening_plan == known.public_opening_plan == opening
    assert fast.public_closing_report is known.public_closing_report is None
    # Read through SQL built once too: the linked plans when published only, the approved links for the
    # public (the fixture's pending and rejected ones are their author's to see).
    draft = Plan.objects.create(title="A draft report", slug="a-draft-report", opening_plan=full_plan)
    assert Plan.objects.one_for_reader(user, slug=full_plan.slug).public_closing_report is None
    Plan.objects.filter(pk=draft.pk).update(status=Plan.Status.PUBLISHED)
    assert (
        Plan.objects.one_for_reader(user, slug=full_plan.slug).public_closing_report.title == "A draft report"
    )
    Plan.objects.filter(pk=opening.pk).update(status=Plan.Status.DRAFT)
    assert Plan.objects.one_for_reader(user, slug=full_plan.slug).public_opening_plan is None
    shown = {link.title for link in fast.blog_links.all()}
    assert shown == (
        {"Approved blog"} if reader == "anonymous" else {"Approved blog", "Pending blog", "Rejected blog"}
    )
    with CaptureQueriesContext(connection) as later:
        page = render_to_string("plans/detail.html", detail_context(fast))
    assert page == render_to_string("plans/detail.html", detail_context(known)) and not later.captured_queries


def test_it_keeps_the_sections_in_the_form_order(client, full_plan):
    html = client.get(f"/plans/{full_plan.slug}/").content.decode()
    sections = re.findall(r'data-section="(\w+)"', html)

    # The second closing form first, then what it does not hold, then archive answers of unknown prompts.
    assert sections == [
        "learnings",
        "data_methods",
        "partners",
        "title",
        "challenge_statement",
        "learning_question",
        "other",
    ]
    learnings = html[html.index('data-section="learnings"') : html.index('data-section="data_methods"')]
    order = ["Key insights", "Handover process", "Our blog", "Approved blog", "Barriers", "Time split"]
    order = [t for t in order if t in learnings]
    assert order == sorted(order, key=learnings.index) and "Time split" in order


def test_it_shows_the_challenge_type_with_the_instruction_typed_under_it(client, published):
    plan = published(title="Markets", challenge_type="big_bet", challenge_statement="Dirty markets.")
    plan.extra_answers.create(
        section="Challenge statement",
        prompt="Challenge type: If you are working on multiple challenges, please indicate if this is your "
        '"big bet" or "exploratory" challenge.',
        answer="Please note: we ask you to only submit a maximum of 3 challenges.",
    )
    html = client.get(f"/plans/{plan.slug}/").content.decode()
    section = html[html.index('data-section="challenge_statement"') :]
    assert section.index("Challenge type") < section.index("Big bet") < section.index("Please note")
    assert 'data-section="other"' not in html


def test_it_offers_the_plan_in_archive_format(client, full_plan):
    html = client.get(f"/plans/{full_plan.slug}/").content.decode()

    assert f'href="{reverse("plans:archive", args=[full_plan.slug])}" download' in html


def test_it_shows_approved_blog_links_only(client, full_plan):
    html = client.get(f"/plans/{full_plan.slug}/").content.decode()

    assert "Approved blog" in html
    assert "Pending blog" not in html and "Rejected blog" not in html
    assert "example.org/pending" not in html and "example.org/rejected" not in html


def test_it_shows_the_authors_numbers_of_numbered_insights_once(client, published):
    # A third of the archive's insights begin with their number: the list must not number them again.
    numbered = published(title="Numbered", kind=Plan.Kind.CLOSING, form_version=Plan.FormVersion.CLOSING_V2)
    numbered.insights.create(text="1. Buyers exist.", position=0)
    numbered.insights.create(text="2) Sellers too.", position=1)
    plain = published(title="Plain", kind=Plan.Kind.CLOSING, form_version=Plan.FormVersion.CLOSING_V2)
    plain.insights.create(text="Buyers exist.", position=0)
    plain.insights.create(text="2. Not the first.", position=1)

    numbered_html = client.get(f"/plans/{numbered.slug}/").content.decode()
    plain_html = client.get(f"/plans/{plain.slug}/").content.decode()

    assert re.search(r'<ol class="authors-numbers"><li class="answer"[^>]*><p>1\. Buyers', numbered_html)
    assert re.search(r'<ol><li class="answer"[^>]*><p>Buyers exist', plain_html)
    assert "authors-numbers" not in plain_html


@pytest.mark.parametrize(
    ("texts", "numbered"),
    [
        (["1. a", "2. b"], True),
        (["  1) a", "2 . b"], True),
        (["1. a", "b"], False),
        (["2. a", "3. b"], False),
        (["10 years", "2. b"], False),
        ([], False),
    ],
)
def test_it_tells_lists_numbered_by_their_authors(texts, numbered):
    assert presentation.authors_numbers(texts) is numbered


def test_it_links_tags_to_the_filtered_list(client, full_plan):
    html = client.get(f"/plans/{full_plan.slug}/").content.decode()

    for href in [
        "/plans/?methods=ethnographie",
        "/plans/?sdgs=12",
        "/plans/?kind=closing",
        "/plans/?language=fr",
    ]:
        assert f'href="{href}"' in html, href
    tag = full_plan.thematic_areas.get()
    assert client.get(f"/plans/?thematic_areas={tag.slug}").context["page_obj"].object_list[0] == full_plan


def test_it_gives_the_admin_preview_a_reusable_context(full_plan):
    full_plan.status = Plan.Status.DRAFT
    html = render_to_string("plans/detail.html", detail_context(full_plan))

    assert "Preview: this plan is not published" in html
    assert "Mairie de Cotonou" in html
    assert "Pending blog" not in html


def test_it_sets_canonical_and_opengraph_on_every_page(client, full_plan):
    for url in ["/", "/plans/", f"/plans/{full_plan.slug}/", "/map/", "/stats/"]:
        html = client.get(url).content.decode()
        assert re.search(r'<link rel="canonical" href="http[^"]+"', html), url
        assert 'property="og:title"' in html and 'property="og:url"' in html, url
    html = client.get(f"/plans/{full_plan.slug}/").content.decode()
    assert f'<link rel="canonical" href="http://127.0.0.1:8000/plans/{full_plan.slug}/">' in html
    assert '<meta property="og:title" content="Closing the loop on plastic">' in html


@pytest.mark.parametrize("status", HIDDEN)
def test_it_hides_unpublished_plans_from_the_public(client, plan_factory, status):
    plan = plan_factory(
        title="Not public yet", status=status, latitude=1.0, longitude=2.0, country="Secretland"
    )

    assert client.get(f"/plans/{plan.slug}/").status_code == 404
    pages = ["/", "/plans/", "/map/", "/map/pins.json", "/stats/", "/feeds/plans/"]
    for url in [*pages, "/plans/?q=public", "sitemap"]:
        body = whole_sitemap(client) if url == "sitemap" else client.get(url).content.decode()
        assert "Not public yet" not in body, url
        assert plan.slug not in body, url
        assert "Secretland" not in body, url


@pytest.mark.parametrize("status", HIDDEN)
def test_it_hides_unpublished_plans_from_focal_points_of_other_labs(
    client, plan_factory, other_focal_point, status
):
    plan = plan_factory(title="Not yours", status=status)
    client.force_login(other_focal_point)

    assert client.get(f"/plans/{plan.slug}/").status_code == 404


def test_it_lets_a_superuser_preview_a_draft(client, plan_factory, superuser):
    plan = plan_factory(title="Draft to preview", status=Plan.Status.DRAFT)
    client.force_login(superuser)

    response = client.get(f"/plans/{plan.slug}/")

    assert response.status_code == 200
    assert "Preview: this plan is not published" in response.content.decode()


def test_it_shows_headline_figures_of_published_plans_only(client, published, plan_factory, lab_b):
    published(title="One", year=2020)
    published(title="Two", year=2024, lab=lab_b)
    plan_factory(title="Draft", status=Plan.Status.DRAFT, year=2030, country="Nowhere")
    lab_c = Lab.objects.create(name="Lab C", country="Chile")
    plan_factory(title="Draft of a third lab", status=Plan.Status.SUBMITTED, lab=lab_c, country="Chile")
    published(title="Three", year=2022, country="")  # no country: not counted as one

    response = client.get("/")

    assert response.context["figures"] == {
        "plans": 3,
        "labs": 2,
        "countries": 2,
        "first_year": 2020,
        "last_year": 2024,
    }
    assert "2020–2024" in response.content.decode()


def test_it_puts_published_plans_with_a_location_on_the_map(client, published):
    published(title="Pinned", latitude=6.37, longitude=2.39, country="Benin")
    published(title="Pinned in Peru", latitude=-12.0, longitude=-77.0, country="Peru")
    published(title="Nowhere")

    data = client.get("/map/pins.json?nocache=pins").json()  # the page cache may hold another test's pins
    filtered = client.get("/map/pins.json?country=Peru&nocache=1").json()["pins"]

    assert [p[3] for p in data["pins"]] == ["Pinned", "Pinned in Peru"]
    assert [p[3] for p in filtered] == ["Pinned in Peru"]
    lat, lng, slug, _title, kind, country, _year = data["pins"][0]
    assert (lat, lng, country) == (6.37, 2.39, "Benin")
    assert data["detail"].replace("SLUG", slug) == Plan.objects.get(title="Pinned").get_absolute_url()
    assert data["kinds"][kind]


def test_it_gzips_the_pins_for_clients_that_accept_it(client, published):
    for n in range(5):
        published(title=f"Pinned {n}", latitude=6.0 + n, longitude=2.0, country="Benin")

    plain = client.get("/map/pins.json?nocache=gzip")
    packed = client.get("/map/pins.json?nocache=gzip", HTTP_ACCEPT_ENCODING="gzip, br")

    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(packed.content)) == plain.json()
    assert "Accept-Encoding" in packed["Vary"]


def test_it_fetches_the_pins_instead_of_embedding_them_in_the_map_page(client, published):
    published(title="Pinned in Peru", latitude=-12.0, longitude=-77.0, country="Peru")

    response = client.get("/map/?country=Peru&page=2&nocache=1")
    html = response.content.decode()

    assert response.context["located"] == 1
    assert response.context["countries"] == [("Peru", "PER", 1)]  # (name, ISO 3166 code, plans)
    assert "Pinned in Peru" not in html  # the pins are not in the page…
    assert 'data-pins="/map/pins.json?country=Peru"' in html  # …but fetched with the page's filters only


def test_it_escapes_plan_titles_in_the_map_data(client, published):
    published(title="</script><script>alert(1)</script>", latitude=1.0, longitude=1.0)

    html = client.get("/map/").content.decode()
    response = client.get("/map/pins.json?nocache=escaping")  # the page cache may hold another test's pins

    assert "</script><script>alert(1)" not in html
    assert response["Content-Type"] == "application/json"
    assert response.json()["pins"][0][3] == "</script><script>alert(1)</script>"


def test_it_computes_statistics_over_the_filtered_published_plans(client, published, plan_factory):
    a = published(title="A", year=2021, kind="opening", country="Peru")
    a.methods.add("Ethnography")
    a.sdgs.add(SDG.objects.get(number=1))
    a.learning_questions.create(question="q1", stages=["sense", "explore"])
    a.learning_questions.create(question="q2", stages=["sense"])
    b = published(
        title="B", year=2022, kind="closing", country="Chile", handover_options=["Scaled up", "Dropped"]
    )
    b.methods.add("Ethnography", "Drones")
    draft = plan_factory(title="Draft", status=Plan.Status.DRAFT, country="Peru", handover_options=["Secret"])
    draft.methods.add("Drones")

    ctx = client.get("/stats/").context
    assert ctx["total"] == 2
    assert [(r["label"], r["count"]) for r in ctx["methods"]] == [("Ethnography", 2), ("Drones", 1)]
    assert [(r["label"], r["count"]) for r in ctx["stages"]] == [
        ("Sense", 2),
        ("Explore", 1),
        ("Test", 0),
        ("Grow", 0),
    ]
    assert sorted((r["label"], r["count"]) for r in ctx["handover"]) == [("Dropped", 1), ("Scaled up", 1)]
    assert [(y["label"], y["count"], y["kinds"]) for y in ctx["years"]] == [
        (2021, 1, [1, 0, 0]),
        (2022, 1, [0, 1, 0]),
    ]
    assert next(r["count"] for r in ctx["sdgs"] if r["value"] == 1) == 1

    ctx = client.get("/stats/?country=Peru").context
    assert ctx["total"] == 1
    assert [(r["label"], r["count"]) for r in ctx["countries"]] == [("Peru", 1)]
    html = client.get("/stats/").content.decode()
    assert "<table" in html and "Secret" not in html


def test_it_counts_plans_per_year_and_kind_with_the_undated_last(client, published, plan_factory):
    published(title="A", year=2022, kind="closing")
    published(title="B", year=None, kind="opening")
    published(title="C", year=2021, kind="opening")
    published(title="D", year=2021, kind="closing")
    plan_factory(title="Draft", year=2019, kind="opening")

    years = client.get("/stats/").context["years"]
    assert [(str(y["label"]), y["count"], y["kinds"]) for y in years] == [
        ("2021", 2, [1, 1, 0]),
        ("2022", 1, [0, 1, 0]),
        ("Unknown", 1, [1, 0, 0]),
    ]
    assert [y["percent"] for y in years] == [100, 50, 50]
    years = client.get("/stats/?kind=opening").context["years"]
    assert [(str(y["label"]), y["count"]) for y in years] == [("2021", 1), ("Unknown", 1)]


def test_it_publishes_an_atom_feed_of_published_plans(client, published, plan_factory):
    published(title="In the feed", tweet_summary="Short <b>summary</b>")
    plan_factory(title="Not in the feed", status=Plan.Status.DRAFT)

    response = client.get("/feeds/plans/")
    body = response.content.decode()

    assert response["Content-Type"].startswith("application/atom+xml")
    assert "In the feed" in body and "Not in the feed" not in body


def test_it_lists_published_plans_in_the_sitemap(client, published, plan_factory):
    plan = published(title="Mapped")
    draft = plan_factory(title="Unmapped", status=Plan.Status.DRAFT)

    body = whole_sitemap(client)

    assert f"/plans/{plan.slug}/</loc>" in body
    assert f"/plans/{draft.slug}/" not in body
    assert "/map/</loc>" in body and "/stats/</loc>" in body


def test_it_lists_every_plan_on_the_pages_of_the_sitemap_index(client, published, monkeypatch):
    """A sitemap page holds `limit` URLs (three languages a plan); the index lists every page, so that no plan
    is unreachable past the first page, and each page reads only its own plans."""
    monkeypatch.setattr(PlanSitemap, "limit", 4)
    plans = [published(title=f"Paged {i}") for i in range(5)]  # 15 URLs: 4 pages

    index = client.get("/sitemap.xml").content.decode()
    body = whole_sitemap(client)

    assert "/sitemap-plans.xml?p=4</loc>" in index and "?p=5" not in index
    for plan in plans:
        for prefix in ("", "/fr", "/es"):
            assert body.count(f"<loc>http://testserver{prefix}/plans/{plan.slug}/</loc>") == 1
    assert "<lastmod>" in index  # the newest plan's date, without reading every plan
    with CaptureQueriesContext(connection) as queries:
        client.get("/sitemap-plans.xml?p=2")
    read = [q["sql"] for q in queries if '"plans_plan"."slug"' in q["sql"]]
    assert read and all("LIMIT" in sql for sql in read)  # Django's own reads every plan for each page


def test_it_serves_robots_txt_with_the_sitemap(client):
    response = client.get("/robots.txt")

    assert response["Content-Type"].startswith("text/plain")
    assert "Disallow: /admin/" in response.content.decode()
    assert "Sitemap: http://testserver/sitemap.xml" in response.content.decode()


def test_it_answers_unknown_pages_with_the_site_404(client, settings, db):
    settings.DEBUG = False
    response = client.get("/plans/no-such-plan/")

    assert response.status_code == 404
    assert "We could not find this page" in response.content.decode()


def test_it_renders_the_500_page(rf):
    from plans.views import server_error

    response = server_error(rf.get("/"))

    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


def _grow(published, n):
    with search.batch():  # index each plan once, not after each tag: most of the time it takes
        for i in range(n):
            p = published(title=f"Filler {i}", country=f"C{i % 5}")
            p.methods.add(f"m{i % 9}")


def test_it_renders_a_plan_with_a_query_count_independent_of_the_number_of_plans(
    client, full_plan, published, django_assert_max_num_queries, django_assert_num_queries
):
    url = f"/plans/{full_plan.slug}/"
    _grow(published, 4)
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    _grow(published, 25)
    with django_assert_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "url", ["/", "/map/", "/map/pins.json", "/stats/", "/feeds/plans/", "/sitemap.xml", "/sitemap-plans.xml"]
)
def test_it_keeps_other_pages_within_a_fixed_query_count(
    client, published, django_assert_max_num_queries, django_assert_num_queries, url
):
    _grow(published, 5)
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    _grow(published, 25)  # 30 plans: more than a page, enough to show growth, cheap to make
    with django_assert_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    ("prefix", "heading", "plans"),
    [("", "Questions", "Plans"), ("/fr", "Questions", "Plans"), ("/es", "Preguntas", "Planes")],
)
def test_it_heads_the_count_of_stages_with_questions_not_plans(client, published, prefix, heading, plans):
    from plans.models import LearningQuestion

    plan = published(title="Stages")
    LearningQuestion.objects.create(plan=plan, position=9, stages=["sense"])

    html = client.get(f"{prefix}/stats/").content.decode()

    charts = re.findall(r"<figure class=\"chart\">.*?</figure>", html, re.S)
    counted = [re.search(r'<th scope="col" class="num">([^<]*)</th>', c) for c in charts]
    headings = [m.group(1) for m in counted if m]
    assert headings.count(heading) == 1  # the stages' table, the only one counting questions
    assert headings.count(plans) >= 2  # the others count plans


def test_it_charts_plans_per_year_and_kind_in_the_reader_s_language():
    years = [
        {"label": 2021, "count": 5, "kinds": [3, 2], "percent": 100},
        {"label": "<Unknown>", "count": 1, "kinds": [0, 1], "percent": 20},
    ]
    with translation.override("fr"):
        chart = str(presentation.year_table(years, ["Plan <d'ouverture>", "Rapport"]))
        empty = str(presentation.year_table([], ["Plan d'ouverture", "Rapport"]))

    assert "<figcaption>Plans par année et par type</figcaption>" in chart
    head = re.search(r"<thead>(.*?)</thead>", chart)[1]
    assert re.findall(r"<th[^>]*>([^<]*)", head) == [
        "Année",
        "Plan &lt;d&#x27;ouverture&gt;",
        "Rapport",
        "Total",
        "",
    ]
    rows = re.findall(r"<tr><th scope=\"row\">([^<]*)</th>((?:<td class=\"num\">\d+</td>)+)", chart)
    assert [(label, re.findall(r"\d+", cells)) for label, cells in rows] == [
        ("2021", ["3", "2", "5"]),
        ("&lt;Unknown&gt;", ["0", "1", "1"]),
    ]
    assert 'style="width: 20%"' in chart
    assert "<table" not in empty and "<p>Aucune donnée pour ces filtres.</p>" in empty


def test_it_charts_rows_with_escaped_headings_or_says_there_is_nothing_to_chart():
    rows = [{"label": "Kenya <b>", "count": 3, "value": "KEN", "percent": 100, "colour": ""}]

    chart = str(presentation.bar_table("Plans & <countries>", rows, mark_safe("<i>Country</i>"), "country"))
    with translation.override("fr"):
        empty = str(presentation.bar_table("Méthodes", [], "Méthode"))

    assert "<figcaption>Plans &amp; &lt;countries&gt;</figcaption>" in chart
    assert '<th scope="col"><i>Country</i></th>' in chart  # given safe: kept as it is
    assert '<a href="/plans/?country=KEN">Kenya &lt;b&gt;</a>' in chart and '<td class="num">3</td>' in chart
    assert "<table" not in empty and "<p>Aucune donnée pour ces filtres.</p>" in empty
