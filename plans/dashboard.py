"""What the admin home shows each person (issue 13, the review workspace): a focal point's plans by state,
a reviewer's queue, the blog links awaiting approval and what is scheduled. Every list starts from the
querysets of plans/permissions.py, so nobody sees another lab's plans here either."""

from dataclasses import dataclass, field

from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from plans import permissions
from plans.choices import PENDING_REVISION_STATUSES, EventAction, PlanStatus, RevisionStatus
from plans.models import BlogLink, Plan, PlanEvent, PlanRevision

SHOWN = 15  # rows per list; the list's full page is linked beside its count
# The transitions that move a plan to or from review: the last of them says why a draft is a draft.
REVIEW_STEPS = (EventAction.SUBMIT, EventAction.RETURN, EventAction.RECALL, EventAction.REOPEN)


@dataclass
class Rows:
    """One list of the dashboard: its first SHOWN rows and how many there are."""

    rows: list = field(default_factory=list)
    count: int = 0

    @classmethod
    def of(cls, queryset):
        rows = list(queryset[:SHOWN])
        return cls(rows, len(rows) if len(rows) < SHOWN else queryset.count())


def _last_step(field_name: str) -> Subquery:
    steps = PlanEvent.objects.filter(plan=OuterRef("pk"), action__in=REVIEW_STEPS, revision=None)
    return Subquery(steps.order_by("-created_at", "-pk").values(field_name)[:1])


def _submitted_at() -> Subquery:
    steps = PlanEvent.objects.filter(plan=OuterRef("pk"), action=EventAction.SUBMIT, revision=None)
    return Subquery(steps.order_by("-created_at", "-pk").values("created_at")[:1])


def focal_point_board(user) -> dict:
    """The plans of the user's labs by state, and their links awaiting approval."""
    plans = permissions.admin_plans(user, Plan.objects.all()).select_related("lab", "claimed_by")
    drafts = plans.filter(status=PlanStatus.DRAFT).annotate(
        last_step=_last_step("action"), last_comment=_last_step("comment")
    )
    revisions = PlanRevision.objects.filter(
        plan__in=plans.filter(status=PlanStatus.PUBLISHED), status__in=PENDING_REVISION_STATUSES
    ).select_related("plan", "updated_by", "claimed_by")
    return {
        "returned": Rows.of(drafts.filter(last_step=EventAction.RETURN).order_by("-updated_at")),
        "drafts": Rows.of(
            drafts.filter(Q(last_step__isnull=True) | ~Q(last_step=EventAction.RETURN)).order_by(
                "-updated_at"
            )
        ),
        "submitted": Rows.of(
            plans.filter(status=PlanStatus.SUBMITTED)
            .annotate(submitted_at=_submitted_at())
            .order_by("submitted_at")
        ),
        "revisions": Rows.of(revisions.order_by("-updated_at")),
        "links": Rows.of(_pending_links(user)),
    }


def reviewer_board(user) -> dict:
    """The queue (submitted plans and revisions, oldest submission first, with who claimed each), the links
    awaiting approval, and what is scheduled to be published or withdrawn."""
    plans = _plans(user)
    queue = review_queue(user)
    scheduled_plans = plans.filter(
        Q(status=PlanStatus.SUBMITTED, publish_at__isnull=False)
        | Q(status=PlanStatus.PUBLISHED, expire_at__isnull=False)
    ).order_by(Coalesce("publish_at", "expire_at"), "pk")
    scheduled_revisions = _submitted_revisions(plans).exclude(publish_at=None).order_by("publish_at", "pk")
    # A submitted plan's date is its publication, a published one's its expiry (its publish_at is empty); a
    # live plan's revision is published at its own date (and the live plan may expire at another).
    plan_rows, revision_rows = Rows.of(scheduled_plans), Rows.of(scheduled_revisions)
    scheduled = [QueueItem(p, None, p.publish_at or p.expire_at, None, p.publish_at) for p in plan_rows.rows]
    scheduled += [QueueItem(r.plan, r, r.publish_at, None, r.publish_at) for r in revision_rows.rows]
    scheduled.sort(key=lambda item: (item.since, item.plan.pk))
    return {
        "queue": Rows(queue[:SHOWN], len(queue)),
        "links": Rows.of(_pending_links(user)),
        "scheduled": Rows(scheduled[:SHOWN], plan_rows.count + revision_rows.count),
    }


def _plans(user):
    plans = permissions.admin_plans(user, Plan.objects.all())
    return plans.select_related("lab", "claimed_by", "scheduled_by")


def _submitted_revisions(plans):
    submitted = PlanEvent.objects.filter(revision=OuterRef("pk"), action=EventAction.SUBMIT_REVISION)
    return (
        PlanRevision.objects.filter(
            plan__in=plans.filter(status=PlanStatus.PUBLISHED), status=RevisionStatus.SUBMITTED
        )
        .annotate(submitted_at=Subquery(submitted.order_by("-created_at", "-pk").values("created_at")[:1]))
        .select_related("plan__lab", "updated_by", "claimed_by")
    )


def review_queue(user) -> list["QueueItem"]:
    """Every submission `user` may review: submitted plans and submitted revisions of live plans, oldest
    submission first, each with who claimed it and when it is to be published."""
    plans = _plans(user)
    queued_plans = plans.filter(status=PlanStatus.SUBMITTED).annotate(submitted_at=_submitted_at())
    queue = [
        QueueItem(p, None, p.submitted_at or p.updated_at, p.claimed_by, p.publish_at) for p in queued_plans
    ] + [
        QueueItem(r.plan, r, r.submitted_at or r.updated_at, r.claimed_by, r.publish_at)
        for r in _submitted_revisions(plans)
    ]
    queue.sort(key=lambda item: item.since)
    return queue


@dataclass
class QueueItem:
    """A row of the reviewer's queue or of the scheduled list: a plan, or a live plan's revision."""

    plan: Plan
    revision: PlanRevision | None
    since: object  # when it was submitted (in the scheduled list: its date)
    claimed_by: object
    publish_at: object

    @property
    def expire_at(self):
        """The live plan's expiry (the scheduled list shows it beside a plan, not beside its revision)."""
        return None if self.revision is not None else self.plan.expire_at


def _pending_links(user):
    pending = BlogLink.objects.filter(status=BlogLink.Status.PENDING).select_related("plan__lab")
    return permissions.admin_blog_links(user, pending).order_by("pk")


def board(user) -> dict:
    """The dashboard of `user`: a reviewer's, a focal point's, or both (a superuser who is also a lab's
    focal point); empty for staff who are neither."""
    result = {}
    if permissions.is_reviewer(user):
        result["reviewer"] = reviewer_board(user)
    if permissions.lab_ids(user) and user.has_perm("plans.change_plan"):
        result["focal_point"] = focal_point_board(user)
    return result
