"""The permission matrix: personas × actions × plan status, at the model level and over HTTP through the
admin. Every denied cell also asserts that nothing in the database changed."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from reversion.models import Version

from plans import permissions
from plans.models import BlogLink, Plan, PlanEvent

PERSONAS = ["focal_point", "other_focal_point", "reviewer", "superuser", "anonymous"]
STATUSES = [s.value for s in Plan.Status]
INLINE_PREFIXES = [
    "insights",
    "barriers",
    "partnerships",
    "learning_questions",
    "evidence",
    "blog_links",
    "extra_answers",
]

# Who may make each transition, and from which status (the matrix is the product of both).
TRANSITIONS = {
    "submit": ({"focal_point", "superuser"}, "draft", "submitted"),
    "return": ({"reviewer", "superuser"}, "submitted", "draft"),
    "publish": ({"reviewer", "superuser"}, "submitted", "published"),
    "withdraw": ({"reviewer", "superuser"}, "published", "withdrawn"),
    "reopen": ({"reviewer", "superuser"}, "withdrawn", "draft"),
    # The review workspace (issue 13): claims, recalls, schedules, discarded drafts (None: deleted).
    "claim": ({"reviewer", "superuser"}, "submitted", "submitted"),
    "recall": ({"focal_point", "superuser"}, "submitted", "draft"),
    "schedule": ({"reviewer", "superuser"}, "submitted", "submitted"),
    "discard": ({"focal_point", "superuser"}, "draft", None),
    "set_expiry": ({"reviewer", "superuser"}, "published", "published"),
}
TOMORROW = timezone.now() + timedelta(days=1)


def snapshot():
    return (
        list(Plan.objects.order_by("pk").values()),
        list(BlogLink.objects.order_by("pk").values()),
        list(PlanEvent.objects.order_by("pk").values()),
        Version.objects.count(),
    )


def transition(plan, action, user):
    return {
        "submit": lambda: plan.submit(by=user),
        "return": lambda: plan.return_to_author(by=user, comment="Add partners"),
        "publish": lambda: plan.publish(by=user),
        "withdraw": lambda: plan.withdraw(by=user, reason="Outdated"),
        "reopen": lambda: plan.reopen(by=user),
        "claim": lambda: plan.claim(by=user),
        "recall": lambda: plan.recall(by=user, comment="Not ready"),
        "schedule": lambda: plan.schedule(by=user, publish_at=TOMORROW),
        "discard": lambda: plan.discard(by=user),
        "set_expiry": lambda: plan.set_expiry(by=user, expire_at=TOMORROW),
    }[action]()


def refused_by_model(role_may: bool, may_now: bool, act, state) -> bool:
    """Whether the cell is denied. When it is, `act` must raise PermissionDenied (a role that may not: asked
    first) or ValidationError (a role that may, from a state it may not act from), and `state()` must be as
    it was."""
    if role_may and may_now:
        return False
    before = state()
    with pytest.raises(ValidationError if role_may else PermissionDenied):
        act()
    assert state() == before
    return True


# ---------------------------------------------------------------- model level


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", TRANSITIONS)
@pytest.mark.parametrize("persona", PERSONAS)
def test_it_allows_each_transition_only_to_its_roles_from_its_status(
    persona, action, status, user_of, plan_factory, other_focal_point
):
    plan = plan_factory(status=status)
    user = user_of(persona)
    roles, source, target = TRANSITIONS[action]
    if refused_by_model(persona in roles, status == source, lambda: transition(plan, action, user), snapshot):
        return
    event = transition(plan, action, user)
    if target is None:  # discarded: gone, with its timeline
        assert not Plan.objects.filter(pk=plan.pk).exists() and not PlanEvent.objects.exists()
        return
    plan.refresh_from_db()
    assert (plan.status, event.actor, event.from_status, event.to_status) == (target, user, source, target)


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_it_decides_reading_and_authoring_rights_by_role_lab_and_status(
    persona, status, user_of, plan_factory, other_focal_point
):
    plan = plan_factory(status=status)
    user = user_of(persona)
    author, staff_reviewer = persona == "focal_point", persona in ("reviewer", "superuser")
    published = status == "published"
    expected = {
        "visible": published or author or staff_reviewer,
        "in_admin": author or staff_reviewer,
        "view": published or author or staff_reviewer,
        "preview": author or staff_reviewer,
        "add": persona in ("focal_point", "other_focal_point", "superuser"),
        "change": persona == "superuser" or (author and status == "draft"),
        # Its authors save a published plan as a revision; superusers edit the live plan itself.
        "edit_revision": author and published,
        "see_revision": author or staff_reviewer,
        "comment": author or staff_reviewer,
        "delete": persona == "superuser",
        "add_blog_link": author or persona == "superuser",
        "review_blog_link": staff_reviewer,
        "transitions": sorted(
            a for a, (roles, source, _t) in TRANSITIONS.items() if persona in roles and source == status
        ),
    }
    actual = {
        "visible": Plan.objects.visible_to(user).filter(pk=plan.pk).exists(),
        "in_admin": permissions.admin_plans(user, Plan.objects.all()).filter(pk=plan.pk).exists()
        and permissions.can_view_in_admin(user, plan),
        "view": permissions.can_view(user, plan),
        "preview": permissions.can_preview(user, plan),
        "add": permissions.can_add(user),
        "change": permissions.can_change(user, plan),
        "edit_revision": permissions.can_edit_revision(user, plan),
        "see_revision": permissions.can_see_revision(user, plan),
        "comment": permissions.can_comment(user, plan),
        "delete": permissions.can_delete(user, plan),
        "add_blog_link": permissions.can_add_blog_link(user, plan),
        "review_blog_link": permissions.can_review_blog_link(user),
        "transitions": sorted(permissions.available_transitions(user, plan)),
    }
    assert actual == expected


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_it_lets_only_reviewers_approve_or_reject_a_blog_link(
    persona, status, user_of, plan_factory, other_focal_point
):
    link = plan_factory(status=status).blog_links.create(url="https://example.org/post")
    user = user_of(persona)
    before = snapshot()
    if persona in ("reviewer", "superuser"):
        link.approve(by=user)
        link.refresh_from_db()
        assert (link.status, link.reviewed_by) == (BlogLink.Status.APPROVED, user)
        link.reject(by=user, note="Changed my mind")
        assert BlogLink.objects.get().status == BlogLink.Status.REJECTED
        return
    with pytest.raises(PermissionDenied):
        link.approve(by=user)
    with pytest.raises(PermissionDenied):
        link.reject(by=user, note="no")
    assert snapshot() == before


def test_it_shows_the_public_only_approved_links(plan_factory, focal_point, reviewer):
    plan = plan_factory(status=Plan.Status.PUBLISHED)
    approved = plan.blog_links.create(url="https://example.org/a")
    plan.blog_links.create(url="https://example.org/p")
    approved.approve(by=reviewer)
    assert list(permissions.visible_blog_links(AnonymousUser(), plan.blog_links.all(), plan)) == [approved]
    assert permissions.visible_blog_links(focal_point, plan.blog_links.all(), plan).count() == 2


def test_it_shows_private_parts_only_to_the_plans_lab_reviewers_and_superusers(
    plan_factory, lab_b, user_of, reviewer
):
    """One question, asked of one plan in Python and of many plans in SQL, with the same answer."""
    plan = plan_factory(status=Plan.Status.PUBLISHED)
    other = plan_factory(status=Plan.Status.PUBLISHED, lab=lab_b)
    for p in (plan, other):
        p.blog_links.create(url=f"https://example.org/{p.pk}/pending")
        p.blog_links.create(url=f"https://example.org/{p.pk}/ok").approve(by=reviewer)
    allowed = {
        plan: {"focal_point", "reviewer", "superuser"},
        other: {"other_focal_point", "reviewer", "superuser"},
    }
    for persona in PERSONAS:
        user = user_of(persona)
        links = permissions.visible_blog_links(user, BlogLink.objects.all())
        for p, who in allowed.items():
            assert permissions.can_see_private_parts(user, p) == (persona in who), persona
            assert links.filter(plan=p).count() == (2 if persona in who else 1), persona


def test_it_requires_a_comment_to_return_and_a_note_to_reject(plan_factory, reviewer):
    plan = plan_factory(status=Plan.Status.SUBMITTED)
    link = plan.blog_links.create(url="https://example.org/a")
    before = snapshot()
    with pytest.raises(ValidationError):
        plan.return_to_author(by=reviewer, comment="  ")
    with pytest.raises(ValidationError):
        link.reject(by=reviewer, note="")
    assert snapshot() == before


# ---------------------------------------------------------------- over HTTP, through the admin


def change_data(plan, **overrides):
    """A complete POST of the plan's change form, as a crafted request would send it."""
    data = {
        "title": plan.title,
        "slug": plan.slug,
        "kind": plan.kind,
        "form_version": plan.form_version,
        "lab": plan.lab_id or "",
        "language": plan.language,
        "year": plan.year or "",
        "challenge_statement": plan.challenge_statement,  # what submit requires: kept
        "opened_version": plan.updated_at.isoformat() if plan.updated_at else "",
        "archive_layout": "{}",
        "_save": "Save",
        **{f"{p}-TOTAL_FORMS": "0" for p in INLINE_PREFIXES},
        **{f"{p}-INITIAL_FORMS": "0" for p in INLINE_PREFIXES},
    }
    data.update(overrides)
    return data


