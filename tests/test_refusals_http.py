"""Refusals over HTTP for what was added with the review workspace, tag curation and open data: every denied
or malformed request is answered 403, 404, 405 or 400 (or the sign-in page, or a message on the page it came
from), and the database is exactly as it was. The permission matrices (test_permissions*.py) cover the
plan's own transitions; this file covers the rest."""

import datetime
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from plans import comments, dumps, revisions, vocabularies
from plans.models import APIKey, MethodTag, Plan, PlanEvent, PlanRevision, ReviewComment, TagChange
from tests import test_vocabularies
from tests.test_permissions import PERSONAS, assert_login_redirect, assert_refused

TOMORROW = timezone.now() + timedelta(days=1)


def state():
    """Every row a refused request could have touched."""
    return (
        list(Plan.objects.order_by("pk").values()),
        list(PlanEvent.objects.order_by("pk").values()),
        list(PlanRevision.objects.order_by("pk").values()),
        list(ReviewComment.objects.order_by("pk").values()),
        list(MethodTag.objects.order_by("pk").values()),
        list(TagChange.objects.order_by("pk").values()),
        list(APIKey.objects.order_by("pk").values()),
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


def transition(client, plan, action, **data):
    return client.post(reverse("admin:plans_plan_transition", args=[plan.pk, action]), data)


# ---------------------------------------------------------------- claims, schedules, expiry


@pytest.fixture
def in_review(plan_factory, reviewer):
    """A submitted plan that `reviewer` claimed and scheduled, and a published one that expires."""
    plan = plan_factory(title="Claimed", status=Plan.Status.SUBMITTED, complete=True)
    plan.claim(by=reviewer)
    plan.schedule(by=reviewer, publish_at=TOMORROW)
    live = plan_factory(title="Expiring", status=Plan.Status.PUBLISHED, expire_at=TOMORROW, complete=True)
    return Plan.objects.get(pk=plan.pk), live


@pytest.mark.parametrize("action", ["release", "unschedule", "cancel_expiry"])
@pytest.mark.parametrize("persona", [*PERSONAS, "second_reviewer"])
def test_it_releases_unschedules_and_keeps_online_only_for_who_may(
    persona, action, as_persona, client, in_review, reviewer, second_reviewer, other_focal_point
):
    claimed, expiring = in_review
    plan = expiring if action == "cancel_expiry" else claimed
    as_persona(persona)
    # Releasing is the claimer's (and superusers'); the other two are any reviewer's.
    allowed = {"reviewer", "superuser"} | ({"second_reviewer"} if action != "release" else set())
    before = state()
    response = transition(client, plan, action)
    if persona in allowed:
        assert response.status_code == 302 and state() != before
        plan.refresh_from_db()
        assert {"release": plan.claimed_by, "unschedule": plan.publish_at, "cancel_expiry": plan.expire_at}[
            action
        ] is None
        return
    assert_refused(response, "reviewer" if persona == "second_reviewer" else persona)
    assert state() == before


def test_it_refuses_an_unknown_transition_and_a_get(client, in_review, reviewer):
    claimed, _expiring = in_review
    client.force_login(reviewer)
    before = state()
    assert transition(client, claimed, "nonsense").status_code == 404
    assert transition(client, claimed, "expire").status_code == 404  # the worker's, no button
    url = reverse("admin:plans_plan_transition", args=[claimed.pk, "publish"])
    assert client.get(url).status_code == 405
    assert state() == before


@pytest.mark.parametrize("publish_at", ["", "tomorrow", "2026-02-30T10:00", "1999-01-01T10:00"])
def test_it_refuses_a_schedule_without_a_date_in_the_future(client, plan_factory, reviewer, publish_at):
    plan = plan_factory(status=Plan.Status.SUBMITTED, complete=True)
    client.force_login(reviewer)
    before = state()
    response = transition(client, plan, "schedule", publish_at=publish_at)
    assert response.status_code == 302 and messages_of(response)
    assert state() == before


# ---------------------------------------------------------------- revisions and comments


@pytest.fixture
def revised(live_plan, focal_point):
    content = revisions.snapshot(live_plan)
    content["fields"]["title"] = "Revised title"
    return live_plan, revisions.save_content(live_plan, content, by=focal_point)


def test_it_answers_404_for_a_revision_that_does_not_exist(client, revised, reviewer, plan_factory):
    plan, revision = revised
    client.force_login(reviewer)
    assert client.get(reverse("admin:plans_plan_revision_number", args=[plan.pk, 99])).status_code == 404
    without = plan_factory(status=Plan.Status.PUBLISHED, complete=True)
    assert client.get(reverse("admin:plans_plan_revision", args=[without.pk])).status_code == 404
    # A revision's number is the plan's own: another plan's revision is not found through this one.
    url = reverse("admin:plans_plan_revision_number", args=[without.pk, revision.number])
    assert client.get(url).status_code == 404


def test_it_refuses_a_revision_transition_on_a_revision_replaced_meanwhile(client, revised, focal_point):
    plan, revision = revised
    client.force_login(focal_point)
    before = state()
    for posted in ("", str(revision.pk + 1000), "x"):
        response = transition(client, plan, "submit_revision", revision=posted)
        assert response.status_code == 302
        assert messages_of(response)[-1] == (
            "This revision was published, discarded or replaced meanwhile. Nothing was changed."
        )
    assert state() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"body": "   ", "anchor": "field:title"}, None),
        ({"body": "Why?", "anchor": "field:password"}, None),
        ({"body": "Why?", "anchor": "row:insights:no-such-row"}, "This row no longer exists"),
    ],
)
def test_it_refuses_an_empty_or_misplaced_comment_over_http(client, revised, reviewer, data, message):
    plan, revision = revised
    client.force_login(reviewer)
    before = state()
    url = reverse("admin:plans_plan_comment", args=[plan.pk])
    response = client.post(url, {**data, "revision": revision.pk})
    assert response.status_code == 302
    errors = [m for m in response.wsgi_request._messages if m.level_tag == "error"]
    assert errors and (message is None or any(message in str(m) for m in errors))
    assert state() == before


