"""Submitting checks completeness (issue 14): a plan with nothing to review is refused, naming what is
missing; every other gap is a checklist its authors see before submitting; imports are not subject to it."""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from plans.models import Plan, PlanEvent
from tests.test_archive_import import HEADER_ONLY, run

NEEDS_INSIGHT = "A closing report needs at least one key insight before it can be submitted."
NEEDS_CHALLENGE = "An opening plan needs its challenge statement before it can be submitted."
NEEDS_QUESTION = "An opening plan needs at least one learning question before it can be submitted."


def refusal(plan, user) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        plan.submit(by=user)
    plan.refresh_from_db()
    assert plan.status == Plan.Status.DRAFT and not plan.events.exists()  # nothing happened
    return caught.value.messages


@pytest.mark.parametrize(
    ("kind", "form_version", "missing"),
    [
        (Plan.Kind.CLOSING, Plan.FormVersion.CLOSING_V2, [NEEDS_INSIGHT]),
        (Plan.Kind.CLOSING, Plan.FormVersion.CLOSING_V1, [NEEDS_INSIGHT]),
        (Plan.Kind.OPENING, Plan.FormVersion.OPENING, [NEEDS_CHALLENGE, NEEDS_QUESTION]),
        (Plan.Kind.HYBRID, Plan.FormVersion.HYBRID, [NEEDS_INSIGHT, NEEDS_CHALLENGE, NEEDS_QUESTION]),
    ],
)
def test_it_refuses_to_submit_an_empty_plan_naming_what_is_missing(
    kind, form_version, missing, plan_factory, focal_point
):
    plan = plan_factory(kind=kind, form_version=form_version, complete=False)
    assert refusal(plan, focal_point) == missing


def test_it_refuses_an_opening_plan_without_its_challenge_statement_or_a_learning_question(
    plan_factory, focal_point
):
    plan = plan_factory(complete=False, challenge_statement="Our challenge is that markets flood.")
    assert refusal(plan, focal_point) == [NEEDS_QUESTION]
    plan.learning_questions.create(question="   ")  # a row without a question asks nothing
    assert refusal(plan, focal_point) == [NEEDS_QUESTION]
    plan.learning_questions.create(question="Who sells in flooded markets?")
    plan.challenge_statement = "<p> </p>"  # markup around nothing is not a statement
    plan.save()
    assert refusal(plan, focal_point) == [NEEDS_CHALLENGE]
    plan.challenge_statement = "Our challenge is that markets flood."
    plan.save()
    assert plan.submit(by=focal_point).action == PlanEvent.Action.SUBMIT


def test_it_holds_a_plan_to_its_kind_whatever_form_it_answers(plan_factory, focal_point):
    # A closing report that answers (wrongly) the opening form still needs an insight, and only that.
    plan = plan_factory(kind=Plan.Kind.CLOSING, form_version=Plan.FormVersion.OPENING, complete=False)
    assert refusal(plan, focal_point) == [NEEDS_INSIGHT]


def test_it_submits_a_closing_report_with_one_insight_and_every_other_question_empty(
    plan_factory, focal_point
):
    plan = plan_factory(kind=Plan.Kind.CLOSING, form_version=Plan.FormVersion.CLOSING_V1, complete=False)
    plan.insights.create(text="Kiosks near schools sold most.")
    plan.submit(by=focal_point)
    plan.refresh_from_db()
    assert plan.status == Plan.Status.SUBMITTED
    assert plan.time_split == [None] * 4  # an empty time split is a gap, not a refusal


def test_it_asks_who_may_submit_before_it_says_what_is_missing(plan_factory, other_focal_point):
    plan = plan_factory(kind=Plan.Kind.CLOSING, complete=False)
    with pytest.raises(PermissionDenied):  # another lab learns nothing about the plan's content
        plan.submit(by=other_focal_point)


@pytest.mark.django_db
def test_it_does_not_hold_imports_to_it():
    _out, err, code = run(HEADER_ONLY)
    assert code == 0, err
    plan = Plan.objects.get(source_file=HEADER_ONLY.name)
    assert plan.status == Plan.Status.PUBLISHED
    assert [i.refusal for i in plan.submission_checklist() if i.required and not i.done]  # empty, yet public
    run(HEADER_ONLY, status="draft")  # a second import of the same file changes nothing, draft or not
    plan.refresh_from_db()
    assert plan.status == Plan.Status.PUBLISHED


def transition(client, plan, action):
    return client.post(reverse("admin:plans_plan_transition", args=[plan.pk, action]), follow=True)


