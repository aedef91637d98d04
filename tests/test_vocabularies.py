"""Curated vocabularies (issue 16): one tag per idea, whatever its case, accents, spacing or punctuation;
merges and renames that keep old names as aliases; the CSV mapping; labels and categories."""

import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from plans import vocabularies
from plans.archive.dump import PREFETCH, dump
from plans.archive.write import write
from plans.models import SDG, DatasourceTag, MethodTag, Plan, TagChange, ThematicAreaTag
from plans.tag_keys import clean_name, tag_key
from tests.conftest import FIXTURES
from tests.test_admin import plan_form_data

OPENING = FIXTURES / "archive" / "real" / "youth_entrepreneurship.md"


def exported(plan) -> str:
    return write(dump(Plan.objects.prefetch_related(*PREFETCH).get(pk=plan.pk)))


def import_file(path) -> None:
    call_command("import_plans", str(path), stdout=io.StringIO(), stderr=io.StringIO())


# ---------------------------------------------------------------- one tag per key


@pytest.mark.parametrize(
    ("variant", "same"),
    [
        ("ethnography", "Ethnography"),
        ("Ethnography ", "Ethnography"),
        ("ethnography,", "Ethnography"),
        ("  ETHNOGRAPHY.", "Ethnography"),
        ("ethnógraphy", "Ethnography"),
        ("co creation", "co-creation"),
        ("co -creation", "co-creation"),
        ("Co-Creation", "co-creation"),
        ("economía circular", "Economia Circular"),
        ("systems  thinking", "Systems thinking"),
    ],
)
def test_it_gives_near_duplicates_one_key(variant, same):
    assert tag_key(variant) == tag_key(same)


def test_it_keeps_different_names_apart():
    assert tag_key("Solutions Mapping") != tag_key("solution mapping")  # a reviewer merges those
    assert tag_key("-") != tag_key("?")  # nothing but punctuation: each its own tag
    assert clean_name(" ethnography, ") == "ethnography"
    assert clean_name("Surveys (online)") == "Surveys (online)"


@pytest.mark.django_db
def test_it_reuses_the_tag_for_a_near_duplicate_entry(plan_factory):
    first, second = plan_factory(), plan_factory()
    first.methods.add("Ethnography")
    second.methods.add("ethnography", "Ethnography ", "ethnography,", "ethnógraphy", "  ETHNOGRAPHY.")
    assert list(MethodTag.objects.values_list("name", flat=True)) == ["Ethnography"]
    assert second.methods.get().pk == first.methods.get().pk
    second.datasources.set(["co creation", "co -creation", "co-creation"])
    assert list(DatasourceTag.objects.values_list("name", "slug")) == [("co creation", "co-creation")]


@pytest.mark.django_db
def test_it_reuses_the_tag_typed_in_the_admin_in_another_case(client, superuser, plan_factory):
    plan = plan_factory()
    plan_factory(title="Other").thematic_areas.add("Circular economy")
    client.force_login(superuser)
    data = plan_form_data(plan, client, thematic_areas="circular economy, CIRCULAR-ECONOMY ,")
    response = client.post(reverse("admin:plans_plan_change", args=[plan.pk]), data)
    assert response.status_code == 302
    assert list(ThematicAreaTag.objects.values_list("name", flat=True)) == ["Circular economy"]
    assert [t.name for t in plan.thematic_areas.all()] == ["Circular economy"]


@pytest.mark.django_db
def test_it_attaches_the_existing_tag_when_a_file_spells_it_otherwise(plan_factory, tmp_path):
    text = OPENING.read_text(encoding="utf-8")
    written = [line[len("[[methods:") : -2] for line in text.splitlines() if line.startswith("[[methods:")]
    assert written, "the fixture names methods"
    other = plan_factory()
    other.methods.add(*(f"{name.upper()} ," for name in written))
    before = MethodTag.objects.count()
    import_file(OPENING)
    plan = Plan.objects.get(source_file=OPENING.name)
    assert MethodTag.objects.count() == before
    assert {t.pk for t in plan.methods.all()} == {t.pk for t in other.methods.all()}
    # The export still writes each method as the file wrote it.
    assert [line for line in exported(plan).splitlines() if line.startswith("[[methods:")] == [
        f"[[methods:{name}]]" for name in written
    ]


