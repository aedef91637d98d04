"""The editorial workflow, once: every transition of a plan and of a blog link, in one table.

Each row says where a transition starts and ends, who may make it (the name of a predicate in
plans/permissions.py), whether it takes a comment, and every sentence the user reads about it: the button,
the comment's label, the success message and the refusals. The model methods (`Plan.submit`, …,
`BlogLink.approve`, `BlogLink.reject`), `permissions.can_make_transition` / `available_transitions`, the
admin's buttons and their dispatch all read this table; nothing else lists transitions or assembles
sentences from their parts.

The refusals are whole sentences, so that translators see each one as it is read.
"""

from dataclasses import dataclass, replace

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from plans.choices import BlogLinkStatus, EventAction, PlanStatus, RevisionStatus

# Whether a transition asks for a comment (a reason, a note for the authors).
NO_COMMENT, OPTIONAL, REQUIRED = "", "optional", "required"
# Who is e-mailed about it (plans/notifications.py): the reviewers, the focal points of the plan's lab, or
# nobody (a claim, a cancelled schedule: the dashboard shows them).
REVIEWERS, AUTHORS, NOBODY = "reviewers", "authors", ""
# The dates a transition may ask for (plans/admin/plan.py reads them from its form), with their labels.
PUBLISH_AT, EXPIRE_AT = "publish_at", "expire_at"
DATE_LABELS = {
    PUBLISH_AT: _("Publish on (date and time, UTC)"),
    EXPIRE_AT: _("Withdraw from the public site on (optional; date and time, UTC)"),
}
# The label of a date the transition cannot go without (PUBLISH_AT's is the same either way).
REQUIRED_DATE_LABELS = {**DATE_LABELS, EXPIRE_AT: _("Withdraw from the public site on (date and time, UTC)")}


@dataclass(frozen=True)
class Transition:
    """One step of the workflow. `action` is what its PlanEvent records; `may` names the predicate of
    plans/permissions.py, `may(user, obj) -> bool`, that decides who may make it, whatever the status."""

    action: str
    method: str  # the model method that makes it: `obj.<method>(by)`, or `(by, comment)` if it takes one
    sources: tuple[str, ...]
    target: str
    may: str
    label: Promise  # the button
    done: Promise  # the success message; may name the object as %(object)s
    wrong_status: Promise  # refusal when the object is not in a source state
    forbidden: Promise  # refusal when the user may not make it
    announcement: Promise  # the e-mail's first line, naming %(actor)s and %(plan)s
    comment: str = NO_COMMENT
    comment_label: Promise | str = ""
    comment_missing: Promise | str = ""  # refusal of a required comment left empty
    tells: str = AUTHORS
    # A property of the object that must hold too, as part of being in a source state (`is_scheduled`).
    condition: str = ""
    # The dates it asks for (PUBLISH_AT, EXPIRE_AT), passed to its method by keyword, and those it requires.
    dates: tuple[str, ...] = ()
    required_dates: tuple[str, ...] = ()
    # Made by a button of the admin; False for what happens on its own (an expiry, a link awaiting review).
    button: bool = True
    # A box to tick before it is made (what it cannot undo), with this label.
    confirm: Promise | str = ""

    @property
    def takes_comment(self) -> bool:
        return self.comment != NO_COMMENT

    @property
    def needs_comment(self) -> bool:
        return self.comment == REQUIRED

    @property
    def date_fields(self) -> list[tuple[str, Promise, bool]]:
        """(name, label, required) of each date the form asks for."""
        return [
            (
                name,
                (REQUIRED_DATE_LABELS if name in self.required_dates else DATE_LABELS)[name],
                name in self.required_dates,
            )
            for name in self.dates
        ]

    def applies_to(self, obj) -> bool:
        """Is `obj` in one of this transition's source states (its status, and its condition if any)?"""
        return obj.status in self.sources and (not self.condition or bool(getattr(obj, self.condition)))


def _by_action(*transitions: Transition) -> dict[str, Transition]:
    """A table of transitions, keyed by the action each records, in the order given (that of the buttons)."""
    return {t.action: t for t in transitions}


