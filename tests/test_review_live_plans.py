"""The review workspace for live plans (issue 13): a submitted revision of a live plan is claimed, released
and scheduled for publication as a submitted plan is, and a reviewer sets, moves or clears the expiry date
of a plan already online. Over HTTP through the admin's buttons, and through the schedule task."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from plans import revisions, tasks
from plans.models import Plan, PlanEvent, PlanRevision
from tests.test_review_workspace import local, transition_url
from tests.test_revisions_http import change_url, form_data

HOME = "/admin/"


@pytest.fixture
def live(plan_factory, focal_point):
    """A complete published plan whose focal point submitted a revision renaming it."""
    plan = plan_factory(title="Live title", status=Plan.Status.PUBLISHED, challenge_statement="How?")
    plan.learning_questions.create(question="Who?", position=0)
    content = revisions.snapshot(plan)
    content["fields"]["title"] = "Revised title"
    revisions.save_content(plan, content, by=focal_point)
    plan.submit(by=focal_point)
    mail.outbox.clear()
    return Plan.objects.get(pk=plan.pk)


def post(client, plan, action, **data):
    """A button of the change form acting on the plan's revision (the form names the one it showed)."""
    data.setdefault("revision", plan.pending_revision.pk)
    return client.post(transition_url(plan, action), data, follow=True)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def queue_row(client, title) -> str:
    body = client.get(HOME).content.decode()
    queue = body[
        body.index('id="dashboard-queue"') : body.index("</table>", body.index('id="dashboard-queue"'))
    ]
    row = queue[queue.index(title) :]
    return row[: row.index("</tr>")]


# ---------------------------------------------------------------- claims


def test_it_lets_a_reviewer_claim_a_submitted_revision_and_shows_who_to_the_others(
    client, live, reviewer, second_reviewer
):
    client.force_login(reviewer)
    change = client.get(reverse("admin:plans_plan_change", args=[live.pk])).content.decode()
    assert 'value="claim_revision"' in change  # the button, on the live plan's form
    response = post(client, live, "claim_revision")
    assert messages_of(response) == ["You now review this plan; the other reviewers see that it is yours."]
    revision = live.pending_revision
    assert (revision.status, revision.claimed_by) == ("submitted", reviewer)
    assert live.events.get(action=PlanEvent.Action.CLAIM_REVISION).revision == revision

    client.force_login(second_reviewer)
    assert "rita" in queue_row(client, "Live title")  # not "nobody yet"
    assert (
        "Reviewed by rita (claimed"
        in client.get(reverse("admin:plans_plan_change", args=[live.pk])).content.decode()
    )
    assert (
        "Reviewed by rita (claimed"
        in client.get(reverse("admin:plans_plan_revision", args=[live.pk])).content.decode()
    )
    whole_queue = client.get(reverse("admin:plans_plan_review_queue")).content.decode()
    assert "Live title" in whole_queue and "rita" in whole_queue
    # Only the claimer releases; the other may take the review over.
    assert post(client, live, "release_revision").status_code == 403
    post(client, live, "claim_revision")
    assert PlanRevision.objects.get().claimed_by == second_reviewer
    response = post(client, live, "release_revision")
    assert messages_of(response) == ["You no longer review this plan; another reviewer may claim it."]
    assert PlanRevision.objects.get().claimed_by is None
    assert mail.outbox == []  # nobody is mailed about a claim
    assert Plan.objects.get(pk=live.pk).status == Plan.Status.PUBLISHED


def test_it_refuses_to_claim_a_revision_that_is_not_submitted(client, live, reviewer, focal_point):
    live.pending_revision.return_to_author(by=reviewer, comment="Shorter")
    client.force_login(reviewer)
    response = post(client, live, "claim_revision")
    assert messages_of(response) == ["Only a submitted revision can be claimed for review."]
    client.force_login(focal_point)
    assert post(client, live, "claim_revision").status_code == 403
    assert PlanRevision.objects.get().claimed_by is None


def test_it_claims_the_revision_when_asked_of_the_live_plan(live, reviewer):
    live.claim(by=reviewer)
    live.refresh_from_db()
    assert live.claimed_by is None and live.pending_revision.claimed_by == reviewer
    live.release(by=reviewer)
    assert live.pending_revision.claimed_by is None


def test_it_forgets_the_revisions_claim_and_schedule_when_it_is_returned(live, reviewer):
    live.claim(by=reviewer)
    live.schedule(by=reviewer, publish_at=timezone.now() + timedelta(days=1))
    live.return_to_author(by=reviewer, comment="Shorter")
    revision = PlanRevision.objects.get()
    assert (revision.status, revision.claimed_by, revision.publish_at) == ("returned", None, None)


