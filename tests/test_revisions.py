"""Revisions of a published plan (plans/revisions.py): the live plan stays as it is until a reviewer
publishes the revision; the comparison tells added, removed, changed and moved rows apart."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from plans import revisions
from plans.history import plan_versions
from plans.models import Insight, Plan, PlanEvent, PlanRevision


@pytest.fixture
def live_plan(live_plan):
    """The shared live plan (tests/conftest.py) with a third insight."""
    Insight.objects.create(plan=live_plan, position=2, text="Third insight")
    return live_plan


def edited(plan, **fields):
    """The plan's current content (its revision's if any) with `fields` changed."""
    revision = plan.pending_revision
    content = revision.content if revision else revisions.snapshot(plan)
    return {**content, "fields": {**content["fields"], **fields}}


def test_it_keeps_the_live_plan_while_a_revision_is_saved(live_plan, focal_point):
    revisions.save_content(live_plan, edited(live_plan, title="Waste pickers, typo fixed"), by=focal_point)
    revisions.save_content(live_plan, edited(live_plan, challenge_statement="New"), by=focal_point)
    live_plan.refresh_from_db()
    assert live_plan.title == "Informal waste pickers"
    assert live_plan.status == Plan.Status.PUBLISHED
    revision = live_plan.pending_revision
    assert revision.number == 1 and revision.status == PlanRevision.Status.EDITING
    assert revision.content["fields"]["title"] == "Waste pickers, typo fixed"
    assert revision.content["fields"]["challenge_statement"] == "New"
    assert PlanRevision.objects.count() == 1


def test_it_walks_a_revision_through_review_and_applies_it(live_plan, focal_point, reviewer):
    content = edited(live_plan, title="Waste pickers, typo fixed")
    content["children"]["insights"].reverse()
    content["children"]["insights"].append(
        {"key": "6b1f5d3e-0000-4000-8000-000000000001", "fields": {"text": "New"}}
    )
    revisions.save_content(live_plan, content, by=focal_point)
    live_plan.submit(by=focal_point)
    live_plan.return_to_author(by=reviewer, comment="Say who the partner is")
    revision = live_plan.pending_revision
    assert revision.status == PlanRevision.Status.RETURNED
    assert revision.review_comment == "Say who the partner is"
    live_plan.submit(by=focal_point)
    keys_before = {i.text: i.key for i in live_plan.insights.all()}
    live_plan.publish(by=reviewer)

    live_plan.refresh_from_db()
    assert live_plan.status == Plan.Status.PUBLISHED
    assert live_plan.title == "Waste pickers, typo fixed"
    assert [i.text for i in live_plan.insights.all()] == [
        "Third insight",
        "Second insight",
        "First insight",
        "New",
    ]
    # Rows keep their identity: the same rows, reordered, not new ones.
    assert all(keys_before[i.text] == i.key for i in live_plan.insights.all() if i.text != "New")
    assert list(live_plan.methods.names()) == ["Ethnography"]
    assert live_plan.pending_revision is None
    assert PlanRevision.objects.get().status == PlanRevision.Status.PUBLISHED
    # The history holds the version before and the version after.
    titles = [v.field_dict["title"] for v in plan_versions(live_plan)]
    assert titles[:2] == ["Waste pickers, typo fixed", "Informal waste pickers"]
    actions = list(
        live_plan.events.order_by("created_at", "pk").values_list("action", "from_status", "to_status")
    )
    assert actions == [
        ("submit_revision", "editing", "submitted"),
        ("return_revision", "submitted", "returned"),
        ("submit_revision", "returned", "submitted"),
        ("publish_revision", "submitted", "published"),
    ]


def test_it_refuses_a_revision_of_a_plan_withdrawn_meanwhile(live_plan, focal_point, reviewer):
    revisions.save_content(live_plan, edited(live_plan, title="Changed"), by=focal_point)
    live_plan.submit(by=focal_point)
    stale = Plan.objects.get(pk=live_plan.pk)  # the second reviewer's page, opened before the withdrawal
    live_plan.withdraw(by=reviewer, reason="Duplicate")
    with pytest.raises(ValidationError) as refused:
        stale.publish(by=reviewer)
    assert "withdrawn" in refused.value.messages[0]
    stale.refresh_from_db()
    assert stale.status == Plan.Status.WITHDRAWN and stale.title == "Informal waste pickers"
    assert PlanRevision.objects.get().status == PlanRevision.Status.SUBMITTED
    assert not PlanEvent.objects.filter(action="publish_revision").exists()


def test_it_publishes_a_revision_once_when_two_reviewers_publish(
    live_plan, focal_point, reviewer, django_user_model
):
    from tests.conftest import _group

    second = django_user_model.objects.create_user("sam", "sam@example.org", "pw", is_staff=True)
    second.groups.add(_group("Reviewers"))
    revisions.save_content(live_plan, edited(live_plan, title="Changed"), by=focal_point)
    live_plan.submit(by=focal_point)
    first_view, second_view = Plan.objects.get(pk=live_plan.pk), Plan.objects.get(pk=live_plan.pk)
    revision_seen_by_second = second_view.pending_revision
    first_view.publish(by=reviewer)
    with pytest.raises(ValidationError) as refused:
        revision_seen_by_second.publish(by=second)
    assert "no longer submitted" in refused.value.messages[0]
    assert PlanEvent.objects.filter(action="publish_revision").count() == 1
    assert len(plan_versions(live_plan)) == 2


def test_it_lets_only_the_authors_submit_and_only_reviewers_publish(
    live_plan, focal_point, other_focal_point, reviewer
):
    revisions.save_content(live_plan, edited(live_plan, title="Changed"), by=focal_point)
    with pytest.raises(PermissionDenied):
        live_plan.submit(by=other_focal_point)
    with pytest.raises(PermissionDenied):
        live_plan.submit(by=reviewer)
    live_plan.submit(by=focal_point)
    with pytest.raises(PermissionDenied):
        live_plan.publish(by=focal_point)
    with pytest.raises(PermissionDenied):
        live_plan.return_to_author(by=other_focal_point, comment="No")


def test_it_discards_a_revision_and_starts_a_new_one_later(live_plan, focal_point):
    revisions.save_content(live_plan, edited(live_plan, title="Changed"), by=focal_point)
    live_plan.discard_revision(by=focal_point)
    assert live_plan.pending_revision is None
    revision = revisions.save_content(live_plan, edited(live_plan, title="Again"), by=focal_point)
    assert revision.number == 2
    live_plan.refresh_from_db()
    assert live_plan.title == "Informal waste pickers"


def test_it_compares_rows_by_identity_not_position(live_plan, focal_point):
    content = edited(live_plan)
    insights = content["children"]["insights"]
    first, second, third = insights
    second = {**second, "fields": {"text": "Second insight, corrected"}}
    new = {"key": "6b1f5d3e-0000-4000-8000-000000000002", "fields": {"text": "A new insight"}}
    # Inserted at the top, the third removed, the second changed: the first only shifted, it did not move.
    content["children"]["insights"] = [new, first, second]
    content["children"]["partnerships"] = []
    revision = revisions.save_content(live_plan, content, by=focal_point)
    diff = revisions.changes(revision)
    rows = {r["label"]: r["change"] for part in diff["children"] for r in part["rows"]}
    assert rows == {
        "A new insight": "added",
        "Second insight, corrected": "changed",
        "Third insight": "removed",
        "City of Hanoi": "removed",
    }
    # A swap is a move.
    content["children"]["insights"] = [second, first]
    diff = revisions.changes(revisions.save_content(live_plan, content, by=focal_point))
    changes = {
        r["label"]: r["change"]
        for part in diff["children"]
        for r in part["rows"]
        if part["related_name"] == "insights"
    }
    assert changes["Second insight, corrected"] in ("moved and changed", "changed")
    assert "moved" in changes.values() or "moved and changed" in changes.values()


def test_it_compares_fields_and_tags(live_plan, focal_point):
    content = edited(live_plan, title="Changed title")
    content["tags"]["methods"] = ["Ethnography", "Surveys"]
    diff = revisions.changes(revisions.save_content(live_plan, content, by=focal_point))
    assert [(f["name"], f["before"], f["after"]) for f in diff["fields"]] == [
        ("title", "Informal waste pickers", "Changed title")
    ]
    assert diff["tags"] == [{"label": "methods", "added": ["Surveys"], "removed": []}]
    assert not diff["empty"]


def test_it_refuses_to_submit_a_revision_that_leaves_nothing_to_review(live_plan, focal_point):
    content = edited(live_plan, challenge_statement="")
    content["children"]["learning_questions"] = []
    revisions.save_content(live_plan, content, by=focal_point)
    with pytest.raises(ValidationError) as refused:
        live_plan.submit(by=focal_point)
    assert len(refused.value.messages) == 2
    assert live_plan.pending_revision.status == PlanRevision.Status.EDITING
    assert live_plan.learning_questions.count() == 1  # the live plan's rows are untouched


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    "postgresql" not in __import__("django.conf").conf.settings.DATABASES["default"]["ENGINE"],
    reason="two connections publishing at the same moment need PostgreSQL (SQLite serialises its writers)",
)
def test_it_publishes_once_when_two_reviewers_publish_at_the_same_moment(live_plan, focal_point, reviewer):
    import threading

    from django.db import connection

    from tests.conftest import _group

    second = type(reviewer).objects.create_user("sam", "sam@example.org", "pw", is_staff=True)
    second.groups.add(_group("Reviewers"))
    revisions.save_content(live_plan, edited(live_plan, title="Changed"), by=focal_point)
    live_plan.submit(by=focal_point)
    start, outcomes = threading.Barrier(2), []

    def publish(user):
        plan = Plan.objects.get(pk=live_plan.pk)
        start.wait()
        try:
            plan.publish(by=user)
            outcomes.append("published")
        except ValidationError as error:
            outcomes.append(error.messages[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=publish, args=(u,)) for u in (reviewer, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("published") == 1
    assert any("no longer submitted" in outcome for outcome in outcomes)
    assert PlanEvent.objects.filter(action="publish_revision").count() == 1
    assert len(plan_versions(live_plan)) == 2