# Plan transitions, in the order the admin shows their buttons.
PLAN_TRANSITIONS: dict[str, Transition] = _by_action(
    Transition(
        EventAction.SUBMIT,
        "submit",
        (PlanStatus.DRAFT,),
        PlanStatus.SUBMITTED,
        may="can_submit",
        label=_("Submit for review"),
        done=_("The plan is now submitted; the reviewers will look at it."),
        wrong_status=_("Only a draft plan can be submitted."),
        forbidden=_("You may not submit this plan."),
        announcement=_("%(actor)s submitted the plan “%(plan)s” for review."),
        tells=REVIEWERS,
    ),
    Transition(
        EventAction.PUBLISH,
        "publish",
        (PlanStatus.SUBMITTED,),
        PlanStatus.PUBLISHED,
        may="can_review",
        label=_("Publish"),
        done=_("The plan is now published."),
        wrong_status=_("Only a submitted plan can be published."),
        forbidden=_("You may not publish this plan."),
        announcement=_("%(actor)s published the plan “%(plan)s”."),
        dates=(EXPIRE_AT,),
    ),
    Transition(
        EventAction.SCHEDULE,
        "schedule",
        (PlanStatus.SUBMITTED,),
        PlanStatus.SUBMITTED,
        may="can_review",
        label=_("Schedule publication"),
        done=_("The plan's publication is scheduled; the dashboard lists it until it is published."),
        wrong_status=_("Only a submitted plan can be scheduled for publication."),
        forbidden=_("You may not schedule the publication of this plan."),
        announcement=_("%(actor)s scheduled the publication of the plan “%(plan)s”."),
        dates=(PUBLISH_AT, EXPIRE_AT),
        required_dates=(PUBLISH_AT,),
    ),
    Transition(
        EventAction.UNSCHEDULE,
        "unschedule",
        (PlanStatus.SUBMITTED,),
        PlanStatus.SUBMITTED,
        may="can_review",
        label=_("Cancel the scheduled publication"),
        done=_("The scheduled publication is cancelled; the plan stays submitted."),
        wrong_status=_("This plan is not scheduled for publication."),
        forbidden=_("You may not change the schedule of this plan."),
        announcement=_("%(actor)s cancelled the scheduled publication of the plan “%(plan)s”."),
        condition="is_scheduled",
        tells=NOBODY,
    ),
    Transition(
        EventAction.CLAIM,
        "claim",
        (PlanStatus.SUBMITTED,),
        PlanStatus.SUBMITTED,
        may="can_claim",
        label=_("Claim this review"),
        done=_("You now review this plan; the other reviewers see that it is yours."),
        wrong_status=_("Only a submitted plan can be claimed for review."),
        forbidden=_("You may not claim the review of this plan."),
        announcement=_("%(actor)s claimed the review of the plan “%(plan)s”."),
        tells=NOBODY,
    ),
    Transition(
        EventAction.RELEASE,
        "release",
        (PlanStatus.SUBMITTED,),
        PlanStatus.SUBMITTED,
        may="can_release",
        label=_("Release this review"),
        done=_("You no longer review this plan; another reviewer may claim it."),
        wrong_status=_("Only the review of a submitted plan can be released."),
        forbidden=_("You may not release the review of this plan."),
        announcement=_("%(actor)s released the review of the plan “%(plan)s”."),
        tells=NOBODY,
    ),
    Transition(
        EventAction.RETURN,
        "return_to_author",
        (PlanStatus.SUBMITTED,),
        PlanStatus.DRAFT,
        may="can_review",
        label=_("Return to author"),
        done=_("The plan is now a draft again; its authors have your comment."),
        wrong_status=_("Only a submitted plan can be returned to its authors."),
        forbidden=_("You may not return this plan to its authors."),
        announcement=_("%(actor)s returned the plan “%(plan)s” to its authors."),
        comment=REQUIRED,
        comment_label=_("Comment for the authors (required)"),
        comment_missing=_("Say what the authors should change."),
    ),
    Transition(
        EventAction.RECALL,
        "recall",
        (PlanStatus.SUBMITTED,),
        PlanStatus.DRAFT,
        may="can_recall",
        label=_("Recall the submission"),
        done=_("The plan is a draft again: edit it and submit it when it is ready."),
        wrong_status=_("Only a submitted plan can be recalled."),
        forbidden=_("You may not recall this plan."),
        announcement=_("%(actor)s recalled the plan “%(plan)s” from review."),
        comment=OPTIONAL,
        comment_label=_("Note for the reviewers (optional)"),
        tells=REVIEWERS,
    ),
    Transition(
        EventAction.DISCARD,
        "discard",
        (PlanStatus.DRAFT,),
        "",  # the plan is deleted, with its children and its timeline
        may="can_discard",
        label=_("Discard this draft"),
        done=_("The draft “%(object)s” is discarded."),
        wrong_status=_("Only a draft can be discarded."),
        forbidden=_("You may not discard this plan."),
        announcement=_("%(actor)s discarded the draft “%(plan)s”."),
        tells=NOBODY,
        confirm=_("Delete this draft, its answers and its timeline for good"),
    ),
    Transition(
        EventAction.WITHDRAW,
        "withdraw",
        (PlanStatus.PUBLISHED,),
        PlanStatus.WITHDRAWN,
        may="can_review",
        label=_("Withdraw"),
        done=_("The plan is now withdrawn from the public site."),
        wrong_status=_("Only a published plan can be withdrawn."),
        forbidden=_("You may not withdraw this plan."),
        announcement=_("%(actor)s withdrew the plan “%(plan)s” from the public site."),
        comment=OPTIONAL,
        comment_label=_("Reason (sent to the lab's focal points)"),
    ),
    Transition(
        EventAction.REOPEN,
        "reopen",
        (PlanStatus.WITHDRAWN,),
        PlanStatus.DRAFT,
        may="can_review",
        label=_("Reopen as a draft"),
        done=_("The plan is now a draft again."),
        wrong_status=_("Only a withdrawn plan can be reopened."),
        forbidden=_("You may not reopen this plan."),
        announcement=_("%(actor)s reopened the plan “%(plan)s” as a draft."),
    ),
    Transition(
        EventAction.SET_EXPIRY,
        "set_expiry",
        (PlanStatus.PUBLISHED,),
        PlanStatus.PUBLISHED,
        may="can_review",
        label=_("Set or change the expiry date"),
        done=_(
            "The expiry date is set: the plan is withdrawn from the public site then; the dashboard lists it."
        ),
        wrong_status=_("Only a published plan can be given an expiry date."),
        forbidden=_("You may not change the expiry date of this plan."),
        announcement=_("%(actor)s set the date when the plan “%(plan)s” is withdrawn from the public site."),
        dates=(EXPIRE_AT,),
        required_dates=(EXPIRE_AT,),
    ),
    Transition(
        EventAction.CANCEL_EXPIRY,
        "cancel_expiry",
        (PlanStatus.PUBLISHED,),
        PlanStatus.PUBLISHED,
        may="can_review",
        label=_("Keep online: cancel the expiry date"),
        done=_("The expiry date is cancelled; the plan stays on the public site."),
        wrong_status=_("This plan has no expiry date."),
        forbidden=_("You may not change the expiry date of this plan."),
        announcement=_("%(actor)s cancelled the expiry date of the plan “%(plan)s”."),
        condition="is_expiring",
        tells=NOBODY,
    ),
    Transition(
        EventAction.EXPIRE,
        "expire",
        (PlanStatus.PUBLISHED,),
        PlanStatus.WITHDRAWN,
        may="can_review",  # asked of the reviewer who set the expiry date
        label=_("Withdraw at the expiry date"),
        done=_("The plan reached its expiry date and is withdrawn from the public site."),
        wrong_status=_("Only a published plan can expire."),
        forbidden=_("You may not withdraw this plan."),
        announcement=_(
            "The plan “%(plan)s” reached the expiry date that %(actor)s set; it is withdrawn from the "
            "public site."
        ),
        condition="is_expiring",
        button=False,
    ),
)