@pytest.mark.django_db
def test_it_imports_two_spellings_in_one_file_as_one_tag(tmp_path):
    text = OPENING.read_text(encoding="utf-8")
    path = tmp_path / "two_spellings.md"
    path.write_text(text.replace("[[year:", "[[methods:Ethnography]]\n[[methods:ethnography ]]\n[[year:", 1))
    import_file(path)
    plan = Plan.objects.get(source_file=path.name)
    assert [t.name for t in plan.methods.filter(key="ethnography")] == ["Ethnography"]
    exported_lines = exported(plan).splitlines()
    assert "[[methods:Ethnography]]" in exported_lines and "[[methods:ethnography ]]" in exported_lines


# ---------------------------------------------------------------- the migration that merged the variants


@pytest.mark.django_db(transaction=True)
def test_it_merges_existing_variants_keeping_the_most_used_spelling():
    executor = MigrationExecutor(connection)
    before, after = [("plans", "0020_plan_revisions")], [("plans", "0023_tag_keys_unique")]
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    old_plan, old_tag = apps.get_model("plans", "Plan"), apps.get_model("plans", "MethodTag")
    through = apps.get_model("plans", "TaggedMethod")
    plans = [old_plan.objects.create(title=f"P{i}", slug=f"p{i}") for i in range(4)]
    rare = old_tag.objects.create(name="ethnography", slug="ethnography")
    common = old_tag.objects.create(name="Ethnography ", slug="ethnography_1")
    odd = old_tag.objects.create(name="ethnography,", slug="ethnography_2")
    other = old_tag.objects.create(name="Survey", slug="survey")
    for plan, tag in [(plans[0], rare), (plans[0], common), (plans[1], common), (plans[2], common)]:
        through.objects.create(content_object_id=plan.pk, tag_id=tag.pk)
    through.objects.create(content_object_id=plans[3].pk, tag_id=odd.pk)
    through.objects.create(content_object_id=plans[3].pk, tag_id=other.pk)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    apps = executor.loader.project_state(after).apps
    tags = apps.get_model("plans", "MethodTag")
    through = apps.get_model("plans", "TaggedMethod")
    assert sorted(tags.objects.values_list("name", "slug", "key")) == [
        ("Ethnography", "ethnography_1", "ethnography"),
        ("Survey", "survey", "survey"),
    ]
    kept = tags.objects.get(key="ethnography")
    assert sorted(a["slug"] for a in kept.aliases) == ["ethnography", "ethnography_2"]
    assert sorted(through.objects.filter(tag_id=kept.pk).values_list("content_object_id", flat=True)) == [
        p.pk for p in plans
    ]
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db
def test_it_refuses_two_tags_of_one_key_in_the_database(plan_factory):
    MethodTag.objects.create(name="Ethnography")
    with pytest.raises(IntegrityError), transaction.atomic():
        MethodTag.objects.bulk_create([MethodTag(name="ETHNOGRAPHY", slug="other", key="ethnography")])


# ---------------------------------------------------------------- merge, rename, undo


def listed(client, **params) -> set[str]:
    """Titles of the plans the API lists for these filters."""
    return {p["title"] for p in client.get("/api/plans/", params).json()["results"]}


def page_lists(client, title, **params) -> bool:
    return title in client.get(reverse("plans:list"), params).content.decode()


@pytest.fixture
def tagged(plan_factory):
    """Two published plans: one tagged "Solutions Mapping", one "solution mapping" and "Survey"."""
    a = plan_factory(title="Plan Alpha", status=Plan.Status.PUBLISHED)
    b = plan_factory(title="Plan Beta", status=Plan.Status.PUBLISHED)
    a.methods.add("Solutions Mapping")
    b.methods.add("solution mapping", "Survey")
    return a, b