# ---------------------------------------------------------------- scheduled publication of a revision


def test_it_schedules_a_revision_and_the_task_publishes_it_exactly_once(
    client, live, reviewer, focal_point, django_capture_on_commit_callbacks
):
    when = (timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, live, "schedule_revision", publish_at=local(when))
    assert messages_of(response) == [
        "The revision's publication is scheduled; the live plan stays as it is until then."
    ]
    revision = PlanRevision.objects.get()
    assert (revision.status, revision.publish_at, revision.scheduled_by) == ("submitted", when, reviewer)
    [message] = mail.outbox
    assert message.to == [focal_point.email]
    assert "scheduled the publication of the revision" in message.subject and "Publication: " in message.body

    body = client.get(HOME).content.decode()
    scheduled = body[
        body.index('id="dashboard-scheduled"') : body.index("</ul>", body.index('id="dashboard-scheduled"'))
    ]
    assert (
        "Live title" in scheduled and "revision of a live plan" in scheduled and "published on" in scheduled
    )
    assert "scheduled" in queue_row(client, "Live title")
    assert client.get(live.get_absolute_url()).content.decode().count("Revised title") == 0

    assert tasks.due_schedules(when - timedelta(minutes=1))["revisions_published"] == []
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.due_schedules(when)["revisions_published"] == [revision.pk]
        assert tasks.due_schedules(when)["revisions_published"] == []  # once
    revision.refresh_from_db()
    live.refresh_from_db()
    assert (revision.status, revision.publish_at) == ("published", None)
    assert (live.status, live.title) == ("published", "Revised title")
    [event] = live.events.filter(action=PlanEvent.Action.PUBLISH_REVISION)
    assert event.actor == reviewer  # the reviewer who scheduled it
    assert "Revised title" in client.get(live.get_absolute_url()).content.decode()
    assert "published the revision" in mail.outbox[-1].subject


def test_it_leaves_a_scheduled_revision_of_a_plan_withdrawn_meanwhile_unapplied_and_logs_it(
    live, reviewer, caplog
):
    when = timezone.now() + timedelta(hours=1)
    live.schedule(by=reviewer, publish_at=when)
    live.withdraw(by=reviewer, reason="Outdated")
    assert tasks.due_schedules(when)["revisions_published"] == []
    revision = PlanRevision.objects.get()
    live.refresh_from_db()
    assert (revision.status, revision.publish_at) == ("submitted", None)  # not tried again every run
    assert (live.status, live.title) == ("withdrawn", "Live title")
    assert "The plan was withdrawn after this revision was submitted" in caplog.text


@pytest.mark.parametrize(
    ("publish_in", "message"),
    [
        (-5, "has passed: choose a later one, or publish now."),
        (None, "Say when to publish the plan."),
    ],
)
def test_it_refuses_a_revision_schedule_in_the_past_with_a_clear_message(
    client, live, reviewer, publish_in, message
):
    form = {"publish_at": local(timezone.now() + timedelta(minutes=publish_in)) if publish_in else ""}
    client.force_login(reviewer)
    [shown] = messages_of(post(client, live, "schedule_revision", **form))
    assert shown.endswith(message)
    revision = PlanRevision.objects.get()
    assert revision.publish_at is None and not revision.events.filter(action="schedule_revision").exists()


def test_it_refuses_to_schedule_a_revision_of_a_plan_withdrawn_meanwhile(client, live, reviewer):
    revision = live.pending_revision
    Plan.objects.filter(pk=live.pk).update(status=Plan.Status.WITHDRAWN)
    client.force_login(reviewer)
    [shown] = messages_of(
        post(
            client,
            live,
            "schedule_revision",
            revision=revision.pk,
            publish_at=local(timezone.now() + timedelta(days=1)),
        )
    )
    assert shown.startswith("The plan was withdrawn after this revision was submitted")
    assert PlanRevision.objects.get().publish_at is None


def test_it_cancels_a_revisions_scheduled_publication(client, live, reviewer):
    live.schedule(by=reviewer, publish_at=timezone.now() + timedelta(hours=3))
    client.force_login(reviewer)
    response = post(client, live, "unschedule_revision")
    assert messages_of(response) == ["The scheduled publication is cancelled; the revision stays submitted."]
    assert PlanRevision.objects.get().publish_at is None
    [shown] = messages_of(post(client, live, "unschedule_revision"))
    assert shown == "This revision is not scheduled for publication."


def test_it_refuses_an_expiry_with_a_revisions_schedule(live, reviewer):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="set the live plan’s expiry date on its own"):
        live.schedule(
            by=reviewer,
            publish_at=timezone.now() + timedelta(hours=1),
            expire_at=timezone.now() + timedelta(days=1),
        )


