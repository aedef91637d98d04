"""The review workspace (issue 13): claims, recalls, discarded drafts, scheduled publication and expiry,
and the e-mails they send, through the models and over HTTP."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from plans import tasks
from plans.models import BlogLink, Plan, PlanEvent


def local(moment) -> str:
    """As a `datetime-local` input posts it (read as UTC)."""
    return f"{moment.astimezone(timezone.UTC):%Y-%m-%dT%H:%M}"


@pytest.fixture
def submitted(plan_factory):
    return plan_factory(title="Waste pickers", status=Plan.Status.SUBMITTED)


def transition_url(plan, action):
    return reverse("admin:plans_plan_transition", args=[plan.pk, action])


# ---------------------------------------------------------------- claims


def test_it_shows_every_reviewer_who_claimed_a_submission(client, submitted, reviewer, second_reviewer):
    client.force_login(reviewer)
    response = client.post(transition_url(submitted, "claim"), follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "You now review this plan; the other reviewers see that it is yours."
    ]
    client.force_login(second_reviewer)
    body = client.get(reverse("admin:plans_plan_change", args=[submitted.pk])).content.decode()
    assert "Reviewed by rita (claimed" in body
    queue = client.get(reverse("admin:plans_plan_review_queue")).content.decode()
    assert "rita" in queue
    assert mail.outbox == []  # nobody is mailed about a claim


def test_it_lets_another_reviewer_take_over_and_only_the_claimer_release(
    submitted, reviewer, second_reviewer
):
    submitted.claim(by=reviewer)
    with pytest.raises(PermissionDenied):
        submitted.claim(by=reviewer)  # already theirs
    with pytest.raises(PermissionDenied):
        submitted.release(by=second_reviewer)  # not theirs
    submitted.claim(by=second_reviewer)
    submitted.refresh_from_db()
    assert submitted.claimed_by == second_reviewer
    submitted.release(by=second_reviewer)
    submitted.refresh_from_db()
    assert submitted.claimed_by is None
    actions = list(submitted.events.order_by("pk").values_list("action", "actor__username"))
    assert actions == [("claim", "rita"), ("claim", "sam"), ("release", "sam")]


def test_it_forgets_the_claim_and_schedule_when_the_plan_leaves_review(submitted, reviewer, focal_point):
    submitted.claim(by=reviewer)
    submitted.schedule(by=reviewer, publish_at=timezone.now() + timedelta(days=2))
    submitted.return_to_author(by=reviewer, comment="Add partners")
    submitted.refresh_from_db()
    assert (submitted.claimed_by, submitted.publish_at, submitted.status) == (None, None, "draft")


# ---------------------------------------------------------------- recall and discard


def test_it_lets_the_author_recall_a_submission_and_tells_the_reviewers(
    client, submitted, focal_point, reviewer, django_capture_on_commit_callbacks
):
    client.force_login(focal_point)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(transition_url(submitted, "recall"), {"comment": "Forgot the partners"})
    submitted.refresh_from_db()
    assert submitted.status == Plan.Status.DRAFT
    [message] = mail.outbox
    assert message.to == [reviewer.email] and "recalled the plan “Waste pickers”" in message.subject
    assert "Forgot the partners" in message.body
    assert f"/admin/plans/plan/{submitted.pk}/change/" in message.body


def test_it_discards_a_draft_only_when_confirmed_and_never_published(client, plan_factory, focal_point):
    draft = plan_factory()
    client.force_login(focal_point)
    response = client.post(transition_url(draft, "discard"), follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Tick the box to confirm."]
    assert Plan.objects.filter(pk=draft.pk).exists()
    response = client.post(transition_url(draft, "discard"), {"confirm": "1"})
    assert response["Location"] == reverse("admin:plans_plan_changelist")
    assert not Plan.objects.filter(pk=draft.pk).exists()

    once_public = plan_factory(published_at=timezone.now())  # reopened after a withdrawal: a record
    assert client.post(transition_url(once_public, "discard"), {"confirm": "1"}).status_code == 403
    assert Plan.objects.filter(pk=once_public.pk).exists()


def test_it_refuses_to_discard_a_draft_submitted_meanwhile(plan_factory, focal_point):
    draft = plan_factory()
    Plan.objects.filter(pk=draft.pk).update(status=Plan.Status.SUBMITTED)  # in another tab
    with pytest.raises(ValidationError):
        draft.discard(by=focal_point)
    assert Plan.objects.filter(pk=draft.pk).exists()


# ---------------------------------------------------------------- schedules


def test_it_schedules_a_publication_and_publishes_it_when_due(
    client, submitted, reviewer, focal_point, django_capture_on_commit_callbacks
):
    when = (timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    until = when + timedelta(days=30)
    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            transition_url(submitted, "schedule"), {"publish_at": local(when), "expire_at": local(until)}
        )
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert (submitted.status, submitted.publish_at, submitted.expire_at) == ("submitted", when, until)
    [message] = mail.outbox
    assert message.to == [focal_point.email]
    assert "scheduled the publication" in message.subject and "Publication: " in message.body
    assert "Withdrawal from the public site: " in message.body

    assert tasks.due_schedules(when - timedelta(minutes=1))["published"] == []
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.due_schedules(when)["published"] == [submitted.pk]
        assert tasks.due_schedules(when)["published"] == []  # once
    submitted.refresh_from_db()
    assert (submitted.status, submitted.publish_at, submitted.expire_at) == ("published", None, until)
    publish = submitted.events.get(action=PlanEvent.Action.PUBLISH)
    assert publish.actor == reviewer  # the reviewer who scheduled it
    assert client.get(submitted.get_absolute_url()).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.due_schedules(until)["expired"] == [submitted.pk]
        assert tasks.due_schedules(until)["expired"] == []
    submitted.refresh_from_db()
    assert (submitted.status, submitted.expire_at) == ("withdrawn", None)
    assert "reached the expiry date" in mail.outbox[-1].subject
    client.logout()
    assert client.get(submitted.get_absolute_url()).status_code == 404


def test_it_publishes_now_with_an_expiry(submitted, reviewer):
    until = timezone.now() + timedelta(days=1)
    submitted.publish(by=reviewer, expire_at=until)
    submitted.refresh_from_db()
    assert (submitted.status, submitted.expire_at, submitted.scheduled_by) == ("published", until, reviewer)


@pytest.mark.parametrize(
    ("publish_in", "expire_in", "message"),
    [
        (-5, None, "has passed: choose a later one, or publish now."),
        (60, 30, "must come after the publication."),
        (None, None, "Say when to publish the plan."),
    ],
)
def test_it_refuses_a_schedule_in_the_past_with_a_clear_message(
    client, submitted, reviewer, publish_in, expire_in, message
):
    now = timezone.now()
    form = {
        "publish_at": local(now + timedelta(minutes=publish_in)) if publish_in is not None else "",
        "expire_at": local(now + timedelta(minutes=expire_in)) if expire_in is not None else "",
    }
    client.force_login(reviewer)
    response = client.post(transition_url(submitted, "schedule"), form, follow=True)
    [shown] = [str(m) for m in response.context["messages"]]
    assert shown.endswith(message)
    submitted.refresh_from_db()
    assert (submitted.publish_at, submitted.events.count()) == (None, 0)


def test_it_refuses_an_expiry_in_the_past_when_publishing_now(submitted, reviewer):
    with pytest.raises(ValidationError, match="must come after the publication"):
        submitted.publish(by=reviewer, expire_at=timezone.now() - timedelta(hours=1))
    submitted.refresh_from_db()
    assert submitted.status == Plan.Status.SUBMITTED


def test_it_refuses_a_date_that_is_not_one(client, submitted, reviewer):
    client.force_login(reviewer)
    response = client.post(transition_url(submitted, "schedule"), {"publish_at": "tomorrow"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["“tomorrow” is not a date and time."]


def test_it_cancels_a_schedule(submitted, reviewer):
    submitted.schedule(by=reviewer, publish_at=timezone.now() + timedelta(hours=1))
    submitted.unschedule(by=reviewer)
    submitted.refresh_from_db()
    assert submitted.publish_at is None and submitted.status == "submitted"
    with pytest.raises(ValidationError, match="not scheduled"):
        submitted.unschedule(by=reviewer)


def test_it_leaves_a_plan_whose_scheduler_lost_the_right_and_logs_it(submitted, reviewer, caplog):
    submitted.schedule(by=reviewer, publish_at=timezone.now() + timedelta(hours=1))
    reviewer.groups.clear()
    assert tasks.due_schedules(timezone.now() + timedelta(hours=2))["published"] == []
    submitted.refresh_from_db()
    assert (submitted.status, submitted.publish_at) == ("submitted", None)
    assert "You may not publish this plan." in caplog.text


@pytest.mark.django_db(transaction=True)
def test_it_catches_up_on_a_missed_run_when_the_worker_starts(settings, plan_factory, reviewer, focal_point):
    """The worker was down at the scheduled time and the deferred task is gone: starting it publishes."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from django_tasks_db.models import DBTaskResult

    plan = plan_factory(status=Plan.Status.SUBMITTED)
    plan.schedule(by=reviewer, publish_at=timezone.now() + timedelta(hours=1))
    queued = DBTaskResult.objects.get(task_path="plans.tasks.run_schedules")
    assert queued.run_after == Plan.objects.get(pk=plan.pk).publish_at  # deferred to the time chosen
    DBTaskResult.objects.all().delete()  # lost (pruned, a restored database…)
    Plan.objects.filter(pk=plan.pk).update(publish_at=timezone.now() - timedelta(minutes=10))

    call_command("task_worker", "--batch", "--no-reload", "--no-startup-delay", verbosity=0)
    plan.refresh_from_db()
    assert plan.status == Plan.Status.PUBLISHED and plan.events.filter(action="publish").count() == 1
    # and the focal point's e-mail about it went out through the same worker
    assert [m.to for m in mail.outbox] == [[focal_point.email]]