def test_it_merges_tags_and_keeps_old_links_and_api_filters_working(client, tagged, reviewer):
    old = MethodTag.objects.get(name="solution mapping")
    target = MethodTag.objects.get(name="Solutions Mapping")
    preview = vocabularies.preview("methods", [old], target)
    assert (preview.name, preview.plans) == ("Solutions Mapping", 2)
    assert [(t.name, n) for t, n in preview.tags] == [("Solutions Mapping", 1), ("solution mapping", 1)]

    change = vocabularies.merge("methods", [old], target, by=reviewer)
    assert not MethodTag.objects.filter(pk=old.pk).exists()
    assert listed(client, methods=old.slug) == {"Plan Alpha", "Plan Beta"}  # the old slug still filters
    assert listed(client, methods=target.slug) == {"Plan Alpha", "Plan Beta"}
    assert page_lists(client, "Plan Beta", methods=old.slug)
    assert vocabularies.find("methods", "Solution-Mapping") == target  # suggestions and re-imports find it
    assert (change.actor, change.action) == (reviewer, TagChange.Action.MERGE)
    assert "solution mapping" in change.summary and "Solutions Mapping" in change.summary


def test_it_undoes_a_merge(tagged, reviewer):
    a, b = tagged
    b.methods.add("Solutions Mapping")  # Beta carried both: it keeps the target after the undo
    old = MethodTag.objects.get(name="solution mapping")
    old_pk, old_slug = old.pk, old.slug
    target = MethodTag.objects.get(name="Solutions Mapping")
    change = vocabularies.merge("methods", [old], target, by=reviewer)
    vocabularies.undo(change, by=reviewer)
    restored = MethodTag.objects.get(pk=old_pk)
    assert (restored.name, restored.slug) == ("solution mapping", old_slug)
    assert sorted(t.name for t in b.methods.all()) == ["Solutions Mapping", "Survey", "solution mapping"]
    assert [t.name for t in a.methods.all()] == ["Solutions Mapping"]
    assert MethodTag.objects.get(pk=target.pk).aliases == []
    change.refresh_from_db()
    assert change.undone_by == reviewer and change.undone_at is not None
    with pytest.raises(vocabularies.CurationError):
        vocabularies.undo(change)


def test_it_renames_a_tag_and_keeps_the_old_name_as_an_alias(client, tagged, reviewer):
    tag = MethodTag.objects.get(name="Survey")
    old_slug = tag.slug
    change = vocabularies.rename("methods", tag, "Household surveys", by=reviewer)
    tag.refresh_from_db()
    assert (tag.name, tag.slug) == ("Household surveys", "household-surveys")
    assert listed(client, methods=old_slug) == {"Plan Beta"}
    assert vocabularies.find("methods", "survey") == tag
    with pytest.raises(vocabularies.CurationError):
        vocabularies.rename("methods", tag, "solutions mapping")  # another tag's name: a merge
    vocabularies.undo(change, by=reviewer)
    tag.refresh_from_db()
    assert (tag.name, tag.slug, tag.aliases) == ("Survey", old_slug, [])


def test_it_keeps_reimports_and_the_export_unchanged_after_a_merge(tmp_path, reviewer):
    text = OPENING.read_text(encoding="utf-8")
    written = [line[len("[[methods:") : -2] for line in text.splitlines() if line.startswith("[[methods:")]
    path = tmp_path / OPENING.name
    path.write_text(text, encoding="utf-8")
    import_file(path)
    plan = Plan.objects.get(source_file=OPENING.name)
    before = exported(plan)
    sources = [MethodTag.objects.get(name=name) for name in written]
    target = MethodTag.objects.create(name="Curated method")
    vocabularies.merge("methods", sources, target, by=reviewer)
    assert [t.name for t in plan.methods.all()] == ["Curated method"]
    assert exported(plan) == before  # curation changes what the site shows, never what the plan said

    # A changed file that still names the old methods attaches the surviving tag, creating none.
    path.write_text(text.replace("[[year:", "[[datasources:Brand new source]]\n[[year:", 1), encoding="utf-8")
    count = MethodTag.objects.count()
    import_file(path)
    assert MethodTag.objects.count() == count
    assert [t.name for t in plan.methods.all()] == ["Curated method"]
    assert "[[datasources:Brand new source]]" in exported(plan)
    for name in written:
        assert f"[[methods:{name}]]" in exported(plan)


def test_it_merges_from_the_command_line(tagged, reviewer):
    out = io.StringIO()
    call_command(
        "merge_tags",
        "--vocabulary",
        "methods",
        "Solution mapping ",
        "Survey",
        "solutions mapping",
        stdout=out,
    )
    assert list(MethodTag.objects.values_list("name", flat=True)) == ["Solutions Mapping"]
    assert "Solutions Mapping" in out.getvalue()
    assert TagChange.objects.get().vocabulary == "methods"
    with pytest.raises(CommandError):
        call_command("merge_tags", "--vocabulary", "methods", "Nothing like it", "Solutions Mapping")


