"""The fixed sets of values of the data model, with their labels.

They live here, below everything else, so that any module (permissions, the workflow table, the archive
code) can name a status without importing the models. The models expose them under their familiar names
(`Plan.Status`, `BlogLink.Status`, `PlanEvent.Action`, …); both spellings are the same class.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

STAGES = [("sense", _("Sense")), ("explore", _("Explore")), ("test", _("Test")), ("grow", _("Grow"))]


class PlanKind(models.TextChoices):
    OPENING = "opening", _("Opening plan")
    CLOSING = "closing", _("Closing report")
    HYBRID = "hybrid", _("Hybrid (closing and opening)")


# A hybrid plan is both: it closes an earlier plan and opens a new challenge.
OPENING_KINDS = (PlanKind.OPENING, PlanKind.HYBRID)
CLOSING_KINDS = (PlanKind.CLOSING, PlanKind.HYBRID)


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class RevisionStatus(models.TextChoices):
    """The states of a revision of a published plan (plans/revisions.py); the plan itself stays published."""

    EDITING = "editing", _("Being edited")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Changes requested")
    PUBLISHED = "published", _("Published")
    DISCARDED = "discarded", _("Discarded")


# A plan has at most one revision in these states: the one its authors and reviewers work on.
PENDING_REVISION_STATUSES = (RevisionStatus.EDITING, RevisionStatus.SUBMITTED, RevisionStatus.RETURNED)


class ChallengeType(models.TextChoices):
    BIG_BET = "big_bet", _("Big bet")
    EXPLORATORY = "exploratory", _("Exploratory")


class FormVersion(models.TextChoices):
    OPENING = "opening", _("Opening plan")
    CLOSING_V1 = "closing_v1", _("Closing report, first form (2021–2023)")
    CLOSING_V2 = "closing_v2", _("Closing report, second form (2023–2025)")
    HYBRID = "hybrid", _("Hybrid")


# The kind of plan each form makes: a plan's kind follows its form, so that the two never contradict.
FORM_KINDS = {
    FormVersion.OPENING: PlanKind.OPENING,
    FormVersion.CLOSING_V1: PlanKind.CLOSING,
    FormVersion.CLOSING_V2: PlanKind.CLOSING,
    FormVersion.HYBRID: PlanKind.HYBRID,
}


class PartnerSector(models.TextChoices):
    ACADEMIC = "academic", _("Academic")
    PRIVATE = "private", _("Private sector")
    GOVERNMENT = "government", _("Government")
    CIVIL_SOCIETY = "civil_society", _("Civil society")
    UN = "un", _("UN")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class NewUnusual(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    UNKNOWN = "unknown", _("Unknown")


class EvidenceKind(models.TextChoices):
    QUANTITATIVE = "quantitative", _("Quantitative evidence")
    QUALITATIVE = "qualitative", _("Qualitative evidence")
    SUPPORTING = "supporting", _("Supporting evidence")


class BlogLinkStatus(models.TextChoices):
    PENDING = "pending", _("Pending approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class EventAction(models.TextChoices):
    """The steps of the editorial workflow, as recorded in `PlanEvent.action` (plans/workflow.py says
    what each does)."""

    SUBMIT = "submit", _("Submit")
    RETURN = "return", _("Return to author")
    PUBLISH = "publish", _("Publish")
    WITHDRAW = "withdraw", _("Withdraw")
    REOPEN = "reopen", _("Reopen")
    APPROVE_LINK = "approve_link", _("Approve blog link")
    REJECT_LINK = "reject_link", _("Reject blog link")
    SUBMIT_REVISION = "submit_revision", _("Submit revision")
    RETURN_REVISION = "return_revision", _("Request changes to revision")
    PUBLISH_REVISION = "publish_revision", _("Publish revision")
    DISCARD_REVISION = "discard_revision", _("Discard revision")
    CLAIM = "claim", _("Claim the review")
    RELEASE = "release", _("Release the review")
    RECALL = "recall", _("Recall")
    SCHEDULE = "schedule", _("Schedule publication")
    UNSCHEDULE = "unschedule", _("Cancel scheduled publication")
    EXPIRE = "expire", _("Expire")
    CANCEL_EXPIRY = "cancel_expiry", _("Cancel expiry")
    DISCARD = "discard", _("Discard")
    ADD_LINK = "add_link", _("Blog link awaiting approval")
    SET_EXPIRY = "set_expiry", _("Set expiry date")
    CLAIM_REVISION = "claim_revision", _("Claim the review of a revision")
    RELEASE_REVISION = "release_revision", _("Release the review of a revision")
    SCHEDULE_REVISION = "schedule_revision", _("Schedule publication of a revision")
    UNSCHEDULE_REVISION = "unschedule_revision", _("Cancel scheduled publication of a revision")
