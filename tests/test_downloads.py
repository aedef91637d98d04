"""Open-data downloads: every format parses back with a standard reader and holds exactly the plans of the
filtered list; nothing unpublished, no unapproved blog link and no focal-point e-mail ever leaves."""

import csv
import io
import json
import zipfile
from datetime import timedelta

import openpyxl
import pytest
from django.db import connection
from django.db.models import Prefetch
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from plans import search
from plans.filters import PlanFilter
from plans.models import (
    SDG,
    BlogLink,
    DatasourceTag,
    Insight,
    LearningQuestion,
    MethodTag,
    Partnership,
    Plan,
    ThematicAreaTag,
)
from tests.conftest import CORPUS, needs_corpus

SECRET_EMAIL = "secret.person@undp.org"
PENDING_URL = "https://example.org/pending-blog"
REJECTED_URL = "https://example.org/rejected-blog"
APPROVED_URL = "https://example.org/approved-blog"
HIDDEN_TITLES = ("Hidden draft plan", "Hidden submitted plan", "Hidden withdrawn plan")


def open_data(plan_factory, lab_b):
    """Three published plans (a hybrid and a closing report in Viet Nam, a French opening plan in Peru),
    one plan of each unpublished status, and blog links of every status; every plan carries a focal-point
    e-mail. Each answer sits in a form that asks for it, so that the archive format can carry it. Returns
    {name: plan}."""
    now = timezone.now()

    def published(days_ago, **kwargs):
        kwargs.setdefault("focal_point_email", SECRET_EMAIL)
        kwargs.update(status=Plan.Status.PUBLISHED, published_at=now - timedelta(days=days_ago))
        return plan_factory(**kwargs)

    water = published(
        1,
        title="Water kiosks in Hanoi",
        kind=Plan.Kind.HYBRID,
        form_version=Plan.FormVersion.HYBRID,
        year=2023,
        latitude=21.03,
        longitude=105.85,
        challenge_statement="Households ration drinking water; kiosks might help. =SUM(A1:A2)",
        challenge_type="big_bet",
        tweet_summary="Café owners and Đà Nẵng vendors",
        time_sense=40,
        time_explore=30,
        time_test=20,
        time_grow=10,
    )
    water.methods.add("Co-creation", "Participatory Design")
    water.datasources.add("Geospatial data")
    water.thematic_areas.add("water")
    water.sdgs.add(SDG.objects.get(number=6), SDG.objects.get(number=13))
    Insight.objects.create(plan=water, position=0, text="Kiosks near schools sold most.")
    Insight.objects.create(plan=water, position=1, text="Prices; not distance, decided.")
    Partnership.objects.create(plan=water, position=0, name="Hanoi Water Board", sector="government")
    LearningQuestion.objects.create(plan=water, question="Who buys water?", stages=["sense", "test"])
    for position, (url, status) in enumerate(
        [(APPROVED_URL, "approved"), (PENDING_URL, "pending"), (REJECTED_URL, "rejected")]
    ):
        BlogLink.objects.create(plan=water, position=position, url=url, status=status)

    waste = published(
        3,
        title="Waste pickers' cooperatives",
        year=2022,
        kind=Plan.Kind.CLOSING,
        form_version=Plan.FormVersion.CLOSING_V2,
        latitude=10.8,
        longitude=106.6,
        handover_options=["policy"],
    )
    waste.methods.add("Co-creation")
    waste.sdgs.add(SDG.objects.get(number=13))

    french = published(
        2,
        title="Déchets ménagers à Lima",
        lab=lab_b,
        year=2023,
        language="fr",
        challenge_statement="Les abattoirs produisent des déchets organiques.",
        challenge_type="exploratory",
    )
    french.methods.add("Ethnography")
    LearningQuestion.objects.create(plan=french, question="Que deviennent les déchets des abattoirs ?")
    french.thematic_areas.add("water")

    plans = {"water": water, "waste": waste, "french": french}
    for title, status in zip(HIDDEN_TITLES, ["draft", "submitted", "withdrawn"], strict=True):
        hidden = plan_factory(title=title, status=status, focal_point_email=SECRET_EMAIL, year=2023)
        hidden.methods.add("Co-creation")
        hidden.sdgs.add(SDG.objects.get(number=13))
        plans[status] = hidden
    return plans


@pytest.fixture
def data(plan_factory, lab_b):
    with search.batch():  # index each plan once, not after each child and tag: two thirds of the time
        return open_data(plan_factory, lab_b)