def assert_login_redirect(response):
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def assert_refused(response, persona, absent="404"):
    """The admin's answer to a persona who may not: the sign-in page for the anonymous; for another lab's
    focal point, the plan is absent as one that does not exist (`absent`: a 404, or "index" for the change
    form's redirect to the admin index); 403 for the others."""
    if persona == "anonymous":
        assert_login_redirect(response)
    elif persona == "other_focal_point" and absent == "index":
        assert response.status_code == 302 and response["Location"] == reverse("admin:index")
    elif persona == "other_focal_point":
        assert response.status_code == 404
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_it_lists_and_opens_only_plans_of_the_users_labs(
    persona, status, as_persona, client, plan_factory, other_focal_point
):
    plan = plan_factory(title="Lab A plan", status=status)
    as_persona(persona)
    changelist = client.get(reverse("admin:plans_plan_changelist"))
    change = client.get(reverse("admin:plans_plan_change", args=[plan.pk]))
    history = client.get(reverse("admin:plans_plan_history", args=[plan.pk]))
    if persona == "anonymous":
        for response in (changelist, change, history):
            assert_login_redirect(response)
    elif persona == "other_focal_point":
        assert changelist.status_code == 200 and "Lab A plan" not in changelist.content.decode()
        # Not "forbidden" but absent, exactly as a plan that does not exist.
        assert change.status_code == 302 and change["Location"] == reverse("admin:index")
        assert history.status_code == 404
    else:
        assert "Lab A plan" in changelist.content.decode()
        assert change.status_code == 200 and history.status_code == 200
        form = change.context["adminform"].form
        # A published plan's form is open to its authors too: what they save is its revision.
        editable = persona == "superuser" or (persona == "focal_point" and status in ("draft", "published"))
        assert ("title" in form.fields) is editable


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_it_accepts_a_changed_plan_only_from_its_editors(
    persona, status, as_persona, client, plan_factory, other_focal_point
):
    plan = plan_factory(title="Before", status=status)
    as_persona(persona)
    before = snapshot()
    response = client.post(
        reverse("admin:plans_plan_change", args=[plan.pk]), change_data(plan, title="After")
    )
    if persona == "superuser" or (persona == "focal_point" and status == "draft"):
        assert response.status_code == 302
        plan.refresh_from_db()
        assert plan.title == "After"
        return
    if persona == "focal_point" and status == "published":
        # Saved as the plan's revision: the live plan, its rows and its events are as they were.
        assert response.status_code == 302
        assert plan.revisions.get().content["fields"]["title"] == "After"
        assert snapshot()[:3] == before[:3]
        return
    assert_refused(response, persona, absent="index")
    assert snapshot() == before


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_it_deletes_plans_only_for_superusers(
    persona, status, as_persona, client, plan_factory, other_focal_point
):
    plan = plan_factory(status=status)
    as_persona(persona)
    before = snapshot()
    response = client.post(reverse("admin:plans_plan_delete", args=[plan.pk]), {"post": "yes"})
    if persona == "superuser":
        assert response.status_code == 302 and not Plan.objects.exists()
        return
    if persona == "anonymous":
        assert_login_redirect(response)
    else:
        assert response.status_code in (302, 403)
        assert response.status_code == 403 or response["Location"] == reverse("admin:index")
    assert snapshot() == before


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_creates_plans_only_for_the_users_own_labs(persona, as_persona, client, lab_a, other_focal_point):
    as_persona(persona)
    before = snapshot()
    data = change_data(Plan(title="New plan", slug="new-plan", lab=lab_a, year=2024), opened_version="")
    response = client.post(reverse("admin:plans_plan_add"), data)
    if persona in ("focal_point", "superuser"):
        assert response.status_code == 302
        assert Plan.objects.get().lab == lab_a
        return
    if persona == "anonymous":
        assert_login_redirect(response)
    elif persona == "other_focal_point":
        # lab A is not among bob's choices: the crafted POST is an invalid form
        assert response.status_code == 200
        assert "lab" in response.context["adminform"].form.errors
    else:
        assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", TRANSITIONS)
