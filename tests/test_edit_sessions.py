"""The soft lock's heartbeat (plans/locks.py, static/js/edit_session.js): an open change form renews its
user's edit session, so that the others are told someone is still editing, and the mark expires a few
minutes after the form was left. Over HTTP, and in a real browser."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from plans import locks
from plans.models import EditSession, Plan
from tests.test_permissions import PERSONAS, assert_login_redirect


def beat_url(plan):
    return reverse("admin:plans_plan_edit_session", args=[plan.pk])


def open_form(client, plan):
    assert client.get(reverse("admin:plans_plan_change", args=[plan.pk])).status_code == 200


def age(plan, user, by):
    EditSession.objects.filter(plan=plan, user=user).update(seen_at=timezone.now() - by)


def test_it_keeps_the_mark_of_a_form_left_open_beyond_the_time_a_mark_lasts(
    client, plan_factory, focal_point
):
    plan = plan_factory()
    client.force_login(focal_point)
    open_form(client, plan)
    body = client.get(reverse("admin:plans_plan_change", args=[plan.pk])).content.decode()
    assert 'id="edit-session"' in body and 'data-every="60"' in body and "js/edit_session.js" in body
    for _minute in range(5):  # five minutes with the form open, a beat a minute: never gone
        age(plan, focal_point, locks.HEARTBEAT)
        response = client.post(beat_url(plan))
        assert (response.status_code, response.json()) == (200, {"held": True})
    assert EditSession.objects.get(plan=plan).seen_at > timezone.now() - timedelta(seconds=5)


def test_it_lets_a_mark_expire_once_the_beats_stop(client, plan_factory, focal_point, superuser):
    plan = plan_factory()
    client.force_login(focal_point)
    open_form(client, plan)
    age(plan, focal_point, locks.FRESH_FOR + timedelta(seconds=1))  # the tab was closed
    assert list(locks.others(plan, superuser)) == []
    response = client.post(beat_url(plan))
    assert (response.status_code, response.json()) == (409, {"held": False})  # not renewed once gone
    assert list(locks.others(plan, superuser)) == []


def test_it_renews_only_the_holders_own_mark(client, plan_factory, focal_point, superuser):
    plan = plan_factory()
    client.force_login(focal_point)
    open_form(client, plan)
    client.force_login(superuser)
    response = client.post(beat_url(plan))  # never opened the form: holds nothing
    assert response.status_code == 409
    assert list(EditSession.objects.values_list("user__username", flat=True)) == ["alice"]


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_answers_the_heartbeat_only_for_those_who_may_edit_the_form(
    client, persona, user_of, plan_factory
):
    plan = plan_factory()
    user = user_of(persona)
    if persona != "anonymous":
        client.force_login(user)
        EditSession.objects.create(plan=plan, user=user)
    response = client.post(beat_url(plan))
    expected = {"focal_point": 200, "superuser": 200, "reviewer": 403, "other_focal_point": 404}
    if persona == "anonymous":
        assert_login_redirect(response)
    else:
        assert response.status_code == expected[persona]


def test_it_refuses_a_heartbeat_without_post_or_csrf(plan_factory, focal_point):
    plan = plan_factory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(focal_point)
    open_form(client, plan)
    assert client.get(beat_url(plan)).status_code == 405
    assert client.post(beat_url(plan)).status_code == 403  # no token


def test_it_stops_the_heartbeat_of_a_plan_submitted_meanwhile(client, plan_factory, focal_point):
    plan = plan_factory()
    client.force_login(focal_point)
    open_form(client, plan)
    plan.submit(by=focal_point)
    assert client.post(beat_url(plan)).status_code == 403  # its authors may no longer edit it
    assert Plan.objects.get(pk=plan.pk).status == Plan.Status.SUBMITTED


@pytest.mark.browser
def test_it_sends_the_heartbeat_from_an_open_form(page, login, plan_factory, focal_point):
    plan = plan_factory()
    login(focal_point)
    page.clock.install()
    page.goto(f"/admin/plans/plan/{plan.pk}/change/")
    EditSession.objects.filter(plan=plan).update(seen_at=timezone.now() - timedelta(minutes=2))
    with page.expect_response(lambda r: r.url.endswith(beat_url(plan))) as beat:
        page.clock.run_for(61_000)
    assert beat.value.status == 200 and beat.value.request.method == "POST"
    assert EditSession.objects.get(plan=plan).seen_at > timezone.now() - timedelta(seconds=30)
    assert page.console_errors == []


def test_it_keeps_the_mark_of_an_author_editing_a_live_plans_revision_until_it_is_submitted(
    client, live_plan, focal_point
):
    from tests.test_revisions_http import form_data

    client.force_login(focal_point)
    client.post(
        reverse("admin:plans_plan_change", args=[live_plan.pk]), form_data(client, live_plan, title="New")
    )
    open_form(client, live_plan)  # the revision's form
    assert client.post(beat_url(live_plan)).status_code == 200
    live_plan.submit(by=focal_point)  # with the reviewers: the form is read-only, nobody edits it
    assert client.post(beat_url(live_plan)).status_code == 403