# ------------------------------------------------------------------ reading each format back


def read_csv(response) -> list[dict]:
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 byte order mark missing"
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def read_xlsx(response) -> list[dict]:
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = list(book["plans"].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def read_json(response):
    return json.loads(b"".join(response.streaming_content))


PACKAGE_FILES = ("datapackage.json", "LICENSE.txt")


def read_zip(response) -> dict[str, str]:
    """The archive files of a ZIP download, which ends with its data package and licence."""
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        assert archive.testzip() is None
        files = {name: archive.read(name).decode() for name in archive.namelist()}
    assert list(files)[-2:] == list(PACKAGE_FILES)
    return {name: text for name, text in files.items() if name not in PACKAGE_FILES}


def slugs_of(fmt: str, response) -> list[str]:
    if fmt == "csv":
        return [row["slug"] for row in read_csv(response)]
    if fmt == "xlsx":
        return [row["slug"] for row in read_xlsx(response)]
    if fmt == "json":
        return [plan["slug"] for plan in read_json(response)["results"]]
    if fmt == "geojson":
        return [feature["id"] for feature in read_json(response)["features"]]
    raise AssertionError(fmt)


def expected_slugs(query: dict) -> list[str]:
    """What the public list shows for these parameters, in its order."""
    from django.http import QueryDict

    data = QueryDict(mutable=True)
    for key, value in query.items():
        data.setlist(key, value if isinstance(value, list) else [value])
    return list(PlanFilter(data, queryset=Plan.objects.published()).sorted().values_list("slug", flat=True))


FORMATS = ["csv", "xlsx", "json", "geojson"]
QUERIES = [
    {},
    {"country": "Vietnam"},
    {"year": "2023"},
    {"kind": "closing"},
    {"language": "fr"},
    {"methods": "co-creation"},
    {"methods": ["ethnography", "participatory-design"]},
    {"thematic_areas": "water", "country": "Peru"},
    {"sdgs": "13"},
    {"datasources": "geospatial-data"},
    {"q": "abattoirs"},
    {"sort": "title"},
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("query", QUERIES, ids=lambda q: "&".join(f"{k}={v}" for k, v in q.items()) or "all")
def test_it_holds_exactly_the_filtered_plans_in_the_lists_order(client, data, fmt, query):
    response = client.get(reverse(f"downloads:{fmt}"), query)
    assert response.status_code == 200
    assert slugs_of(fmt, response) == expected_slugs(query)


def test_it_filters_as_the_list_does(client, data):
    # Guards the parametrized test above against comparing two empty or identical lists.
    assert expected_slugs({}) == [data["water"].slug, data["french"].slug, data["waste"].slug]
    assert expected_slugs({"methods": "co-creation"}) == [data["water"].slug, data["waste"].slug]
    assert expected_slugs({"q": "abattoirs"}) == [data["french"].slug]
    assert expected_slugs({"sort": "title"}) == [data["french"].slug, data["waste"].slug, data["water"].slug]


def test_it_streams_the_list_downloads(client, data):
    for fmt in ("csv", "json", "geojson", "zip"):
        response = client.get(reverse(f"downloads:{fmt}"))
        assert response.streaming, fmt
        assert response["Content-Disposition"].startswith("attachment; filename=")


def test_it_writes_tags_and_children_into_csv_cells(client, data):
    (row,) = read_csv(client.get(reverse("downloads:csv"), {"country": "Vietnam", "year": "2023"}))
    assert row["title"] == "Water kiosks in Hanoi"
    assert row["methods"] == "Co-creation; Participatory Design"
    assert row["sdgs"] == "; ".join(f"{s.number}. {s.name}" for s in SDG.objects.filter(number__in=[6, 13]))
    assert row["tweet_summary"] == "Café owners and Đà Nẵng vendors"
    assert row["insights"] == "Kiosks near schools sold most.\n\nPrices; not distance, decided."
    assert row["blog_links"] == APPROVED_URL
    assert row["time_sense"] == "40"
    assert row["url"] == "http://testserver" + data["water"].get_absolute_url()


def test_it_writes_answers_that_open_like_formulas_as_text_in_csv(client, data):
    Plan.objects.filter(pk=data["water"].pk).update(
        background='=HYPERLINK("http://evil.example","x")', why_data="-1+2", time_sense=40
    )

    (row,) = read_csv(client.get(reverse("downloads:csv"), {"country": "Vietnam", "year": "2023"}))

    assert row["background"] == '\'=HYPERLINK("http://evil.example","x")'
    assert row["why_data"] == "'-1+2"
    assert row["time_sense"] == "40"
    assert row["title"] == "Water kiosks in Hanoi"


def test_it_writes_answers_as_text_not_formulas_in_xlsx(client, data):
    response = client.get(reverse("downloads:xlsx"), {"q": "kiosks"})
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book["plans"]
    header = [cell.value for cell in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("challenge_statement") + 1)
    assert cell.data_type == "s"
    assert cell.value.endswith("=SUM(A1:A2)")
    assert sheet.cell(row=2, column=header.index("methods") + 1).value == "Co-creation; Participatory Design"


def test_it_drops_control_characters_and_cuts_overlong_cells_in_xlsx(client, data):
    Plan.objects.filter(pk=data["water"].pk).update(background="bell\x07 here", why_data="x" * 40000)
    (row,) = read_xlsx(client.get(reverse("downloads:xlsx"), {"q": "kiosks"}))
    assert row["background"] == "bell here"
    assert len(row["why_data"]) == 32767
    assert row["why_data"].endswith(" […]")


def test_it_writes_the_whole_plan_into_json(client, data):
    body = read_json(client.get(reverse("downloads:json"), {"q": "kiosks"}))
    assert body["count"] == 1
    (plan,) = body["results"]
    assert plan["methods"] == [
        {"slug": "co-creation", "name": "Co-creation"},
        {"slug": "participatory-design", "name": "Participatory Design"},
    ]
    assert [s["number"] for s in plan["sdgs"]] == [6, 13]
    assert [i["text"] for i in plan["insights"]] == [
        "Kiosks near schools sold most.",
        "Prices; not distance, decided.",
    ]
    assert plan["partners"][0]["name"] == "Hanoi Water Board"
    assert plan["learning_questions"][0]["stages"] == ["sense", "test"]
    assert plan["time_split"] == {"sense": 40, "explore": 30, "test": 20, "grow": 10}
    assert plan["blog_links"] == [{"url": APPROVED_URL, "title": ""}]


def test_it_puts_a_point_per_plan_into_geojson(client, data):
    response = client.get(reverse("downloads:geojson"))
    assert response["Content-Type"] == "application/geo+json"
    collection = read_json(response)
    assert collection["type"] == "FeatureCollection"
    features = {f["id"]: f for f in collection["features"]}
    assert features[data["water"].slug]["geometry"] == {"type": "Point", "coordinates": [105.85, 21.03]}
    assert features[data["water"].slug]["properties"]["title"] == "Water kiosks in Hanoi"
    # A plan without coordinates is still listed, with no geometry (RFC 7946 §3.2).
    assert features[data["french"].slug]["geometry"] is None


def test_it_serves_one_plan_as_json_like_the_api(client, data):
    slug = data["water"].slug
    own = client.get(reverse("downloads:plan_json", kwargs={"slug": slug}))
    api = client.get(reverse("api:plan-detail", kwargs={"slug": slug}), HTTP_ACCEPT="application/json")
    assert own.status_code == 200
    assert own.json() == api.json()


@pytest.mark.parametrize("status", ["draft", "submitted", "withdrawn"])
def test_it_answers_404_for_an_unpublished_plan(client, data, status, superuser):
    # Even for a superuser: downloads are open data, and open data is published plans only.
    client.force_login(superuser)
    assert client.get(reverse("downloads:plan_json", kwargs={"slug": data[status].slug})).status_code == 404


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json", "geojson", "zip"])
def test_it_reads_the_same_number_of_queries_for_3_and_30_plans(client, data, plan_factory, fmt):
    def queries():
        with CaptureQueriesContext(connection) as context:
            response = client.get(reverse(f"downloads:{fmt}"))
            b"".join(response.streaming_content)
        return len(context.captured_queries)

    few = queries()
    with search.batch():  # index each plan once, not after each child: most of the time it takes
        for n in range(27):
            plan = plan_factory(title=f"Extra {n}", status=Plan.Status.PUBLISHED, published_at=timezone.now())
            plan.methods.add(f"method {n}")
            Insight.objects.create(plan=plan, text="insight")
            BlogLink.objects.create(plan=plan, url=f"https://example.org/{n}", status="approved")
    assert Plan.objects.published().count() == 30
    assert queries() == few


# ------------------------------------------------------------------ ZIP of archive files


def test_it_zips_one_archive_file_per_plan(client, data):
    from plans.archive.parse import parse

    Plan.objects.filter(pk=data["water"].pk).update(source_file="../../water_kiosks.md")
    files = read_zip(client.get(reverse("downloads:zip"), {"country": "Vietnam"}))
    # The stored name without its folders, so that unpacking cannot write outside the target folder.
    assert sorted(files) == sorted(["water_kiosks.md", f"{data['waste'].slug}.md"])
    document, warnings = parse(files["water_kiosks.md"])
    assert warnings == []  # what we write reads back without a single recovered oddity
    assert "Water kiosks in Hanoi" in files["water_kiosks.md"]


def test_it_serves_one_plan_in_archive_format(client, data):
    response = client.get(reverse("plans:archive", kwargs={"slug": data["waste"].slug}))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response.content.decode().startswith("# Waste pickers' cooperatives")


@override_settings(PUBLIC_FOCAL_POINT_EMAILS=False)
def test_it_keeps_private_parts_from_a_focal_point_of_another_lab(client, data, other_focal_point):
    """Bob is staff, but of lab B: lab A's published plan is as public for him as for anybody."""
    client.force_login(other_focal_point)
    response = client.get(reverse("plans:archive", kwargs={"slug": data["water"].slug}))
    assert response.status_code == 200
    text = response.content.decode()
    assert APPROVED_URL in text
    assert PENDING_URL not in text
    assert REJECTED_URL not in text
    assert SECRET_EMAIL not in text


@override_settings(PUBLIC_FOCAL_POINT_EMAILS=False)
@pytest.mark.parametrize("persona", ["focal_point", "reviewer", "superuser"])
def test_it_gives_private_parts_to_the_plans_lab_and_its_reviewers(client, data, persona, request):
    client.force_login(request.getfixturevalue(persona))
    text = client.get(reverse("plans:archive", kwargs={"slug": data["water"].slug})).content.decode()
    assert PENDING_URL in text
    assert REJECTED_URL in text
    assert SECRET_EMAIL in text


BROKEN_LAYOUTS = [
    {
        "v": 1,
        "sections": [{"h": "X", "m": False, "k": None, "items": [{"p": None, "k": None, "parts": [["zz"]]}]}],
    },
    {"v": 1, "sections": 5},
    {"v": 1, "title": 7, "sections": []},
]


@pytest.mark.parametrize("layout", BROKEN_LAYOUTS)
def test_it_leaves_a_plan_with_a_broken_layout_out_of_the_zip_and_logs_it(client, data, layout, caplog):
    Plan.objects.filter(pk=data["water"].pk).update(archive_layout=layout)
    files = read_zip(client.get(reverse("downloads:zip")))
    assert sorted(files) == sorted(f"{data[n].slug}.md" for n in ("waste", "french"))
    assert f"plan {data['water'].pk} ({data['water'].slug})" in caplog.text


@pytest.mark.parametrize("layout", BROKEN_LAYOUTS)
def test_it_answers_a_clean_error_for_the_archive_file_of_a_broken_plan(client, data, layout):
    Plan.objects.filter(pk=data["water"].pk).update(archive_layout=layout)
    response = client.get(reverse("plans:archive", kwargs={"slug": data["water"].slug}))
    assert response.status_code == 409
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "cannot be written in the archive format" in response.content.decode()


def test_it_names_a_file_without_the_line_breaks_of_its_stored_name(client, data):
    Plan.objects.filter(pk=data["water"].pk).update(source_file="water\r\nSet-Cookie: x=1.md")
    response = client.get(reverse("plans:archive", kwargs={"slug": data["water"].slug}))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="waterSet-Cookie: x=1.md"'
    assert "waterSet-Cookie: x=1.md" in read_zip(client.get(reverse("downloads:zip")))


def summary(plan):
    """What the archive format carries of a plan (it has no field for the language: a French plan is told
    by its French headings, which only an imported plan's layout holds)."""
    return (
        plan.title,
        plan.kind,
        plan.year,
        plan.country,
        plan.latitude,
        plan.longitude,
        plan.challenge_statement,
        plan.challenge_type,
        tuple(plan.handover_options),
        tuple(plan.time_split),
        tuple(t.name for t in plan.methods.all()),
        tuple(t.name for t in plan.datasources.all()),
        tuple(t.name for t in plan.thematic_areas.all()),
        tuple(s.number for s in plan.sdgs.all()),
        tuple(i.text for i in plan.insights.all()),
        tuple(p.name for p in plan.partnerships.all()),
        tuple(q.question for q in plan.learning_questions.all()),
        tuple(b.url for b in plan.blog_links.all()),
    )


SUMMARY_PREFETCH = (
    "methods",
    "datasources",
    "thematic_areas",
    "sdgs",
    "insights",
    "partnerships",
    "learning_questions",
)


def test_it_round_trips_the_zip_through_import_plans(client, data, tmp_path):
    from django.core.management import call_command

    files = read_zip(client.get(reverse("downloads:zip")))
    before = {
        p.title: summary(p)
        for p in Plan.objects.published().prefetch_related(
            *SUMMARY_PREFETCH, Prefetch("blog_links", BlogLink.objects.filter(status="approved"))
        )
    }
    assert len(before) == 3
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    # A fresh database: nothing of the exported plans is left for the importer to find.
    Plan.objects.all().delete()
    for model in (MethodTag, DatasourceTag, ThematicAreaTag):
        model.objects.all().delete()
    call_command("import_plans", str(tmp_path), stdout=io.StringIO())
    after = {p.title: summary(p) for p in Plan.objects.prefetch_related(*SUMMARY_PREFETCH, "blog_links")}
    assert sorted(after) == sorted(before)
    for title, plan in before.items():
        assert after[title] == plan
    assert not BlogLink.objects.filter(url__in=[PENDING_URL, REJECTED_URL]).exists()


# ------------------------------------------------------------------ what never leaves


def text_of(fmt: str, response) -> str:
    """Everything a reader of this output sees, as one string."""
    if fmt == "xlsx":
        return "\n".join(str(v) for row in read_xlsx(response) for v in [*row.keys(), *row.values()])
    if fmt == "zip":
        files = read_zip(response)
        return "\n".join([*files, *files.values()])
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return body.decode("utf-8-sig")


def _outputs(data):
    water = data["water"].slug
    return {
        "csv": reverse("downloads:csv"),
        "xlsx": reverse("downloads:xlsx"),
        "json": reverse("downloads:json"),
        "geojson": reverse("downloads:geojson"),
        "zip": reverse("downloads:zip"),
        "plan_json": reverse("downloads:plan_json", kwargs={"slug": water}),
        "plan_archive": reverse("plans:archive", kwargs={"slug": water}),
        "api_list": reverse("api:plan-list") + "?format=json",
        "api_detail": reverse("api:plan-detail", kwargs={"slug": water}) + "?format=json",
        "api_tags": reverse("api:tags", kwargs={"vocabulary": "methods"}) + "?format=json",
        "api_sdgs": reverse("api:tags", kwargs={"vocabulary": "sdgs"}) + "?format=json",
    }


OUTPUTS = list(_outputs({"water": Plan(slug="x")}))
# Outputs that show a focal point's e-mail when the site publishes them (tag counts have none).
WITH_EMAILS = [o for o in OUTPUTS if not o.startswith("api_tags") and o != "api_sdgs"]


@pytest.mark.parametrize("output", OUTPUTS)
def test_it_never_shows_unpublished_plans_unapproved_links_or_emails(client, data, output):
    response = client.get(_outputs(data)[output])
    assert response.status_code == 200
    text = text_of(output, response)
    assert text.strip()
    for title in HIDDEN_TITLES:
        assert title not in text
    assert PENDING_URL not in text
    assert REJECTED_URL not in text
    assert SECRET_EMAIL not in text
    assert "@" not in text


@pytest.mark.parametrize("output", WITH_EMAILS)
def test_it_shows_emails_when_the_site_publishes_them(client, data, output):
    with override_settings(PUBLIC_FOCAL_POINT_EMAILS=True):
        response = client.get(_outputs(data)[output])
        assert SECRET_EMAIL in text_of(output, response)


def test_it_links_the_downloads_of_the_current_filtered_list(client, data, rf):
    from django.template.loader import render_to_string

    request = rf.get("/plans/", {"methods": ["co-creation", "ethnography"], "sort": "title", "page": "2"})
    html = render_to_string("plans/includes/downloads.html", request=request)
    for fmt in ("csv", "xlsx", "json", "geojson", "zip"):
        assert (
            f'href="{reverse(f"downloads:{fmt}")}?methods=co-creation&amp;methods=ethnography&amp;sort=title"'
            in html
        )
    unfiltered = render_to_string("plans/includes/downloads.html", request=rf.get("/plans/"))
    assert f'href="{reverse("downloads:csv")}"' in unfiltered


@needs_corpus
@pytest.mark.corpus
def test_it_round_trips_real_archive_files_through_the_zip(client, db, tmp_path):
    """Real plans (every 20th corpus file: opening plans, both closing forms, French and Spanish ones):
    imported, downloaded as a ZIP, imported again into an empty database, they say the same in the API."""
    from django.core.management import call_command

    from plans.api.serializers import PlanDetailSerializer
    from plans.downloads import prefetch

    sample = sorted(CORPUS.glob("*.md"))[::20]
    source = tmp_path / "source"
    source.mkdir()
    for path in sample:
        (source / path.name).write_bytes(path.read_bytes())
    call_command("import_plans", str(source), stdout=io.StringIO(), stderr=io.StringIO())

    def state():
        volatile = {"url", "api_url", "updated_at", "modified_at"}
        plans = prefetch(Plan.objects.published()).order_by("source_file")
        return {
            plan.source_file: {k: v for k, v in PlanDetailSerializer(plan).data.items() if k not in volatile}
            for plan in plans
        }

    before = state()
    assert len(before) == len(sample)
    files = read_zip(client.get(reverse("downloads:zip")))
    assert sorted(files) == sorted(before)

    exported = tmp_path / "exported"
    exported.mkdir()
    for name, text in files.items():
        (exported / name).write_text(text, encoding="utf-8")
    with search.batch():  # without it each deleted child re-indexes its plan: most of this test's time
        Plan.objects.all().delete()
        for model in (MethodTag, DatasourceTag, ThematicAreaTag):
            model.objects.all().delete()
    call_command("import_plans", str(exported), stdout=io.StringIO(), stderr=io.StringIO())

    after = state()
    assert sorted(after) == sorted(before)
    for name, plan in before.items():
        assert after[name] == plan, name


# ------------------------------------------------------------------ printing a plan


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_prints_a_plan_on_a4_without_navigation_and_with_link_addresses(page, lab_a):
    plan = Plan.objects.create(
        title="Compost from Hanoi markets",
        lab=lab_a,
        country="Vietnam",
        year=2023,
        status=Plan.Status.PUBLISHED,
        published_at=timezone.now(),
        kind=Plan.Kind.CLOSING,
        form_version=Plan.FormVersion.CLOSING_V2,
        time_sense=40,
        time_explore=30,
        time_test=20,
        time_grow=10,
        handover_details="x" * 3000,  # one unbroken word far wider than the page
    )
    plan.blog_links.create(url=APPROVED_URL, title="What we learned", status="approved")
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    page.goto(plan.get_absolute_url())
    # base.html links print.css with media="print" once the public site adds it; until then, add it here.
    if not page.locator('link[href$="css/print.css"]').count():
        page.add_style_tag(url="/static/css/print.css")
    page.emulate_media(media="print")

    hidden = page.evaluate(
        """() => ['.site-header', '.site-footer', '.skip-link'].map(
            s => document.querySelector(s) && getComputedStyle(document.querySelector(s)).display)"""
    )
    assert hidden == ["none", "none", "none"]
    after = page.evaluate(
        """url => getComputedStyle(document.querySelector(`a[href="${url}"]`), '::after').content""",
        APPROVED_URL,
    )
    assert APPROVED_URL in after
    # Nothing runs past the right edge: no horizontal scrolling, the time-split table inside the page.
    overflow = page.evaluate(
        """() => ({
            scroll: document.documentElement.scrollWidth,
            client: document.documentElement.clientWidth,
            table: Math.max(
                0, ...[...document.querySelectorAll('table')].map(t => t.getBoundingClientRect().right)),
        })"""
    )
    assert overflow["scroll"] <= overflow["client"]
    assert 0 < overflow["table"] <= overflow["client"]
    assert page.pdf(format="A4").startswith(b"%PDF")


def test_it_links_the_downloads_of_the_filtered_list_from_the_list_page(client, data):
    html = client.get("/plans/", {"country": "Vietnam", "page": "1"}).content.decode()
    assert 'href="/plans/download.csv?country=Vietnam"' in html
    assert 'href="/plans/download.zip?country=Vietnam"' in html


def test_it_links_the_print_stylesheet_from_every_page(client, data):
    assert 'css/print.css" media="print"' in client.get("/").content.decode()
