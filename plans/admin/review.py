"""The review workspace in the admin: editing a live plan's revision through the plan's own change form,
the revision's page (what it changes against the live plan, its buttons, its comments), comments and
their resolution, and the lost-update comparison.

Editing a revision reuses the change form whole: inside a transaction that is always rolled back, the
revision's content is written into the plan's rows (`revisions.apply`), the admin's own change view runs
on them (form, inlines, validation, saving), and what it saved is read back as a snapshot
(`revisions.snapshot`) before the rollback. The snapshot is then stored as the revision. Nothing of the
live plan is ever committed, so the public pages, API, downloads, feed and search keep the live content.
"""

from contextlib import contextmanager

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from reversion.models import Version

from plans import comments, history, locks, permissions, revisions, search, workflow
from plans.choices import PENDING_REVISION_STATUSES
from plans.models import Plan, PlanEvent, PlanRevision, ReviewComment
from plans.parts import CHILDREN

# ---------------------------------------------------------------- the change form on a revision


@contextmanager
def sandbox(plan, revision):
    """The plan's rows holding `revision`'s content (or the live content when None) for the block, rolled
    back afterwards whatever happens. `updated_at` is the revision's: the form's lost-update check then
    compares the revision's saves."""
    with transaction.atomic():
        if revision is not None:
            # The search index of the plan is rebuilt once, not once per row written (and rolled back too).
            with search.batch():
                revisions.apply(plan, revision.content)
            Plan.objects.filter(pk=plan.pk).update(updated_at=revision.updated_at)
        try:
            yield
        finally:
            transaction.set_rollback(True)


def _remap_row_ids(request, plan) -> None:
    """Rows a revision added exist in the plan's rows only inside each request's sandbox, under a new
    primary key each time: the posted `id` of each inline row is replaced by the primary key of the row
    holding its `row_key` now."""
    post = request.POST.copy()
    for child in CHILDREN:
        prefix = child.related_name
        pks = {str(k): pk for k, pk in getattr(plan, prefix).values_list("key", "pk")}
        for name, key in list(post.items()):
            if name.startswith(f"{prefix}-") and name.endswith("-row_key") and key in pks:
                post[name.removesuffix("-row_key") + "-id"] = str(pks[key])
    request.POST = post


def edit_revision(request, plan, revision, change_view):
    """The change form of a published plan for its authors: shows and saves its pending revision (started
    by the first save). `change_view()` is the admin's own view; returns its response."""
    request.acclab_revision = revision
    with sandbox(plan, revision):
        if request.method == "POST":
            _remap_row_ids(request, plan)
        response = change_view()
        saved = request.method == "POST" and response.status_code == 302
        content = revisions.snapshot(Plan.objects.get(pk=plan.pk)) if saved else None
        if hasattr(response, "render") and not response.is_rendered:
            response.render()
    if saved:
        if not permissions.can_edit_revision(request.user, plan, revision):
            raise PermissionDenied
        revision = revisions.save_content(plan, content, request.user)
        messages.info(
            request,
            _(
                "Saved as revision %(number)s of the live plan: the public still sees the live plan until a "
                "reviewer publishes your revision."
            )
            % {"number": revision.number},
        )
    return response


def other_changes(plan, revision, opened: str) -> dict | None:
    """What was saved since the form was opened (`opened` is its `opened_version`): the comparison of the
    revision (or of the live plan) as it was then with what it is now, or None when it cannot be told."""
    opened_at = parse_datetime(opened or "")
    if opened_at is None:
        return None
    if revision is not None:
        then = None
        for version in Version.objects.get_for_object(revision):
            if version.field_dict["updated_at"] <= opened_at:
                then = version.field_dict["content"]
                break
        if then is None:  # opened before the revision was started: the live plan then
            then = revision.base
        return revisions.compare(then, revision.content)
    versions = list(history.plan_versions(plan)[:50])
    newer = [v for v in versions if v.field_dict["updated_at"] > opened_at]
    older = [v for v in versions if v.field_dict["updated_at"] <= opened_at]
    if not newer or not older:
        return None
    return {"sections": history.compare_versions(older[0], newer[0])}


# ---------------------------------------------------------------- what the change form shows


def return_comment(plan, revision):
    """The reviewer's request for changes that the authors must see first: (event) of the last return of
    the plan while it is a draft, or of its revision while that is returned; else None."""
    if revision is not None and revision.status == PlanRevision.Status.RETURNED:
        return revision.events.filter(action=PlanEvent.Action.RETURN_REVISION).select_related("actor").first()
    if plan.status == Plan.Status.DRAFT:
        last = plan.events.filter(revision=None, blog_link=None).select_related("actor").first()
        if last is not None and last.action == PlanEvent.Action.RETURN:
            return last
    return None


def form_context(request, plan, revision) -> dict:
    """What the change form shows above the plan: the revision banner, the request for changes, who else
    is editing, the comments."""
    user = request.user
    may_edit = permissions.can_change(user, plan) or permissions.can_edit_revision(user, plan, revision)
    context = {
        "revision": revision,
        "edits_revision": permissions.edits_revision(user, plan),
        "can_see_revision": revision is not None and permissions.can_see_revision(user, plan),
        "changes_requested": return_comment(plan, revision),
        "other_editors": locks.opened(plan, user) if may_edit and request.method == "GET" else [],
        # The open form renews its mark (static/js/edit_session.js) every this many seconds.
        "edit_session_every": int(locks.HEARTBEAT.total_seconds()) if may_edit else None,
    }
    context.update(comment_context(request, plan, revision, "form"))
    return context


