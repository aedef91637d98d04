"""The schema holds every real plan: time split rules, tag vocabularies, SDGs, migrations."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction

from plans.models import SDG, BlogLink, Insight, Partnership, Plan


def closing(plan_factory, **times):
    return plan_factory(kind=Plan.Kind.CLOSING, form_version=Plan.FormVersion.CLOSING_V2, **times)


def split(sense, explore, test, grow):
    return {"time_sense": sense, "time_explore": explore, "time_test": test, "time_grow": grow}


def test_it_accepts_a_time_split_of_100(plan_factory):
    plan = closing(plan_factory, **split(25, 25, 25, 25))
    plan.full_clean()
    plan.refresh_from_db()
    assert plan.time_split == [25, 25, 25, 25]


def test_it_rejects_a_time_split_that_does_not_add_up_and_names_the_sum(plan_factory):
    plan = closing(plan_factory)
    for field, value in split(50, 30, 10, 5).items():
        setattr(plan, field, value)
    with pytest.raises(ValidationError) as exc:
        plan.full_clean()
    assert "sums to 95" in str(exc.value)


def test_it_rejects_a_partial_time_split(plan_factory):
    plan = closing(plan_factory)
    plan.time_sense, plan.time_explore = 60, 40
    with pytest.raises(ValidationError) as exc:
        plan.full_clean()
    assert set(exc.value.message_dict) >= {"time_test", "time_grow"}


def test_it_accepts_an_empty_time_split(plan_factory):
    plan = closing(plan_factory)
    plan.full_clean()
    assert plan.time_split == [None, None, None, None]


@pytest.mark.parametrize(
    "values",
    [split(50, 30, 10, 5), split(100, None, None, None), split(100, 100, 0, 0)],
    ids=["sums-to-95", "partial", "sums-to-200"],
)
def test_it_has_a_database_constraint_that_rejects_a_bypassing_update(plan_factory, values):
    plan = closing(plan_factory, **split(25, 25, 25, 25))
    with pytest.raises(IntegrityError), transaction.atomic():
        Plan.objects.filter(pk=plan.pk).update(**values)
    plan.refresh_from_db()
    assert plan.time_split == [25, 25, 25, 25]


def test_it_keeps_tag_vocabularies_apart(plan_factory):
    plan = plan_factory()
    plan.methods.add("Ethnography")
    plan.datasources.add("Ethnography")
    plan.thematic_areas.add("co-creation")
    method = plan.methods.get()
    datasource = plan.datasources.get()
    assert method._meta.model_name == "methodtag"
    assert datasource._meta.model_name == "datasourcetag"
    plan.methods.remove("Ethnography")
    assert [t.name for t in plan.datasources.all()] == ["Ethnography"]
    assert list(plan.methods.all()) == []
    assert [t.name for t in plan.thematic_areas.all()] == ["co-creation"]


def test_it_holds_sentence_long_tags_from_the_archive(plan_factory):
    long_tag = "a sentence-long free tag typed by a lab, " * 15  # 615 characters, as in the archive
    plan = plan_factory()
    plan.thematic_areas.add(long_tag)
    # Stored tidied (issue 16): the trailing ", " a list separator left is no part of the tag.
    assert plan.thematic_areas.get().name == long_tag.removesuffix(", ")


def test_it_has_the_17_sdgs_after_migrate(db):
    assert list(SDG.objects.values_list("number", flat=True)) == list(range(1, 18))
    assert SDG.objects.get(number=13).name == "Climate action"
    assert all(
        colour.startswith("#") and len(colour) == 7 for colour in SDG.objects.values_list("colour", flat=True)
    )


def test_it_orders_children_by_position(plan_factory):
    plan = plan_factory()
    Insight.objects.create(plan=plan, position=2, text="second")
    Insight.objects.create(plan=plan, position=1, text="first")
    assert [i.text for i in plan.insights.all()] == ["first", "second"]


def test_it_gives_new_children_safe_defaults(plan_factory):
    plan = plan_factory()
    partner = Partnership.objects.create(plan=plan, name="Danang Incubation Hub")
    link = BlogLink.objects.create(plan=plan, url="https://example.org/blog")
    assert partner.sector == Partnership.Sector.UNKNOWN
    assert partner.is_new_and_unusual == Partnership.NewUnusual.UNKNOWN
    assert link.status == BlogLink.Status.PENDING


def test_it_makes_unique_slugs_from_titles(plan_factory):
    first = plan_factory(title="From waste to energy")
    second = plan_factory(title="From waste to energy!")
    assert first.slug == "from-waste-to-energy"
    assert second.slug == "from-waste-to-energy-2"


def test_it_limits_new_tweet_summaries_to_280_characters(plan_factory):
    plan = plan_factory(tweet_summary="x" * 281)
    with pytest.raises(ValidationError) as exc:
        plan.full_clean()
    assert "tweet_summary" in exc.value.message_dict


def test_it_has_no_missing_migrations(db):
    out = io.StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


@pytest.mark.django_db
def test_it_refuses_the_same_tag_twice_on_a_plan(plan_factory):
    from plans.models import MethodTag, TaggedMethod

    plan = plan_factory()
    tag = MethodTag.objects.create(name="Surveys", slug="surveys")
    TaggedMethod.objects.create(content_object=plan, tag=tag)
    with pytest.raises(IntegrityError), transaction.atomic():
        TaggedMethod.objects.create(content_object=plan, tag=tag)
    assert plan.methods.count() == 1
