"""The permission matrix extended to revisions of published plans and to review comments: personas ×
actions × revision status, at the model level and over HTTP. A denied cell asserts that nothing changed."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from plans import comments, revisions
from plans.models import Plan, PlanEvent, PlanRevision, ReviewComment
from tests.test_permissions import PERSONAS, assert_login_redirect, assert_refused, refused_by_model

REVISION_STATUSES = ["editing", "submitted", "returned"]
# Who may make each transition of a revision, from which of its states, to which.
TRANSITIONS = {
    "submit_revision": ({"focal_point", "superuser"}, {"editing", "returned"}, "submitted"),
    "return_revision": ({"reviewer", "superuser"}, {"submitted"}, "returned"),
    "publish_revision": ({"reviewer", "superuser"}, {"submitted"}, "published"),
    "discard_revision": ({"focal_point", "superuser"}, {"editing", "returned"}, "discarded"),
    "claim_revision": ({"reviewer", "superuser"}, {"submitted"}, "submitted"),
    "schedule_revision": ({"reviewer", "superuser"}, {"submitted"}, "submitted"),
}
TOMORROW = (timezone.now() + timedelta(days=1)).replace(second=0, microsecond=0)


@pytest.fixture
def revised(plan_factory, focal_point):
    """A complete published plan with a revision in `status` that renames it."""

    def make(status):
        plan = plan_factory(title="Live title", status=Plan.Status.PUBLISHED, challenge_statement="How?")
        plan.learning_questions.create(question="Who?", position=0)  # complete: it may be submitted
        content = revisions.snapshot(plan)
        content["fields"]["title"] = "Revised title"
        revision = revisions.save_content(plan, content, by=focal_point)
        PlanRevision.objects.filter(pk=revision.pk).update(status=status)
        return Plan.objects.get(pk=plan.pk)

    return make


def state():
    return (
        list(Plan.objects.order_by("pk").values()),
        list(PlanRevision.objects.order_by("pk").values("status", "content")),
        list(PlanEvent.objects.order_by("pk").values()),
        list(ReviewComment.objects.order_by("pk").values()),
    )


def make(plan, action, user):
    return {
        "submit_revision": lambda: plan.submit(by=user),
        "return_revision": lambda: plan.return_to_author(by=user, comment="Shorter, please"),
        "publish_revision": lambda: plan.publish(by=user),
        "discard_revision": lambda: plan.discard_revision(by=user),
        "claim_revision": lambda: plan.claim(by=user),
        "schedule_revision": lambda: plan.schedule(by=user, publish_at=TOMORROW),
    }[action]()


@pytest.mark.parametrize("status", REVISION_STATUSES)
@pytest.mark.parametrize("action", TRANSITIONS)
@pytest.mark.parametrize("persona", PERSONAS)
def test_it_allows_each_revision_transition_only_to_its_roles_from_its_states(
    persona, action, status, user_of, revised, other_focal_point
):
    plan = revised(status)
    user = user_of(persona)
    roles, sources, target = TRANSITIONS[action]
    if refused_by_model(persona in roles, status in sources, lambda: make(plan, action, user), state):
        return
    event = make(plan, action, user)
    assert (event.from_status, event.to_status, event.actor) == (status, target, user)
    assert plan.revisions.get().status == target
    plan.refresh_from_db()
    assert plan.status == Plan.Status.PUBLISHED
    assert plan.title == ("Revised title" if target == "published" else "Live title")


@pytest.mark.parametrize("status", REVISION_STATUSES)
@pytest.mark.parametrize("action", TRANSITIONS)
@pytest.mark.parametrize("persona", PERSONAS)
def test_it_makes_revision_transitions_over_http_only_for_allowed_cells(
    persona, action, status, user_of, client, revised, other_focal_point
):
    plan = revised(status)
    if persona != "anonymous":
        client.force_login(user_of(persona))
    roles, sources, target = TRANSITIONS[action]
    before = state()
    url = reverse("admin:plans_plan_transition", args=[plan.pk, action])
    posted = {
        "comment": "Please fix",
        "revision": plan.revisions.get().pk,
        "publish_at": f"{TOMORROW:%Y-%m-%dT%H:%M}",
    }
    response = client.post(url, posted)
    if persona in roles and status in sources:
        assert response.status_code == 302
        assert plan.revisions.get().status == target
        return
    if persona in roles:  # may, but not now: back to the plan with an error message
        assert response.status_code == 302
        message = str(list(response.wsgi_request._messages)[0])
        assert message.startswith("Only a ") or "no longer" in message
    else:
        assert_refused(response, persona)
    assert state() == before


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_shows_a_revision_and_its_changes_only_to_its_authors_and_reviewers(
    persona, user_of, client, revised, other_focal_point
):
    plan = revised("submitted")
    if persona != "anonymous":
        client.force_login(user_of(persona))
    response = client.get(reverse("admin:plans_plan_revision", args=[plan.pk]))
    if persona in ("focal_point", "reviewer", "superuser"):
        assert response.status_code == 200
        assert "Revised title" in response.content.decode()
    elif persona == "anonymous":
        assert_login_redirect(response)
    else:
        assert response.status_code == 404
    # The public never sees it.
    client.logout()
    assert "Revised title" not in client.get(plan.get_absolute_url()).content.decode()


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_lets_only_authors_and_reviewers_comment_and_resolve(
    persona, user_of, client, revised, other_focal_point
):
    plan = revised("submitted")
    revision = plan.revisions.get()
    user = user_of(persona)
    if persona != "anonymous":
        client.force_login(user)
    before = state()
    url = reverse("admin:plans_plan_comment", args=[plan.pk])
    response = client.post(url, {"body": "Why this title?", "anchor": "field:title", "revision": revision.pk})
    allowed = persona in ("focal_point", "reviewer", "superuser")
    if allowed:
        assert response.status_code == 302
        comment = ReviewComment.objects.get()
        assert (comment.revision, comment.field, comment.author) == (revision, "title", user)
        resolve = reverse("admin:plans_plan_comment_resolve", args=[plan.pk, comment.pk])
        assert client.post(resolve, {"resolved": "1"}).status_code == 302
        comment.refresh_from_db()
        assert comment.resolved_by == user
        return
    if persona == "anonymous":
        assert_login_redirect(response)
        with pytest.raises(PermissionDenied):
            comments.add(plan, user, "Sneaky", anchor="field:title", revision=revision)
    else:
        assert response.status_code == 404
        with pytest.raises(PermissionDenied):
            comments.add(plan, user, "Sneaky", anchor="field:title", revision=revision)
    assert state() == before