def comment_context(request, plan, revision, back: str) -> dict:
    """The comments shown with the plan (`revision` None) or with one of its revisions."""
    if not permissions.can_comment(request.user, plan):
        return {"can_comment": False}
    target = revision if revision is not None and permissions.can_see_revision(request.user, plan) else None
    content = target.content if target is not None else revisions.rows(plan)
    return {
        "can_comment": True,
        "comment_threads": comments.threads(plan, target, content),
        "comment_anchors": comments.anchors(plan, target, content),
        "comment_revision": target,
        "comment_back": back,
        # Comments stay with the revision they were made on; a closed revision's are read only.
        "comment_closed": target is not None and not target.is_pending,
    }


# ---------------------------------------------------------------- the list


def with_review_state(queryset):
    """Annotate each plan with what `review_state` shows: its pending revision's status and reviewer's
    comment, and its own last workflow step with its comment."""
    pending = PlanRevision.objects.filter(plan=OuterRef("pk"), status__in=PENDING_REVISION_STATUSES)
    last = PlanEvent.objects.filter(plan=OuterRef("pk"), revision=None, blog_link=None).order_by(
        "-created_at", "-pk"
    )
    return queryset.annotate(
        revision_status=Subquery(pending.values("status")[:1]),
        revision_comment=Subquery(pending.values("review_comment")[:1]),
        last_action=Subquery(last.values("action")[:1]),
        last_comment=Subquery(last.values("comment")[:1]),
    )


def review_state(plan) -> str:
    status = getattr(plan, "revision_status", None)
    if status == PlanRevision.Status.RETURNED:
        return format_html(
            '<strong class="review-state changes-requested">{}</strong> {}',
            _("Changes requested to the revision."),
            Truncator(plan.revision_comment or "").chars(160),
        )
    if status == PlanRevision.Status.SUBMITTED:
        return _("Revision submitted")
    if status == PlanRevision.Status.EDITING:
        return _("Revision being edited")
    if plan.status == Plan.Status.DRAFT and getattr(plan, "last_action", None) == PlanEvent.Action.RETURN:
        return format_html(
            '<strong class="review-state changes-requested">{}</strong> {}',
            _("Changes requested."),
            Truncator(plan.last_comment or "").chars(160),
        )
    return "—"


# ---------------------------------------------------------------- extra pages


def _back(request, plan):
    if request.POST.get("back") == "revision":
        return HttpResponseRedirect(reverse("admin:plans_plan_revision", args=[plan.pk]))
    return HttpResponseRedirect(reverse("admin:plans_plan_change", args=[plan.pk]) + "#comments")


def _revision_or_none(plan, number):
    if number is None:
        return plan.pending_revision
    return get_object_or_404(plan.revisions, number=number)


def revision_view(model_admin, request, plan, number=None):
    """A revision's page: what it changes, the buttons of its transitions, the comments on it."""
    if not permissions.can_see_revision(request.user, plan):
        raise PermissionDenied
    revision = _revision_or_none(plan, number)
    if revision is None:
        raise Http404
    actions = [
        a for a in permissions.available_transitions(request.user, plan, revision) if a.endswith("_revision")
    ]
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "original": plan,
        "object": plan,
        "revision": revision,
        "diff": revisions.changes(revision),
        "transitions": [workflow.REVISION_TRANSITIONS[a] for a in actions],
        "changes_requested": return_comment(plan, revision),
        "other_revisions": plan.revisions.exclude(pk=revision.pk),
        "title": str(revision),
        "events": revision.events.select_related("actor"),
    }
    context.update(comment_context(request, plan, revision, "revision"))
    return TemplateResponse(request, "admin/plans/plan/revision.html", context)


def comment_view(request, plan):
    """POST: a new comment or a reply, on the plan's pending revision when the user sees it."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not permissions.can_comment(request.user, plan):
        raise PermissionDenied
    revision = plan.pending_revision if permissions.can_see_revision(request.user, plan) else None
    posted_revision = request.POST.get("revision", "")
    parent = None
    try:
        if posted_revision != (str(revision.pk) if revision else ""):
            raise ValidationError(
                _(
                    "The revision you commented on was published, discarded or replaced meanwhile; your "
                    "comment was not saved. Reload the page."
                )
            )
        if request.POST.get("parent"):
            parent = get_object_or_404(ReviewComment, pk=request.POST["parent"], plan=plan)
        comments.add(
            plan,
            request.user,
            request.POST.get("body", ""),
            anchor=request.POST.get("anchor", ""),
            parent=parent,
            revision=revision,
        )
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("Your comment was added."))
    return _back(request, plan)


def resolve_view(request, plan, comment_id):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    comment = get_object_or_404(ReviewComment, pk=comment_id, plan=plan)
    resolved = request.POST.get("resolved") == "1"
    comments.set_resolved(comment, request.user, resolved)
    messages.success(
        request, _("The conversation is resolved.") if resolved else _("The conversation is open again.")
    )
    return _back(request, plan)