@pytest.mark.parametrize("persona", PERSONAS)
def test_it_makes_transitions_over_http_only_for_allowed_cells(
    persona, action, status, as_persona, client, plan_factory, other_focal_point
):
    plan = plan_factory(status=status)
    as_persona(persona)
    roles, source, target = TRANSITIONS[action]
    before = snapshot()
    url = reverse("admin:plans_plan_transition", args=[plan.pk, action])
    form = {"comment": "Please fix", "publish_at": f"{TOMORROW:%Y-%m-%dT%H:%M}", "confirm": "1"}
    form["expire_at"] = f"{TOMORROW + timedelta(days=1):%Y-%m-%dT%H:%M}"  # after the publication
    response = client.post(url, form)
    if persona in roles and status == source:
        assert response.status_code == 302
        if target is None:
            assert response["Location"] == reverse("admin:plans_plan_changelist")
            assert not Plan.objects.filter(pk=plan.pk).exists()
            return
        plan.refresh_from_db()
        assert plan.status == target
        return
    if persona in roles:  # may, but not now: back to the plan with an error message
        assert response.status_code == 302
        assert str(list(response.wsgi_request._messages)[0]).startswith("Only a ")
    else:
        assert_refused(response, persona)
    assert snapshot() == before


# Who may start the closing report of an opening plan (any status: it is usually published by then).
STARTS_CLOSING_REPORT = {"focal_point", "superuser"}