def test_it_refuses_a_reply_to_or_a_resolve_of_another_plans_comment(client, revised, reviewer, plan_factory):
    plan, revision = revised
    other = plan_factory(status=Plan.Status.SUBMITTED, complete=True)
    elsewhere = comments.add(other, reviewer, "On the other plan", anchor="field:title")
    client.force_login(reviewer)
    before = state()
    reply = client.post(
        reverse("admin:plans_plan_comment", args=[plan.pk]),
        {"body": "Reply", "anchor": "field:title", "revision": revision.pk, "parent": elsewhere.pk},
    )
    assert reply.status_code == 404
    resolve = reverse("admin:plans_plan_comment_resolve", args=[plan.pk, elsewhere.pk])
    assert client.post(resolve, {"resolved": "1"}).status_code == 404
    assert client.get(reverse("admin:plans_plan_comment", args=[plan.pk])).status_code == 405
    own = reverse("admin:plans_plan_comment_resolve", args=[other.pk, elsewhere.pk])
    assert client.get(own, {"resolved": "1"}).status_code == 405
    assert state() == before


@pytest.mark.parametrize("persona", ["other_focal_point", "anonymous"])
def test_it_refuses_to_resolve_a_comment_to_who_may_not_comment(
    persona, as_persona, client, revised, reviewer, other_focal_point
):
    plan, revision = revised
    comment = comments.add(plan, reviewer, "Shorter title?", anchor="field:title", revision=revision)
    as_persona(persona)
    before = state()
    response = client.post(
        reverse("admin:plans_plan_comment_resolve", args=[plan.pk, comment.pk]), {"resolved": "1"}
    )
    assert_refused(response, persona)
    assert state() == before


# ---------------------------------------------------------------- tag curation


tagged = test_vocabularies.tagged  # two published plans and their three methods


@pytest.fixture
def tags(tagged):
    return list(MethodTag.objects.order_by("pk"))


@pytest.mark.parametrize("persona", ["focal_point", "anonymous"])
def test_it_refuses_a_merge_rename_or_undo_to_who_does_not_curate(
    persona, as_persona, client, tags, reviewer, focal_point
):
    change = vocabularies.merge("methods", tags[:2], tags[0], by=reviewer)
    as_persona(persona)
    before = state()
    merge = client.post(
        reverse("admin:plans_methodtag_changelist"),
        {"action": "merge_selected", "_selected_action": [tags[0].pk, tags[2].pk], "confirm": "merge"},
    )
    rename = client.post(reverse("admin:plans_methodtag_change", args=[tags[2].pk]), {"name": "Hacked"})
    undo = client.post(
        reverse("admin:plans_tagchange_changelist"),
        {"action": "undo_selected", "_selected_action": [change.pk]},
    )
    if persona == "anonymous":
        for response in (merge, rename, undo):
            assert_login_redirect(response)
    else:
        # A focal point sees the list of methods (to choose from it) but is offered no action at all: the
        # posted one is ignored and the list shown again; renaming and the log of changes are a reviewer's.
        assert merge.status_code == 200 and merge.context["action_form"] is None
        assert rename.status_code == 403 and undo.status_code == 403
    assert state() == before


