"""Curated vocabularies (issue 16): one tag per idea, whatever its case, accents, spacing or punctuation;
merges and renames that keep old names as aliases; the CSV mapping; labels and categories."""

import io

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from plans.archive.dump import PREFETCH, dump
from plans.archive.write import write
from plans.models import DatasourceTag, MethodTag, Plan, ThematicAreaTag
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