def test_it_finds_plans_by_a_broader_category_and_by_labels_and_aliases(client, plan_factory, reviewer):
    plan = plan_factory(title="Wastewater plan", status=Plan.Status.PUBLISHED)
    plan.thematic_areas.add("waste water")
    water = ThematicAreaTag.objects.create(name="water")
    narrow = ThematicAreaTag.objects.get(name="waste water")
    narrow.category, narrow.name_es = water, "aguas residuales"
    narrow.save()
    assert listed(client, thematic_areas="water") == {"Wastewater plan"}
    assert listed(client, q="residuales") == {"Wastewater plan"}
    other = plan_factory(title="Circular plan", status=Plan.Status.PUBLISHED)
    other.thematic_areas.add("economía circular")
    vocabularies.merge(
        "thematic_areas",
        [ThematicAreaTag.objects.get(name="economía circular")],
        ThematicAreaTag.objects.create(name="circular economy"),
        by=reviewer,
    )
    assert listed(client, q="economía circular") == {"Circular plan"}
    assert listed(client, q="circular economy") == {"Circular plan"}


# ---------------------------------------------------------------- the CSV mapping


def mapping(tmp_path, text: str):
    path = tmp_path / "mapping.csv"
    path.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("apply_tag_mapping", str(path), stdout=out, stderr=err)
        code = 0
    except CommandError:
        code = 1
    return out.getvalue(), err.getvalue(), code


def mapping_dry(tmp_path, text: str) -> str:
    path = tmp_path / "mapping.csv"
    path.write_text(text, encoding="utf-8")
    out = io.StringIO()
    call_command("apply_tag_mapping", str(path), "--dry-run", stdout=out, stderr=io.StringIO())
    return out.getvalue()


UNDP = """vocabulary,original name,canonical name,category
methods,solution mapping,Solutions Mapping,Mapping
methods,Survey,Surveys,
thematic_areas,economía circular,Circular economy,Environment
thematic_areas,Nowhere to be found,Anything,
"""


def test_it_applies_a_csv_mapping_after_a_dry_run_and_again_idempotently(client, tagged, tmp_path):
    a, b = tagged
    b.thematic_areas.add("Economia circular")
    before = sorted(MethodTag.objects.values_list("name", flat=True))
    summary = mapping_dry(tmp_path, UNDP)
    assert summary.startswith("dry run: 1 merged, 2 renamed, 2 filed under a category")
    assert "1 not found" in summary
    assert sorted(MethodTag.objects.values_list("name", flat=True)) == before
    assert not TagChange.objects.exists()

    out, err, code = mapping(tmp_path, UNDP)
    assert (code, err) == (0, "")
    assert out.startswith("1 merged, 2 renamed, 2 filed under a category")
    assert sorted(MethodTag.objects.values_list("name", flat=True)) == [
        "Mapping",
        "Solutions Mapping",
        "Surveys",
    ]
    assert MethodTag.objects.get(name="Solutions Mapping").category.name == "Mapping"
    assert ThematicAreaTag.objects.get(name="Circular economy").category.name == "Environment"
    assert listed(client, methods="survey") == {"Plan Beta"}
    assert listed(client, methods="mapping") == {"Plan Alpha", "Plan Beta"}

    changes = TagChange.objects.count()
    out, err, code = mapping(tmp_path, UNDP)
    assert out.startswith("0 merged, 0 renamed, 0 filed under a category, 3 already as mapped")
    assert TagChange.objects.count() == changes


def test_it_names_the_bad_rows_of_a_mapping_with_their_line_and_changes_nothing(tagged, tmp_path):
    text = UNDP + "sdgs,Goal,Goal 1\nmethods,,Something\nmethods,only two\n"
    out, err, code = mapping(tmp_path, text)
    assert code == 1
    lines = err.splitlines()
    assert [line.split(": ", 1)[0].rsplit(":", 1)[1] for line in lines] == ["6", "7", "8"]
    assert "unknown vocabulary “sdgs”" in lines[0]
    assert "3 bad rows" in out
    assert sorted(MethodTag.objects.values_list("name", flat=True)) == [
        "Solutions Mapping",
        "Survey",
        "solution mapping",
    ]