# Blog-link reviews. A reviewer may change their mind: an approved link can be rejected and back.
LINK_TRANSITIONS: dict[str, Transition] = _by_action(
    Transition(
        EventAction.APPROVE_LINK,
        "approve",
        (BlogLinkStatus.PENDING, BlogLinkStatus.REJECTED),
        BlogLinkStatus.APPROVED,
        may="can_review_blog_link",
        label=_("Approve"),
        done=_("Approved the blog link %(object)s."),
        wrong_status=_("This blog link is already approved."),
        announcement=_("%(actor)s approved a blog link of the plan “%(plan)s”."),
        forbidden=_("You may not review blog links."),
    ),
    Transition(
        EventAction.REJECT_LINK,
        "reject",
        (BlogLinkStatus.PENDING, BlogLinkStatus.APPROVED),
        BlogLinkStatus.REJECTED,
        may="can_review_blog_link",
        label=_("Reject"),
        done=_("Rejected the blog link %(object)s."),
        wrong_status=_("This blog link is already rejected."),
        announcement=_("%(actor)s rejected a blog link of the plan “%(plan)s”."),
        forbidden=_("You may not review blog links."),
        comment=REQUIRED,
        comment_label=_("Why is the link rejected?"),
        comment_missing=_("Say why the link is rejected."),
    ),
    Transition(
        EventAction.ADD_LINK,
        "await_review",
        (BlogLinkStatus.PENDING,),
        BlogLinkStatus.PENDING,
        may="can_change_blog_link",
        label=_("Ask for approval"),
        done=_("The reviewers are told of the blog link %(object)s."),
        wrong_status=_("This blog link is already reviewed."),
        announcement=_("%(actor)s added a blog link to the plan “%(plan)s”; it awaits your approval."),
        forbidden=_("You may not change this blog link."),
        tells=REVIEWERS,
        button=False,
    ),
)