# ---------------------------------------------------------------- expiry of a live plan


@pytest.fixture
def online(plan_factory):
    return plan_factory(title="Online plan", status=Plan.Status.PUBLISHED, published_at=timezone.now())


def test_it_sets_moves_and_clears_the_expiry_of_a_live_plan(
    client, online, reviewer, focal_point, django_capture_on_commit_callbacks
):
    first = (timezone.now() + timedelta(days=10)).replace(second=0, microsecond=0)
    client.force_login(reviewer)
    change = client.get(reverse("admin:plans_plan_change", args=[online.pk])).content.decode()
    assert 'value="set_expiry"' in change and 'name="expire_at" id="expire_at-set_expiry" required' in change
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(transition_url(online, "set_expiry"), {"expire_at": local(first)}, follow=True)
    assert messages_of(response) == [
        "The expiry date is set: the plan is withdrawn from the public site then; the dashboard lists it."
    ]
    online.refresh_from_db()
    assert (online.status, online.expire_at, online.scheduled_by) == ("published", first, reviewer)
    [message] = mail.outbox
    assert message.to == [focal_point.email] and "Withdrawal from the public site: " in message.body
    body = client.get(HOME).content.decode()
    scheduled = body[
        body.index('id="dashboard-scheduled"') : body.index("</ul>", body.index('id="dashboard-scheduled"'))
    ]
    assert "Online plan" in scheduled and "withdrawn on" in scheduled

    later = first + timedelta(days=5)
    client.post(transition_url(online, "set_expiry"), {"expire_at": local(later)})
    online.refresh_from_db()
    assert online.expire_at == later
    client.post(transition_url(online, "cancel_expiry"))
    online.refresh_from_db()
    assert (online.status, online.expire_at) == ("published", None)
    assert list(online.events.order_by("pk").values_list("action", flat=True)) == [
        "set_expiry",
        "set_expiry",
        "cancel_expiry",
    ]


@pytest.mark.parametrize(
    ("expire_in", "message"),
    [
        (-5, "has passed: choose a later one, or withdraw the plan now."),
        (None, "Say when to withdraw the plan from the public site."),
    ],
)
def test_it_refuses_an_expiry_in_the_past_on_a_live_plan(client, online, reviewer, expire_in, message):
    form = {"expire_at": local(timezone.now() + timedelta(minutes=expire_in)) if expire_in else ""}
    client.force_login(reviewer)
    [shown] = messages_of(client.post(transition_url(online, "set_expiry"), form, follow=True))
    assert shown.endswith(message)
    online.refresh_from_db()
    assert online.expire_at is None and not online.events.exists()


def test_it_lets_only_reviewers_set_an_expiry_and_only_on_a_live_plan(
    client, online, plan_factory, focal_point, reviewer
):
    until = local(timezone.now() + timedelta(days=3))
    client.force_login(focal_point)
    assert client.post(transition_url(online, "set_expiry"), {"expire_at": until}).status_code == 403
    assert client.get(transition_url(online, "set_expiry")).status_code == 405
    client.force_login(reviewer)
    draft = plan_factory(title="A draft")
    [shown] = messages_of(client.post(transition_url(draft, "set_expiry"), {"expire_at": until}, follow=True))
    assert shown == "Only a published plan can be given an expiry date."
    assert Plan.objects.filter(expire_at__isnull=False).count() == 0


def test_it_withdraws_a_live_plan_at_the_expiry_a_reviewer_set_later(online, reviewer):
    when = timezone.now() + timedelta(hours=2)
    online.set_expiry(by=reviewer, expire_at=when)
    assert tasks.due_schedules(when)["expired"] == [online.pk]
    assert tasks.due_schedules(when)["expired"] == []
    online.refresh_from_db()
    assert (online.status, online.expire_at) == ("withdrawn", None)


# ---------------------------------------------------------------- a live plan's form, a revision pending


def test_it_tells_a_superuser_and_a_reviewer_whose_revision_is_pending_and_links_to_it(
    client, live_plan, focal_point, reviewer, superuser
):
    client.force_login(focal_point)
    assert (
        client.post(change_url(live_plan), form_data(client, live_plan, title="Alice's title")).status_code
        == 302
    )
    for user in (superuser, reviewer):
        client.force_login(user)
        body = client.get(change_url(live_plan)).content.decode()
        banner = body[
            body.index('id="revision-banner"') : body.index("</div>", body.index('id="revision-banner"'))
        ]
        assert "Started by alice on" in banner and "last saved by alice on" in banner
        assert "revision 1" in banner.lower() and "being edited" in banner
        assert reverse("admin:plans_plan_revision", args=[live_plan.pk]) in banner