@pytest.mark.parametrize("kind", ["opening", "hybrid", "closing"])
@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_it_lets_only_the_plans_authors_start_its_closing_report(
    persona, status, kind, user_of, plan_factory, other_focal_point
):
    plan = plan_factory(status=status, kind=kind)
    user = user_of(persona)
    allowed = persona in STARTS_CLOSING_REPORT and kind != "closing"
    assert permissions.can_start_closing_report(user, plan) == allowed
    if refused_by_model(allowed, True, lambda: plan.start_closing_report(by=user), snapshot):
        return
    report = plan.start_closing_report(by=user)
    assert (report.opening_plan, report.status, report.created_by) == (plan, Plan.Status.DRAFT, user)


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_it_starts_closing_reports_over_http_only_for_the_plans_authors(
    persona, status, as_persona, client, plan_factory, other_focal_point
):
    plan = plan_factory(status=status)
    as_persona(persona)
    before = snapshot()
    url = reverse("admin:plans_plan_start_closing_report", args=[plan.pk])
    assert client.get(url).status_code in (302, 404, 405)  # never by GET
    assert snapshot() == before
    response = client.post(url)
    if persona in STARTS_CLOSING_REPORT:
        report = Plan.objects.get(opening_plan=plan)
        assert response.status_code == 302
        assert response["Location"] == reverse("admin:plans_plan_change", args=[report.pk])
        return
    assert_refused(response, persona)
    assert snapshot() == before


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_it_adds_blog_links_only_to_the_users_labs_plans(
    persona, status, as_persona, client, plan_factory, other_focal_point
):
    plan = plan_factory(status=status)
    as_persona(persona)
    before = snapshot()
    response = client.post(
        reverse("admin:plans_bloglink_add"),
        {"plan": plan.pk, "url": "https://example.org/b", "position": 0, "_save": "Save"},
    )
    if persona in ("focal_point", "superuser"):
        assert response.status_code == 302
        assert plan.blog_links.get().status == BlogLink.Status.PENDING
        return
    if persona == "anonymous":
        assert_login_redirect(response)
    elif persona == "other_focal_point":
        assert response.status_code == 200 and "plan" in response.context["adminform"].form.errors
    else:
        assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_it_approves_blog_links_over_http_only_for_reviewers(
    persona, status, as_persona, client, plan_factory, other_focal_point
):
    link = plan_factory(status=status).blog_links.create(url="https://example.org/c")
    as_persona(persona)
    before = snapshot()
    response = client.post(reverse("admin:plans_bloglink_approve", args=[link.pk]))
    reject = client.post(reverse("admin:plans_bloglink_reject", args=[link.pk]), {"note": "no"})
    if persona in ("reviewer", "superuser"):
        link.refresh_from_db()
        assert response.status_code == 302 and reject.status_code == 302
        assert link.status == BlogLink.Status.REJECTED
        assert list(PlanEvent.objects.values_list("action", flat=True)) == ["reject_link", "approve_link"]
        return
    assert_refused(response, persona)
    assert_refused(reject, persona)
    assert snapshot() == before