# Revisions of a published plan (plans/revisions.py): the plan stays published while its authors change a
# copy of it and the reviewers judge that copy. The transitions act on the revision; the plan's methods
# (`plan.submit`, `plan.return_to_author`, `plan.publish`) lead to them while a revision is pending.
REVISION_TRANSITIONS: dict[str, Transition] = _by_action(
    Transition(
        EventAction.SUBMIT_REVISION,
        "submit",
        (RevisionStatus.EDITING, RevisionStatus.RETURNED),
        RevisionStatus.SUBMITTED,
        may="can_submit_revision",
        label=_("Submit the revision for review"),
        done=_("The revision is now submitted; the live plan stays online unchanged until it is published."),
        wrong_status=_("Only a revision being edited or returned can be submitted."),
        forbidden=_("You may not submit this revision."),
        announcement=_("%(actor)s submitted a revision of the live plan “%(plan)s” for review."),
        tells=REVIEWERS,
    ),
    Transition(
        EventAction.PUBLISH_REVISION,
        "publish",
        (RevisionStatus.SUBMITTED,),
        RevisionStatus.PUBLISHED,
        may="can_review_revision",
        label=_("Publish the revision"),
        done=_("The revision is now published: the live plan shows it."),
        wrong_status=_(
            "This revision is no longer submitted: another reviewer may have published or "
            "returned it. Nothing was changed."
        ),
        forbidden=_("You may not publish this revision."),
        announcement=_("%(actor)s published the revision of the plan “%(plan)s”."),
    ),
    Transition(
        EventAction.RETURN_REVISION,
        "return_to_author",
        (RevisionStatus.SUBMITTED,),
        RevisionStatus.RETURNED,
        may="can_review_revision",
        label=_("Request changes"),
        done=_("Changes are requested; the authors have your comment and the live plan stays online."),
        wrong_status=_("Only a submitted revision can be returned to its authors."),
        forbidden=_("You may not return this revision to its authors."),
        announcement=_("%(actor)s requested changes to the revision of the plan “%(plan)s”."),
        comment=REQUIRED,
        comment_label=_("What should the authors change? (required)"),
        comment_missing=_("Say what the authors should change."),
    ),
    Transition(
        EventAction.DISCARD_REVISION,
        "discard",
        (RevisionStatus.EDITING, RevisionStatus.RETURNED),
        RevisionStatus.DISCARDED,
        may="can_submit_revision",
        label=_("Discard the revision"),
        done=_("The revision is discarded; the live plan is as it was."),
        wrong_status=_("Only a revision being edited or returned can be discarded."),
        forbidden=_("You may not discard this revision."),
        announcement=_("%(actor)s discarded the revision of the plan “%(plan)s”."),
    ),
)


def _in_review(plan_action: str, action: str, **sentences) -> Transition:
    """The twin, for a submitted revision of a live plan, of the plan transition `plan_action` that keeps a
    submission in review (claim, release, schedule, unschedule): the same method, predicate and dates, from
    and to the revision's submitted state; `sentences` replace those that speak of the plan's state."""
    return replace(
        PLAN_TRANSITIONS[plan_action],
        action=action,
        sources=(RevisionStatus.SUBMITTED,),
        target=RevisionStatus.SUBMITTED,
        **sentences,
    )


# A submitted revision is claimed and scheduled as a submitted plan is (its buttons come after the plan's).
REVISION_TRANSITIONS.update(
    _by_action(
        _in_review(
            EventAction.SCHEDULE,
            EventAction.SCHEDULE_REVISION,
            done=_("The revision's publication is scheduled; the live plan stays as it is until then."),
            wrong_status=_("Only a submitted revision can be scheduled for publication."),
            announcement=_("%(actor)s scheduled the publication of the revision of the plan “%(plan)s”."),
            dates=(PUBLISH_AT,),
        ),
        _in_review(
            EventAction.UNSCHEDULE,
            EventAction.UNSCHEDULE_REVISION,
            done=_("The scheduled publication is cancelled; the revision stays submitted."),
            wrong_status=_("This revision is not scheduled for publication."),
        ),
        _in_review(
            EventAction.CLAIM,
            EventAction.CLAIM_REVISION,
            wrong_status=_("Only a submitted revision can be claimed for review."),
        ),
        _in_review(
            EventAction.RELEASE,
            EventAction.RELEASE_REVISION,
            wrong_status=_("Only the review of a submitted revision can be released."),
        ),
    )
)

TRANSITIONS: dict[str, Transition] = {**PLAN_TRANSITIONS, **LINK_TRANSITIONS, **REVISION_TRANSITIONS}


def make(obj, action: str, by, comment: str = "", **dates):
    """Make transition `action` on `obj` through its model method, as a button of the admin does: the
    comment goes to transitions that take one, the dates (`publish_at=…`, `expire_at=…`) to those that ask
    for them. Returns the PlanEvent; refusals raise as the method does."""
    transition = TRANSITIONS[action]
    method = getattr(obj, transition.method)
    dates = {name: dates.get(name) for name in transition.dates}
    return method(by, comment, **dates) if transition.takes_comment else method(by, **dates)