def test_it_puts_a_superusers_save_into_the_pending_revision_instead_of_the_live_plan(
    client, live_plan, focal_point, superuser
):
    """One draft at a time: publishing the revision writes its whole content over the live plan, so a
    superuser's direct save would be silently undone by it; their save goes into the revision instead."""
    client.force_login(focal_point)
    client.post(change_url(live_plan), form_data(client, live_plan, title="Alice's title"))
    client.force_login(superuser)
    data = form_data(client, live_plan, challenge_statement="Root's correction")
    assert data["title"] == "Alice's title"  # the form shows the revision, with alice's change
    assert client.post(change_url(live_plan), data).status_code == 302
    live_plan.refresh_from_db()
    assert (live_plan.title, live_plan.challenge_statement) == (
        "Informal waste pickers",
        "How might waste pickers earn more?",
    )
    revision = PlanRevision.objects.get()
    assert revision.content["fields"]["title"] == "Alice's title"
    assert revision.content["fields"]["challenge_statement"] == "Root's correction"
    assert revision.updated_by == superuser
    # Published, the revision carries both changes: nothing was lost.
    live_plan.submit(by=focal_point)
    live_plan.publish(by=superuser)
    live_plan.refresh_from_db()
    assert (live_plan.title, live_plan.challenge_statement) == ("Alice's title", "Root's correction")


def test_it_refuses_a_save_over_a_submitted_revision_with_a_message(
    client, live_plan, focal_point, superuser
):
    client.force_login(focal_point)
    client.post(change_url(live_plan), form_data(client, live_plan, title="Alice's title"))
    client.force_login(superuser)
    stale = form_data(client, live_plan, title="Root's title")  # opened before the revision was submitted
    live_plan.submit(by=focal_point)
    response = client.get(change_url(live_plan))
    assert not response.context["has_change_permission"]  # read-only while with the reviewers
    assert "It is with the reviewers: the form is read-only" in response.content.decode()
    response = client.post(change_url(live_plan), stale, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Revision 1 of this live plan is with the reviewers: your changes were not saved. Edit it again "
        "once a reviewer returns it for changes."
    ]
    assert PlanRevision.objects.get().content["fields"]["title"] == "Alice's title"
    live_plan.refresh_from_db()
    assert live_plan.title == "Informal waste pickers"


def test_it_lets_a_superuser_edit_a_live_plan_without_a_revision_directly(client, live_plan, superuser):
    client.force_login(superuser)
    body = client.get(change_url(live_plan)).content.decode()
    assert 'id="revision-banner"' not in body
    assert (
        client.post(change_url(live_plan), form_data(client, live_plan, title="Root's title")).status_code
        == 302
    )
    live_plan.refresh_from_db()
    assert live_plan.title == "Root's title" and not PlanRevision.objects.exists()


def test_it_shows_a_focal_point_who_reviews_their_revision_and_when_it_goes_online(
    client, live, reviewer, focal_point
):
    live.claim(by=reviewer)
    live.schedule(by=reviewer, publish_at=timezone.now() + timedelta(days=1))
    client.force_login(focal_point)
    body = client.get(HOME).content.decode()
    mine = body[
        body.index('id="dashboard-revisions"') : body.index("</ul>\n", body.index('id="dashboard-revisions"'))
    ]
    assert (
        "Live title" in mine
        and "Reviewed by rita (claimed" in mine
        and "Scheduled for publication on" in mine
    )


@pytest.mark.browser
def test_it_lets_a_reviewer_claim_and_schedule_a_revision_in_a_browser(
    page, login, live, reviewer, artifacts_dir
):
    from playwright.sync_api import expect

    login(reviewer)
    page.goto(f"/admin/plans/plan/{live.pk}/revision/")
    page.click("button[value=claim_revision]")
    expect(page.locator(".messagelist")).to_contain_text("You now review this plan")
    expect(page.locator(".review-state .claimed-by")).to_contain_text("Reviewed by rita")
    when = (timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    page.fill("#publish_at-schedule_revision", when)
    page.click("button[value=schedule_revision]")
    expect(page.locator(".messagelist")).to_contain_text("The revision's publication is scheduled")
    expect(page.locator(".review-state .publish-at")).to_contain_text("Scheduled for publication on")
    page.goto("/admin/")
    expect(page.locator("#dashboard-queue .claimed-by")).to_have_text("rita")
    expect(page.locator("#dashboard-scheduled")).to_contain_text("revision of a live plan")
    page.screenshot(path=artifacts_dir / "dashboard-revision-scheduled.png", full_page=True)
    revision = PlanRevision.objects.get()
    assert (revision.claimed_by, revision.status) == (
        reviewer,
        "submitted",
    ) and revision.publish_at is not None
    assert page.console_errors == []
