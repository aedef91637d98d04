"""Who may see or do what. The only place that decides: the admin (`has_*_permission`, `get_queryset`),
the public views, the API and the model transitions all ask these functions.

Roles:
- **Superusers** may do everything.
- **Reviewers** hold the `plans.review_plan` permission (the "Reviewers" group has it): they see every
  plan, return, publish, withdraw and reopen plans, and approve or reject blog links. They do not author.
- **Focal points** are members of a `Lab` who hold the model permissions of the "Focal points" group.
  They create plans for their labs, change them while they are drafts, submit them, and add blog links
  to them at any status. Another lab's plans do not exist for them in the admin.
- **Everybody**, anonymous included, sees published plans and their approved blog links.

Permission helpers answer "may this user, given the plan's status where that matters". The transitions
check the status themselves, so that a refused transition says *why* (PermissionDenied vs ValidationError);
`available_transitions` combines both for the buttons of the admin.
"""

from django.db.models import Q, QuerySet

from plans.choices import OPENING_KINDS, PENDING_REVISION_STATUSES, BlogLinkStatus, PlanStatus, RevisionStatus
from plans.workflow import PLAN_TRANSITIONS, REVISION_TRANSITIONS, TRANSITIONS

REVIEW_PERMISSION = "plans.review_plan"
FOCAL_POINTS_GROUP = "Focal points"
REVIEWERS_GROUP = "Reviewers"


