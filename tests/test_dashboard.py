"""The dashboard on the admin home (issue 13): what each role sees there, over HTTP."""

from datetime import timedelta

import pytest
from django.utils import timezone

from plans import revisions
from plans.models import Plan, PlanEvent

HOME = "/admin/"


@pytest.fixture
def workspace(plan_factory, lab_b, focal_point, other_focal_point, reviewer):
    """Lab A's plans in every state of the review workspace, and one plan of lab B."""
    now = timezone.now()
    plans = {
        "draft": plan_factory(title="Fresh draft"),
        "returned": plan_factory(title="Returned plan", status=Plan.Status.SUBMITTED),
        "old": plan_factory(title="Submitted long ago", status=Plan.Status.SUBMITTED),
        "new": plan_factory(title="Submitted today", status=Plan.Status.SUBMITTED),
        "live": plan_factory(
            title="Live plan", status=Plan.Status.PUBLISHED, published_at=now, complete=True
        ),
        "expiring": plan_factory(title="Expiring plan", status=Plan.Status.SUBMITTED),
        "other_lab": plan_factory(title="Peru draft", lab=lab_b),
    }
    plans["returned"].return_to_author(by=reviewer, comment="Please add your partners")
    for key in ("old", "new"):
        PlanEvent.objects.create(plan=plans[key], actor=focal_point, action="submit")
    PlanEvent.objects.filter(plan=plans["old"]).update(created_at=now - timedelta(days=9))
    plans["new"].claim(by=reviewer)
    plans["new"].schedule(by=reviewer, publish_at=now + timedelta(days=2))
    plans["expiring"].publish(by=reviewer, expire_at=now + timedelta(days=20))
    content = revisions.snapshot(plans["live"])
    content["fields"]["title"] = "Live plan, corrected"
    revisions.save_content(plans["live"], content, focal_point)
    plans["live"].submit(by=focal_point)
    plans["live"].return_to_author(by=reviewer, comment="Spell the lab's name out")
    plans["live"].blog_links.create(url="https://example.org/awaiting", title="Awaiting approval")
    plans["other_lab"].blog_links.create(url="https://example.org/peru", title="Peru post")
    return plans


def home(client, user) -> str:
    client.force_login(user)
    response = client.get(HOME)
    assert response.status_code == 200
    return response.content.decode()


def section(body: str, element_id: str) -> str:
    start = body.index(f'id="{element_id}"')
    return body[start : body.index("</ul>" if "<ul" in body[start - 4 : start] else "</table>", start)]


def test_it_shows_a_focal_point_their_labs_plans_by_state(client, workspace, focal_point):
    body = home(client, focal_point)
    assert 'id="reviewer-dashboard"' not in body
    returned = section(body, "dashboard-returned")
    assert "Returned plan" in returned and "Please add your partners" in returned
    assert "Fresh draft" in section(body, "dashboard-drafts") and "Returned plan" not in section(
        body, "dashboard-drafts"
    )
    submitted = section(body, "dashboard-submitted")
    assert "Submitted today" in submitted and "Reviewed by rita" in submitted
    assert "Scheduled for publication on" in submitted
    live = section(body, "dashboard-revisions")
    assert "Live plan" in live and "Changes requested" in live and "Spell the lab&#x27;s name out" in live
    assert "Awaiting approval" in body
    assert "Peru" not in body  # another lab's draft and link do not exist for them


def test_it_shows_a_reviewer_the_queue_oldest_first_with_who_claimed_each(client, workspace, reviewer):
    body = home(client, reviewer)
    assert 'id="focal-point-dashboard"' not in body
    queue = section(body, "dashboard-queue")
    assert queue.index("Submitted long ago") < queue.index("Submitted today")
    assert "Returned plan" not in queue and "Fresh draft" not in queue
    row = queue[queue.index("Submitted today") :]
    assert "rita" in row[: row.index("</tr>")]
    assert "nobody yet" in queue[queue.index("Submitted long ago") :]
    assert "Awaiting approval" in body and "Peru post" in body
    scheduled = section(body, "dashboard-scheduled")
    assert scheduled.index("Submitted today") < scheduled.index("Expiring plan")
    assert "published on" in scheduled and "withdrawn on" in scheduled


def test_it_lists_a_submitted_revision_in_the_reviewers_queue(client, workspace, reviewer, focal_point):
    workspace["live"].submit(by=focal_point)
    queue = section(home(client, reviewer), "dashboard-queue")
    assert "Live plan" in queue and "revision of a live plan" in queue


def test_it_shows_another_labs_focal_point_only_their_own(client, workspace, other_focal_point):
    body = home(client, other_focal_point)
    assert "Peru draft" in section(body, "dashboard-drafts") and "Peru post" in body
    for title in ("Fresh draft", "Returned plan", "Submitted today", "Live plan", "Awaiting approval"):
        assert title not in body


@pytest.mark.parametrize("language", ["fr", "es"])
def test_it_shows_the_dashboard_in_the_readers_language(client, workspace, reviewer, language):
    from plans.models import UserPreference

    UserPreference.objects.create(user=reviewer, language=language)
    body = home(client, reviewer)
    expected = {"fr": "personne pour l’instant", "es": "nadie todavía"}[language]
    assert expected in body
