"""The editorial workflow, once: every transition of a plan and of a blog link, in one table.

Each row says where a transition starts and ends, who may make it (the name of a predicate in
plans/permissions.py), whether it takes a comment, and every sentence the user reads about it: the button,
the comment's label, the success message and the refusals. The model methods (`Plan.submit`, …,
`BlogLink.approve`, `BlogLink.reject`), `permissions.can_make_transition` / `available_transitions`, the
admin's buttons and their dispatch all read this table; nothing else lists transitions or assembles
sentences from their parts.

The refusals are whole sentences, so that translators see each one as it is read.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from plans.choices import BlogLinkStatus, EventAction, PlanStatus, RevisionStatus

# Whether a transition asks for a comment (a reason, a note for the authors).
NO_COMMENT, OPTIONAL, REQUIRED = "", "optional", "required"
# Who is e-mailed about it (plans/notifications.py): the reviewers, or the focal points of the plan's lab.
REVIEWERS, AUTHORS = "reviewers", "authors"


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

    @property
    def takes_comment(self) -> bool:
        return self.comment != NO_COMMENT

    @property
    def needs_comment(self) -> bool:
        return self.comment == REQUIRED


# Plan transitions, in the order the admin shows their buttons.
PLAN_TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
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
    )
}

# Blog-link reviews. A reviewer may change their mind: an approved link can be rejected and back.
LINK_TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
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
    )
}

# Revisions of a published plan (plans/revisions.py): the plan stays published while its authors change a
# copy of it and the reviewers judge that copy. The transitions act on the revision; the plan's methods
# (`plan.submit`, `plan.return_to_author`, `plan.publish`) lead to them while a revision is pending.
REVISION_TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition(
            EventAction.SUBMIT_REVISION,
            "submit",
            (RevisionStatus.EDITING, RevisionStatus.RETURNED),
            RevisionStatus.SUBMITTED,
            may="can_submit_revision",
            label=_("Submit the revision for review"),
            done=_(
                "The revision is now submitted; the live plan stays online unchanged until it is published."
            ),
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
}

TRANSITIONS: dict[str, Transition] = {**PLAN_TRANSITIONS, **LINK_TRANSITIONS, **REVISION_TRANSITIONS}


def make(obj, action: str, by, comment: str = ""):
    """Make transition `action` on `obj` through its model method, as a button of the admin does: the
    comment goes to transitions that take one. Returns the PlanEvent; refusals raise as the method does."""
    transition = TRANSITIONS[action]
    method = getattr(obj, transition.method)
    return method(by, comment) if transition.takes_comment else method(by)