# ---------------------------------------------------------------- suggestions and the closed list of methods


def suggestions(client, vocabulary_name: str, q: str) -> dict:
    model = {"methods": MethodTag, "thematic_areas": ThematicAreaTag}[vocabulary_name]._meta.model_name
    return client.get(f"/admin/plans/{model}/suggest/", {"q": q}).json()


def test_it_suggests_tags_ranked_by_use_matching_aliases_and_labels(client, reviewer, plan_factory):
    for n in range(2):
        plan_factory(title=f"P{n}").methods.add("Solutions Mapping")
    plan_factory().methods.add("solution mapping", "Mapping the system")
    client.force_login(reviewer)
    data = suggestions(client, "methods", "MAPPING")
    assert [(r["name"], r["count"]) for r in data["results"]] == [
        ("Solutions Mapping", 2),
        ("Mapping the system", 1),
        ("solution mapping", 1),
    ]
    assert data["exact"] is None and data["can_create"] is True
    vocabularies.merge(
        "methods",
        [MethodTag.objects.get(name="solution mapping")],
        MethodTag.objects.get(name="Solutions Mapping"),
    )
    data = suggestions(client, "methods", "solution mapping")
    assert data["exact"] == "Solutions Mapping"
    assert data["results"][0]["matched"] == "solution mapping"
    tag = MethodTag.objects.get(name="Mapping the system")
    tag.name_fr = "Cartographie du système"
    tag.save()
    assert [r["name"] for r in suggestions(client, "methods", "cartographie")["results"]] == [
        "Mapping the system"
    ]


def test_it_shows_a_focal_point_only_the_tags_they_may_see(client, focal_point, plan_factory, lab_b):
    plan_factory(lab=lab_b).thematic_areas.add("Secret draft topic")
    plan_factory(lab=lab_b, status=Plan.Status.PUBLISHED).thematic_areas.add("Public topic")
    client.force_login(focal_point)
    names = [r["name"] for r in suggestions(client, "thematic_areas", "topic")["results"]]
    assert names == ["Public topic"]
    assert suggestions(client, "methods", "x")["can_create"] is False  # methods: a closed list