def test_it_refuses_an_empty_plan_over_http_with_each_reason_as_a_message(client, plan_factory, focal_point):
    plan = plan_factory(kind=Plan.Kind.HYBRID, form_version=Plan.FormVersion.HYBRID, complete=False)
    client.force_login(focal_point)
    response = transition(client, plan, "submit")
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    assert shown == [NEEDS_INSIGHT, NEEDS_CHALLENGE, NEEDS_QUESTION]
    plan.refresh_from_db()
    assert plan.status == Plan.Status.DRAFT


def test_it_refuses_in_the_authors_language(client, plan_factory, focal_point):
    plan = plan_factory(kind=Plan.Kind.CLOSING, complete=False)
    client.force_login(focal_point)
    client.post(reverse("set_language"), {"language": "fr", "next": "/admin/"})
    shown = [str(m) for m in transition(client, plan, "submit").context["messages"]]
    assert shown == [
        "Un rapport de clôture doit contenir au moins un constat clé avant de pouvoir être soumis."
    ]


def checklist_items(response) -> dict[str, str]:
    """key -> class of each line of the change form's checklist."""
    body = response.content.decode()
    found = re.findall(r'<li class="checklist-item ([^"]*)" data-key="([^"]*)"', body)
    return {key: cls for cls, key in found}


def test_it_shows_the_authors_a_checklist_of_what_is_required_and_what_is_unanswered(
    client, plan_factory, focal_point
):
    plan = plan_factory(kind=Plan.Kind.CLOSING, form_version=Plan.FormVersion.CLOSING_V1, complete=False)
    plan.barriers.create(text="Permits take months.")
    plan.methods.add("Ethnography")
    client.force_login(focal_point)
    url = reverse("admin:plans_plan_change", args=[plan.pk])
    response = client.get(url)
    body = response.content.decode()
    assert 'id="submit-checklist"' in body and "Before you submit" in body
    items = checklist_items(response)
    assert list(items)[0] == "insights" and items["insights"] == "missing required"  # required first
    assert items["barriers"] == "done"
    assert items["time"] == "missing"  # the empty time split: shown, not required
    assert items["methods"] == "done" and items["datasources"] == "missing"
    assert items["why_data"] == "missing" and items["partners_un"] == "missing"  # the v1 form's questions
    assert "fill in what is marked “required” first" in body

    plan.insights.create(text="Kiosks near schools sold most.")
    items = checklist_items(client.get(url))
    assert items["insights"] == "done required"
    assert "questions are still unanswered. You may submit without them" in client.get(url).content.decode()


def test_it_shows_an_opening_plans_checklist_in_its_forms_order(client, plan_factory, focal_point):
    plan = plan_factory(complete=False, plan_name="Flooded markets")
    client.force_login(focal_point)
    items = checklist_items(client.get(reverse("admin:plans_plan_change", args=[plan.pk])))
    assert list(items)[:2] == ["challenge_statement", "lq"]  # what submit requires, first
    assert items["plan_name"] == "done" and items["evidence:quantitative"] == "missing"
    assert "insights" not in items and "time" not in items  # not asked of an opening plan


@pytest.mark.parametrize("persona", ["reviewer", "other"])
def test_it_shows_the_checklist_only_to_who_may_submit(client, plan_factory, focal_point, reviewer, persona):
    draft = plan_factory(kind=Plan.Kind.CLOSING)
    submitted = plan_factory(kind=Plan.Kind.CLOSING, status=Plan.Status.SUBMITTED)
    if persona == "reviewer":
        client.force_login(reviewer)
        pages = [draft, submitted]
    else:
        client.force_login(focal_point)
        pages = [submitted]  # its own plan, no longer a draft: nothing to submit
    for plan in pages:
        body = client.get(reverse("admin:plans_plan_change", args=[plan.pk])).content.decode()
        assert 'id="submit-checklist"' not in body


@pytest.mark.parametrize("language", ["fr", "es"])
def test_it_shows_the_checklist_in_the_authors_language(client, plan_factory, focal_point, language):
    plan = plan_factory(kind=Plan.Kind.CLOSING, complete=False)
    client.force_login(focal_point)
    client.post(reverse("set_language"), {"language": language, "next": "/admin/"})
    body = client.get(reverse("admin:plans_plan_change", args=[plan.pk])).content.decode()
    expected = {"fr": "Avant de soumettre", "es": "Antes de enviar"}[language]
    assert expected in body and "Before you submit" not in body