# ---------------------------------------------------------------- blog links awaiting approval


def test_it_tells_the_reviewers_of_a_new_blog_link_with_the_page_to_approve_it(
    client, plan_factory, focal_point, reviewer, django_capture_on_commit_callbacks
):
    plan = plan_factory(status=Plan.Status.PUBLISHED)
    client.force_login(focal_point)
    form = {"plan": plan.pk, "url": "https://example.org/our-story", "title": "Our story", "position": 0}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:plans_bloglink_add"), form)
    assert response.status_code == 302
    link = BlogLink.objects.get()
    [message] = mail.outbox
    assert message.to == [reviewer.email] and "awaits your approval" in message.subject
    assert f"/admin/plans/bloglink/{link.pk}/change/" in message.body
    assert "https://example.org/our-story" in message.body
    assert link.events.get().action == PlanEvent.Action.ADD_LINK


def test_it_mails_each_recipient_in_their_language(
    submitted, reviewer, focal_point, django_capture_on_commit_callbacks
):
    from plans.models import UserPreference

    UserPreference.objects.create(user=focal_point, language="fr")
    with django_capture_on_commit_callbacks(execute=True):
        submitted.schedule(by=reviewer, publish_at=timezone.now() + timedelta(days=1))
    [message] = mail.outbox
    assert "a programmé la publication du plan « Waste pickers »" in message.subject
    assert "Publication : " in message.body and "Ouvrez-le dans AccLab Plans" in message.body


def test_it_keeps_a_plan_online_when_its_expiry_is_cancelled(client, submitted, reviewer, focal_point):
    until = timezone.now() + timedelta(days=10)
    submitted.publish(by=reviewer, expire_at=until)
    client.force_login(focal_point)
    body = client.get(reverse("admin:plans_plan_change", args=[submitted.pk])).content.decode()
    assert "Withdrawn from the public site on" in body and 'value="cancel_expiry"' not in body
    client.force_login(reviewer)
    response = client.post(transition_url(submitted, "cancel_expiry"), follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "The expiry date is cancelled; the plan stays on the public site."
    ]
    assert tasks.due_schedules(until + timedelta(days=1))["expired"] == []
    submitted.refresh_from_db()
    assert (submitted.status, submitted.expire_at) == ("published", None)