def test_it_refuses_suggestions_to_the_public(client, plan_factory):
    response = client.get("/admin/plans/methodtag/suggest/", {"q": "a"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_it_refuses_a_new_method_from_a_focal_point_but_not_from_a_reviewer(
    client, focal_point, reviewer, plan_factory
):
    plan_factory(title="Other", status=Plan.Status.PUBLISHED).methods.add("Ethnography")
    plan = plan_factory()
    client.force_login(focal_point)
    url = reverse("admin:plans_plan_change", args=[plan.pk])
    response = client.post(url, plan_form_data(plan, client, methods="ethnography, Telepathy"))
    assert response.status_code == 200
    assert "ask a reviewer to add “Telepathy”" in response.content.decode()
    assert MethodTag.objects.count() == 1
    response = client.post(url, plan_form_data(plan, client, methods="ETHNOGRAPHY"))
    assert response.status_code == 302
    assert [t.name for t in plan.methods.all()] == ["Ethnography"]


# ---------------------------------------------------------------- facets and labels on the public pages


def test_it_lists_every_value_of_a_facet_on_its_own_page_without_unpublished_tags(client, plan_factory):
    for n in range(20):
        plan_factory(title=f"P{n}", status=Plan.Status.PUBLISHED).methods.add(f"Method {n:02}", "Common")
    plan_factory(title="Draft").methods.add("Only in a draft")
    response = client.get(reverse("plans:list"))
    methods = next(f for f in response.context["facets"] if f.name == "methods")
    assert len(methods.values) == 15 and methods.values[0].label == "Common" and methods.more_count == 6
    html = response.content.decode()
    facet = html[html.index('data-facet="methods"') :]
    # The list shows the top values and links to the others, relative to itself (the map's and the
    # statistics' links lead to their own values page, and back there).
    assert len(re.findall(r'<label for="f-methods-\d+">', facet[: facet.index("</details>")])) == 15
    assert '<a href="values/methods/">Show all (6 more values)</a>' in facet
    assert "Method 19" not in html and "Only in a draft" not in html

    every = client.get("/plans/values/methods/").content.decode()
    shown = re.findall(r'<label for="f-methods-\d+">([^<]*) <span', every)
    assert shown == sorted(["Common", *(f"Method {n:02}" for n in range(20))])  # by name, every one
    assert 'action="/plans/"' in every and 'class="facet__filter"' in every and "Only in a draft" not in every
    assert '<meta name="robots" content="noindex">' in every
    for page in ("map", "stats"):
        assert f'action="/{page}/"' in client.get(f"/{page}/values/methods/").content.decode()
    for missing in ("/plans/values/country/", "/plans/values/nothing/", "/map/values/sdgs/"):
        assert client.get(missing).status_code == 404, missing


def test_it_keeps_the_other_filters_the_search_and_the_order_on_a_facets_values_page(client, plan_factory):
    """The values page's form goes back with everything else the reader chose, which it counts within; its
    own facet's chosen values are checked, whether among the top ones or not."""
    for n in range(20):
        plan = plan_factory(title=f"Water {n}", status=Plan.Status.PUBLISHED, year=2021 + n % 2)
        plan.methods.add(f"Method {n:02}", f"Extra {n:02}", "Common")
    list_page = client.get("/fr/plans/?q=water&year=2021&methods=method-18&sort=title").content.decode()
    link = re.search(r'<a href="(values/methods/[^"]*)">', list_page).group(1)
    assert link == "values/methods/?q=water&amp;year=2021&amp;methods=method-18&amp;sort=title"
    page = client.get("/fr/plans/values/methods/?q=water&year=2021&methods=method-18&sort=title")
    html = page.content.decode()
    assert 'action="/fr/plans/"' in html
    hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html)
    assert hidden == [("q", "water"), ("year", "2021"), ("sort", "title")]
    assert 'name="methods" value="method-18" checked>' in html
    assert 'name="methods" value="method-00">' in html
    counts = dict(re.findall(r'>([^<>]*) <span class="facet__count">\((\d+)\)</span>', html))
    assert counts["Common"] == "10" and "Method 01" not in counts  # within 2021's plans only
    assert 'href="/fr/plans/?q=water&amp;year=2021&amp;methods=method-18&amp;sort=title"' in html  # back
    assert "toutes les valeurs" in html  # in the reader's language


def test_it_ignores_stale_and_malformed_filters_on_a_facets_values_page(client, plan_factory):
    """Bad values in the query string neither fail the page nor count drafts: a stale value beside a good
    one is ignored, a filter of stale values only selects no plan, and nothing is written."""
    for n in range(3):
        plan_factory(title=f"P{n}", status=Plan.Status.PUBLISHED, year=2021).methods.add("Common", f"M{n}")
    plan_factory(title="Draft", year=2021).methods.add("Common", "Only in a draft")
    before = Plan.objects.count()
    html = client.get(
        "/plans/values/methods/?year=2021&year=abc&sdgs=99999&country=Atlantis"
    ).content.decode()
    assert "Only in a draft" not in html
    empty = client.get("/plans/values/methods/?year=abc").content.decode()
    assert 'class="facet__count"' not in empty and "0 values" in empty
    counts = dict(re.findall(r'>([^<>]*) <span class="facet__count">\((\d+)\)</span>', html))
    assert counts == {}  # Atlantis (stale only) selects no plan
    good = client.get("/plans/values/methods/?year=2021&year=abc&page=%00").content.decode()
    counts = dict(re.findall(r'>([^<>]*) <span class="facet__count">\((\d+)\)</span>', good))
    assert counts == {"Common": "3", "M0": "1", "M1": "1", "M2": "1"}
    assert client.get("/plans/values/methods/?methods=%3Cscript%3E").status_code == 200
    assert Plan.objects.count() == before


def test_it_escapes_and_checks_the_items_of_a_facet_and_of_its_values_page(client, plan_factory):
    """A facet's items are built in Python (plans.filters.Facet), not by the template: names are escaped
    in both lists, a chosen value is checked, an SDG has its colour."""
    for n in range(20):
        plan = plan_factory(title=f"P{n}", status=Plan.Status.PUBLISHED)
        plan.methods.add(f"<b>Method</b> {n:02}", "Common & shared")
        plan.sdgs.add(SDG.objects.get(number=13))
    html = client.get(reverse("plans:list") + "?methods=common-shared&sdgs=13").content.decode()
    top = re.search(r"<ul>\s*(<li>.*?)</ul>", html[html.index('data-facet="methods"') :], re.S).group(1)
    assert '<label for="f-methods-1">Common &amp; shared <span class="facet__count">(20)</span>' in top
    assert 'name="methods" value="common-shared" checked>' in top and "&lt;b&gt;Method&lt;/b&gt; 00" in top
    assert top.count("<li>") == 15 and "<b>" not in html
    swatch = r'value="13" checked>\s*<label for="f-sdgs-1"><span class="swatch" style="--sdg: #'
    assert re.search(swatch, html)
    every = client.get("/plans/values/methods/?methods=common-shared&sdgs=13").content.decode()
    assert every.count("&lt;b&gt;Method&lt;/b&gt;") == 20 and "<b>" not in every
    assert 'name="methods" value="common-shared" checked>' in every
    assert 'name="methods" value="bmethodb-19">' in every


def test_it_shows_tags_by_their_label_on_french_and_spanish_pages(client, plan_factory):
    plan = plan_factory(title="Circular", status=Plan.Status.PUBLISHED)
    plan.thematic_areas.add("Circular economy")
    tag = ThematicAreaTag.objects.get()
    tag.name_fr, tag.name_es = "Économie circulaire", "Economía circular"
    tag.save()
    for prefix, label in (
        ("", "Circular economy"),
        ("/fr", "Économie circulaire"),
        ("/es", "Economía circular"),
    ):
        detail = client.get(f"{prefix}/plans/{plan.slug}/").content.decode()
        assert f">{label}</a>" in detail, prefix
        listing = client.get(f"{prefix}/plans/")
        themes = next(f for f in listing.context["facets"] if f.name == "thematic_areas")
        assert [v.label for v in themes.values] == [label]


# ---------------------------------------------------------------- curation in the admin


def test_it_merges_from_the_admin_after_a_preview_and_undoes_from_the_log(client, tagged, reviewer):
    a, b = tagged
    old, kept = (
        MethodTag.objects.get(name="solution mapping"),
        MethodTag.objects.get(name="Solutions Mapping"),
    )
    client.force_login(reviewer)
    url = reverse("admin:plans_methodtag_changelist")
    selected = {"action": "merge_selected", "_selected_action": [old.pk, kept.pk]}
    preview = client.post(url, selected)
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "The selected tags will become one tag, “Solutions Mapping”, carried by 2 plans." in html
    assert MethodTag.objects.filter(pk=old.pk).exists()  # nothing merged yet
    response = client.post(url, {**selected, "target": old.pk, "confirm": "merge"})
    assert response.status_code == 302
    assert list(MethodTag.objects.filter(key__contains="mapping").values_list("name", flat=True)) == [
        "solution mapping"
    ]
    assert listed(client, methods=kept.slug) == {"Plan Alpha", "Plan Beta"}
    change = TagChange.objects.get()
    assert change.actor == reviewer
    log = client.get(reverse("admin:plans_tagchange_changelist")).content.decode()
    assert "Solutions Mapping" in log
    client.post(
        reverse("admin:plans_tagchange_changelist"),
        {"action": "undo_selected", "_selected_action": [change.pk]},
    )
    assert sorted(MethodTag.objects.values_list("name", flat=True)) == [
        "Solutions Mapping",
        "Survey",
        "solution mapping",
    ]


def test_it_renames_from_the_admin_keeping_the_old_name(client, tagged, reviewer, focal_point):
    tag = MethodTag.objects.get(name="Survey")
    url = reverse("admin:plans_methodtag_change", args=[tag.pk])
    client.force_login(focal_point)
    assert client.post(url, {"name": "Hacked"}).status_code == 403  # focal points do not curate
    client.force_login(reviewer)
    response = client.post(url, {"name": "solutions mapping", "name_fr": "", "name_es": "", "category": ""})
    assert "merge the two instead" in response.content.decode()
    response = client.post(
        url, {"name": "Surveys", "name_fr": "Enquêtes", "name_es": "Encuestas", "category": ""}
    )
    assert response.status_code == 302
    tag.refresh_from_db()
    assert (tag.name, tag.name_fr, [a["name"] for a in tag.aliases]) == ("Surveys", "Enquêtes", ["Survey"])
    assert TagChange.objects.get().action == TagChange.Action.RENAME