@pytest.mark.parametrize("persona", ["focal_point", "other_focal_point"])
def test_it_does_not_let_focal_points_change_a_reviewed_link_or_its_review(
    persona, as_persona, client, plan_factory, reviewer, other_focal_point
):
    link = plan_factory().blog_links.create(url="https://example.org/d")
    link.approve(by=reviewer)
    as_persona(persona)
    before = snapshot()
    response = client.post(
        reverse("admin:plans_bloglink_change", args=[link.pk]),
        {"url": "https://spam.example", "status": "approved", "_save": "Save"},
    )
    assert response.status_code in (302, 403)
    assert snapshot() == before


# ---------------------------------------------------------------- claims and schedules (issue 13)

# The transitions that need more than a status: a review claimed by `reviewer`, a scheduled publication.
CONDITIONAL = {
    "release": {"reviewer", "superuser"},  # the reviewer who claimed it, and superusers
    "unschedule": {"reviewer", "superuser"},
}


@pytest.mark.parametrize("action", CONDITIONAL)
@pytest.mark.parametrize("persona", PERSONAS)
def test_it_lets_only_the_claimer_release_and_reviewers_cancel_a_schedule(
    persona, action, user_of, plan_factory, other_focal_point, reviewer
):
    plan = plan_factory(status=Plan.Status.SUBMITTED)
    plan.claim(by=reviewer)
    plan.schedule(by=reviewer, publish_at=TOMORROW)
    user = user_of(persona)
    method = getattr(plan, action)
    assert (action in permissions.available_transitions(user, plan)) == (persona in CONDITIONAL[action])
    if refused_by_model(persona in CONDITIONAL[action], True, lambda: method(by=user), snapshot):
        return
    method(by=user)
    plan.refresh_from_db()
    assert (plan.claimed_by if action == "release" else plan.publish_at) is None
    # and not again: nothing is claimed or scheduled any more
    with pytest.raises((ValidationError, PermissionDenied)):
        method(by=user)


def test_it_lets_a_second_reviewer_claim_but_not_release_anothers_review(
    plan_factory, reviewer, django_user_model
):
    from tests.conftest import _make_user

    sam = _make_user(django_user_model, "sam", groups=["Reviewers"])
    plan = plan_factory(status=Plan.Status.SUBMITTED)
    plan.claim(by=reviewer)
    assert permissions.available_transitions(sam, plan) == ["publish", "schedule", "claim", "return"]
    assert "claim" not in permissions.available_transitions(reviewer, plan)