def _active(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def is_reviewer(user) -> bool:
    """Reviewers and superusers (`has_perm` is cached on the user, so this costs one query per request)."""
    return _active(user) and user.has_perm(REVIEW_PERMISSION)


def lab_ids(user) -> frozenset[int]:
    """Ids of the labs `user` is a focal point of, cached on the user object for the request."""
    if not _active(user):
        return frozenset()
    cached = getattr(user, "_acclab_lab_ids", None)
    if cached is None:
        cached = frozenset(user.labs.values_list("pk", flat=True))
        user._acclab_lab_ids = cached
    return cached


def works_in_one_lab(user) -> bool:
    """Whether every plan `user` sees in the admin is of one lab (a focal point of one lab): lists need not
    name it, nor offer to filter by it."""
    return not (user.is_superuser or is_reviewer(user)) and len(lab_ids(user)) <= 1


def is_author(user, plan) -> bool:
    """A focal point of the plan's lab who may edit plans at all."""
    return (
        plan is not None
        and plan.lab_id is not None
        and plan.lab_id in lab_ids(user)
        and user.has_perm("plans.change_plan")
    )


# ---------------------------------------------------------------- reading


def visible_plans(user, queryset: QuerySet) -> QuerySet:
    """Plans `user` may read anywhere: published plans for everybody, plus every plan for reviewers and
    superusers and their labs' plans for focal points (so that they can preview their drafts)."""
    if not _active(user):
        return queryset.filter(status=PlanStatus.PUBLISHED)
    if user.is_superuser or is_reviewer(user):
        return queryset
    return queryset.filter(Q(status=PlanStatus.PUBLISHED) | Q(lab__in=lab_ids(user)))


def harvestable_plans(queryset: QuerySet) -> QuerySet:
    """What the changes feed for harvesters lists (the API's `modified_since`, for everybody): published
    plans, and the plans that were published and no longer are (withdrawn, or reopened as drafts; deleted
    plans are `DeletedPlan` rows), which it
    shows as tombstones (their slug and that they are gone, nothing else) so that a mirror removes them.
    `published_at` is kept from a first publication, so it marks the plans that were ever public."""
    return queryset.filter(Q(status=PlanStatus.PUBLISHED) | Q(published_at__isnull=False))


# ---------------------------------------------------------------- API keys


def api_keys(user, queryset: QuerySet) -> QuerySet:
    """The API keys `user` may list and revoke on their account page: their own."""
    if not _active(user):
        return queryset.none()
    return queryset.filter(user=user)


def admin_plans(user, queryset: QuerySet) -> QuerySet:
    """Plans `user` works on in the admin: all for reviewers and superusers, their labs' plans for focal
    points; another lab's plan is absent from lists and answers 404 by URL, even when it is published."""
    if not _active(user) or not user.is_staff:
        return queryset.none()
    if user.is_superuser or is_reviewer(user):
        return queryset
    if not user.has_perm("plans.view_plan"):
        return queryset.none()
    return queryset.filter(lab__in=lab_ids(user))


def can_view(user, plan) -> bool:
    """May `user` read this plan (on the public site, or in a preview)?"""
    return plan.status == PlanStatus.PUBLISHED or can_preview(user, plan)


def can_view_in_admin(user, plan=None) -> bool:
    """Open the admin's plan pages (plan=None: the list) — the object-level twin of `admin_plans`."""
    if not (_active(user) and user.is_staff):
        return False
    if user.is_superuser or is_reviewer(user):
        return True
    if not user.has_perm("plans.view_plan"):
        return False
    return plan is None or (plan.lab_id is not None and plan.lab_id in lab_ids(user))


def can_see_private_parts(user, plan) -> bool:
    """May `user` see the private parts of this plan: blog links no reviewer has approved (pending or
    rejected) and the focal-point e-mail when the site does not publish e-mails? The focal points of the
    plan's own lab, reviewers and superusers. Being staff is not enough: a focal point of another lab is
    staff too, and for them this plan is as public as for anybody. `visible_blog_links` asks the same
    question of many plans at once, in SQL."""
    return _active(user) and (
        user.is_superuser or is_reviewer(user) or (plan.lab_id is not None and plan.lab_id in lab_ids(user))
    )


def can_preview(user, plan) -> bool:
    """A draft as the public page will render it: for those who may see its private parts."""
    return can_see_private_parts(user, plan)


def visible_blog_links(user, queryset: QuerySet, plan=None) -> QuerySet:
    """Blog links `user` may see: approved ones for everybody, and all the links of the plans whose
    private parts they may see (`can_see_private_parts`; row by row when no `plan` is given)."""
    approved = Q(status=BlogLinkStatus.APPROVED)
    if plan is not None:
        return queryset if can_see_private_parts(user, plan) else queryset.filter(approved)
    if not _active(user):
        return queryset.filter(approved)
    if user.is_superuser or is_reviewer(user):
        return queryset
    return queryset.filter(approved | Q(plan__lab__in=lab_ids(user)))


# ---------------------------------------------------------------- authoring


def can_add(user) -> bool:
    """Create a plan: superusers, and focal points of at least one lab."""
    if not _active(user) or not user.is_staff:
        return False
    return user.is_superuser or (user.has_perm("plans.add_plan") and bool(lab_ids(user)))


def addable_labs(user, queryset: QuerySet) -> QuerySet:
    """Labs a new plan may belong to: the user's own, or all of them for superusers."""
    if user.is_superuser:
        return queryset
    return queryset.filter(pk__in=lab_ids(user))


def can_change(user, plan) -> bool:
    """Edit the content of a plan: superusers always; its lab's focal points while it is a draft (a
    submitted plan is the reviewers' to judge, a published one is a public record)."""
    if not _active(user) or not user.is_staff:
        return False
    if user.is_superuser:
        return True
    return plan.status == PlanStatus.DRAFT and is_author(user, plan)


def edits_revision(user, plan) -> bool:
    """Does `user`'s save of this plan's change form go to its pending revision rather than to the live
    plan? For its lab's focal points while it is published: the public keeps the live plan until a reviewer
    publishes the revision (plans/revisions.py). Superusers edit the live plan itself, unless it has a
    revision in progress: then their saves go into that revision too. A plan has one draft at a time (as a
    Wagtail page has), because publishing the revision writes its whole content over the live plan and
    would silently undo a change made to the live plan meanwhile."""
    if not (_active(user) and user.is_staff and plan.status == PlanStatus.PUBLISHED):
        return False
    if user.is_superuser:
        return plan.pending_revision is not None
    return is_author(user, plan)


def can_edit_revision(user, plan, revision=None) -> bool:
    """Save the change form of a published plan as its revision: its authors (and superusers, see
    `edits_revision`), while the revision (`revision`, the plan's pending one, None when there is none yet)
    is not with the reviewers."""
    return edits_revision(user, plan) and (
        revision is None or revision.status in (RevisionStatus.EDITING, RevisionStatus.RETURNED)
    )


def can_submit_revision(user, revision) -> bool:
    """Submit or discard a revision: the plan's authors (and superusers), like a draft."""
    return can_submit(user, revision.plan)


def can_review_revision(user, revision=None) -> bool:
    """Publish a revision or request changes to it: the reviewers."""
    return is_reviewer(user)


def can_see_revision(user, plan) -> bool:
    """See a plan's revisions and what they change: those who see its private parts, in the admin."""
    return _active(user) and user.is_staff and can_see_private_parts(user, plan)


def can_comment(user, plan) -> bool:
    """Comment on a plan's fields and rows, answer and resolve comments: its authors, reviewers, superusers.
    A focal point of another lab may read the published plan, never its review."""
    return (
        _active(user) and user.is_staff and (user.is_superuser or is_reviewer(user) or is_author(user, plan))
    )


def can_start_closing_report(user, plan) -> bool:
    """Start the closing report of an opening plan (a new draft of the same lab): superusers, and the
    focal points of the plan's lab who may add plans, whatever the opening plan's status (it is usually
    published by the time its report is written). Reviewers do not author."""
    if not (_active(user) and user.is_staff) or plan.kind not in OPENING_KINDS:
        return False
    return user.is_superuser or (
        plan.lab_id is not None and plan.lab_id in lab_ids(user) and user.has_perm("plans.add_plan")
    )


def linkable_opening_plans(user, queryset: QuerySet, lab_id=None) -> QuerySet:
    """Opening plans a closing report may name as the plan it closes, in its form: those `user` works on in
    the admin (`admin_plans`), of the report's own lab when it has one."""
    queryset = admin_plans(user, queryset.filter(kind__in=OPENING_KINDS))
    return queryset.filter(lab_id=lab_id) if lab_id is not None else queryset


def can_delete(user, plan) -> bool:
    """Only superusers delete: a plan is a record, and withdrawing is how it leaves the public site."""
    return _active(user) and user.is_superuser


# ---------------------------------------------------------------- workflow


def can_submit(user, plan) -> bool:
    """Submit: the plan's authors (and superusers)."""
    return _active(user) and (user.is_superuser or is_author(user, plan))


def can_review(user, plan=None) -> bool:
    """Return, publish (now or on a date, with an expiry date), withdraw and reopen."""
    return is_reviewer(user)


def can_claim(user, plan) -> bool:
    """Claim the review of a submission (a plan, or a revision of a live plan): any reviewer but the one who
    holds it (taking it over from an absent colleague is allowed, and the timeline says so)."""
    return is_reviewer(user) and plan.claimed_by_id != user.pk


def can_release(user, plan) -> bool:
    """Give a claimed review back: the reviewer who claimed it, and superusers."""
    return (
        is_reviewer(user)
        and plan.claimed_by_id is not None
        and (plan.claimed_by_id == user.pk or user.is_superuser)
    )


def can_recall(user, plan) -> bool:
    """Take a submission back to edit it before the reviewers decide: its authors (and superusers)."""
    return can_submit(user, plan)


def can_discard(user, plan) -> bool:
    """Delete a draft: its authors (and superusers), only while it has never been published; a plan that
    was public is a record, withdrawn rather than deleted."""
    return _active(user) and (user.is_superuser or is_author(user, plan)) and plan.published_at is None


def can_make_transition(user, obj, action) -> bool:
    """May `user` make the transition `action` on `obj` (a plan, or a blog link for its review), whatever
    its status? The transition's row in plans/workflow.py names the predicate of this module that decides;
    the transition methods of the models ask this before they look at the status."""
    transition = TRANSITIONS.get(action)
    return transition is not None and globals()[transition.may](user, obj)


def available_transitions(user, plan, revision=None) -> list[str]:
    """The transitions `user` may make on `plan` now, in the order the buttons show them; with the plan's
    pending `revision`, those of the revision too (the live plan must still be published for them)."""
    actions = [
        action
        for action, transition in PLAN_TRANSITIONS.items()
        if transition.button and transition.applies_to(plan) and can_make_transition(user, plan, action)
    ]
    if revision is not None and revision.status in PENDING_REVISION_STATUSES:
        actions += [
            action
            for action, transition in REVISION_TRANSITIONS.items()
            if transition.button
            and transition.applies_to(revision)
            and plan.status == PlanStatus.PUBLISHED
            and can_make_transition(user, revision, action)
        ]
    return actions


def can_add_blog_link(user, plan) -> bool:
    """Focal points add links to their labs' plans at any status (a blog often follows publication)."""
    return _active(user) and user.is_staff and (user.is_superuser or is_author(user, plan))


def can_change_blog_link(user, link) -> bool:
    """Authors may correct a link until a reviewer has looked at it; superusers always."""
    if not _active(user) or not user.is_staff:
        return False
    if user.is_superuser:
        return True
    return link.status == BlogLinkStatus.PENDING and is_author(user, link.plan)


def can_review_blog_link(user, link=None) -> bool:
    return is_reviewer(user)


def admin_blog_links(user, queryset: QuerySet) -> QuerySet:
    """Blog links in the admin: all for reviewers and superusers, their labs' for focal points."""
    if not _active(user) or not user.is_staff:
        return queryset.none()
    if user.is_superuser or is_reviewer(user):
        return queryset
    return queryset.filter(plan__lab__in=lab_ids(user))


# ---------------------------------------------------------------- reference data in the admin


def admin_labs(user, queryset: QuerySet) -> QuerySet:
    """Labs in the admin: all for reviewers and superusers; a focal point's own labs only, so that the
    list of every lab with its members' usernames is not open to every author."""
    if not _active(user) or not user.is_staff:
        return queryset.none()
    if user.is_superuser or is_reviewer(user):
        return queryset
    return queryset.filter(pk__in=lab_ids(user))


def admin_tags(user, queryset: QuerySet, vocabulary) -> QuerySet:
    """Tags of `vocabulary` (plans/parts.py) in the admin: all for reviewers and superusers; for focal
    points those carried by a published plan or by a plan of their labs. A tag only another lab's draft
    carries tells what that unpublished plan is about."""
    if not _active(user) or not user.is_staff:
        return queryset.none()
    if user.is_superuser or is_reviewer(user):
        return queryset
    carried = vocabulary.through.objects.filter(
        Q(content_object__status=PlanStatus.PUBLISHED) | Q(content_object__lab__in=lab_ids(user))
    )
    return queryset.filter(pk__in=carried.values("tag_id"))


# ---------------------------------------------------------------- tag vocabularies (plans/vocabularies.py)

# Vocabularies whose tags only reviewers create: focal points choose from the list (as on the Labs' platform).
CLOSED_VOCABULARIES = frozenset({"methods"})


def can_curate_tags(user) -> bool:
    """Merge, rename and undo tag changes, label tags in French and Spanish, file them under a category."""
    return _active(user) and user.is_staff and (user.is_superuser or is_reviewer(user))


def can_suggest_tags(user) -> bool:
    """Ask the admin's tag suggestions: staff who author or review plans."""
    return (
        _active(user)
        and user.is_staff
        and (can_curate_tags(user) or user.has_perm("plans.add_plan") or user.has_perm("plans.change_plan"))
    )


def can_create_tag(user, vocabulary_name: str) -> bool:
    """Add a new tag by typing it: anyone who may tag plans, except in a closed vocabulary (methods), where
    only reviewers add to the list."""
    if vocabulary_name in CLOSED_VOCABULARIES:
        return can_curate_tags(user)
    return can_suggest_tags(user)