def test_it_merges_nothing_from_one_tag_or_a_stale_selection(client, tags, reviewer):
    client.force_login(reviewer)
    url = reverse("admin:plans_methodtag_changelist")
    before = state()
    one = client.post(url, {"action": "merge_selected", "_selected_action": [tags[0].pk], "confirm": "merge"})
    assert one.status_code == 302 and "Select at least two tags to merge." in messages_of(one)
    gone = client.post(
        url, {"action": "merge_selected", "_selected_action": [tags[0].pk, 99999], "confirm": "merge"}
    )
    assert gone.status_code == 302 and "Select at least two tags to merge." in messages_of(gone)
    assert state() == before


def test_it_undoes_a_change_once_and_says_so_the_second_time(client, tags, reviewer):
    change = vocabularies.merge("methods", tags[:2], tags[0], by=reviewer)
    client.force_login(reviewer)
    url = reverse("admin:plans_tagchange_changelist")
    selected = {"action": "undo_selected", "_selected_action": [change.pk]}
    assert client.post(url, selected).status_code == 302
    before = state()
    again = client.post(url, selected)
    assert again.status_code == 302
    assert [m for m in again.wsgi_request._messages if m.level_tag == "error"]
    assert state() == before


def test_it_refuses_an_empty_name_on_rename(client, tags, reviewer):
    client.force_login(reviewer)
    before = state()
    response = client.post(
        reverse("admin:plans_methodtag_change", args=[tags[2].pk]),
        {"name": "  ", "name_fr": "", "name_es": "", "category": ""},
    )
    assert response.status_code == 200 and "name" in response.context["adminform"].form.errors
    assert state() == before


def test_it_refuses_suggestions_to_staff_who_neither_author_nor_review(client, django_user_model, tags):
    from tests.conftest import _make_user

    clerk = _make_user(django_user_model, "clerk")  # staff, in no role group
    client.force_login(clerk)
    assert client.get(reverse("admin:plans_methodtag_suggest"), {"q": "map"}).status_code == 403


def test_it_answers_a_very_long_or_odd_suggestion_query(client, focal_point, tags):
    client.force_login(focal_point)
    url = reverse("admin:plans_methodtag_suggest")
    for q in ("m" * 10_000, "\x00map", "%", "'; DROP TABLE plans_plan; --"):
        response = client.get(url, {"q": q})
        assert response.status_code == 200, q
        assert isinstance(response.json()["results"], list)


# ---------------------------------------------------------------- API keys


def test_it_sends_the_anonymous_to_sign_in_before_making_or_revoking_a_key(client, focal_point):
    row, _key = APIKey.make(focal_point, "script")
    before = state()
    assert_login_redirect(client.post(reverse("account:api-keys"), {"name": "Mine"}))
    assert_login_redirect(client.post(reverse("account:revoke-api-key", kwargs={"pk": row.pk})))
    assert state() == before


def test_it_answers_404_for_a_key_that_does_not_exist_and_refuses_other_methods(client, focal_point):
    client.force_login(focal_point)
    before = state()
    assert client.post(reverse("account:revoke-api-key", kwargs={"pk": 99999})).status_code == 404
    assert client.put(reverse("account:api-keys"), {"name": "x"}).status_code == 405
    assert client.delete(reverse("account:api-keys")).status_code == 405
    assert state() == before


# ---------------------------------------------------------------- dumps


@pytest.fixture
def dumped(settings, tmp_path, plan_factory):
    settings.DUMPS_ROOT = tmp_path / "dumps"
    plan_factory(title="Open", status=Plan.Status.PUBLISHED, published_at=timezone.now())
    return dumps.write(datetime.date(2026, 11, 1))


@pytest.mark.parametrize(
    "path",
    [
        "/dumps/2026-11-1/manifest.json",  # not a date
        "/dumps/..%2F..%2Fetc/passwd",
        "/dumps/2026-11-01/..%2Fmanifest.json",
        "/dumps/2026-11-01/.lock",
        "/dumps/2026-11-01/acclab-plans-2026-11-01-pdf.zip",  # not written
        "/dumps/2026-11-02/manifest.json",  # no dump that day
        "/dumps/.partial-x/manifest.json",
        "/dumps/2026-11-01/%00.zip",
    ],
)
def test_it_serves_no_file_outside_a_complete_dump(client, dumped, path):
    assert client.get("/dumps/2026-11-01/manifest.json").status_code == 200
    assert client.get(path).status_code == 404


# ---------------------------------------------------------------- the catalogue's parameters


@pytest.mark.parametrize(
    "params",
    [{"page": "-1"}, {"page": "1.5"}, {"page": "1e3"}, {"page": ""}, {"modified_since": "2026-01-01T25:00"}],
)
def test_it_refuses_more_malformed_catalogue_parameters(client, plan_factory, params):
    plan_factory(title="Open", status=Plan.Status.PUBLISHED, published_at=timezone.now())
    for name in ("catalog-jsonld", "catalog-ttl"):
        response = client.get(reverse(name), params)
        assert response.status_code == 400, (name, params)
