"""E-mails sent by the editorial workflow, through Django's mail API (the console backend by default).

Who hears of what: reviewers learn that a plan was submitted; the plan's lab focal points learn every
decision about their plan or its blog links. The person who acted is never mailed about their own act.
Mail is sent once the transition has committed, and a failure to send is logged, never raised: the
transition is done whether or not the mail server answers.
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, mailers
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from plans.i18n import language_of
from plans.permissions import REVIEW_PERMISSION
from plans.workflow import REVIEWERS, TRANSITIONS

logger = logging.getLogger(__name__)


def after_commit(event) -> None:
    """Mail the people concerned by `event` once its transaction has committed (at once outside one)."""
    transaction.on_commit(lambda: _send_logged(event))


def _send_logged(event) -> None:
    try:
        plan_event(event)
    except Exception:
        # Any failure of any mail backend (SMTP refusals, DNS, timeouts, …): the transition has committed
        # and the user must learn that it did; operators learn from the log that its e-mail did not go.
        logger.exception("Could not send the e-mails about event %s of plan %s.", event.pk, event.plan_id)


def reviewers():
    from django.contrib.auth.models import Permission

    app_label, codename = REVIEW_PERMISSION.split(".")
    perms = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    # Superusers are not mailed: they can do everything, but reviewing is not their job by default.
    return (
        get_user_model()
        .objects.filter(Q(groups__permissions__in=perms) | Q(user_permissions__in=perms), is_active=True)
        .distinct()
    )


def focal_points(plan):
    if plan.lab_id is None:
        return get_user_model().objects.none()
    return plan.lab.members.filter(is_active=True)


def plan_event(event) -> int:
    """Mail the people concerned by `event`, each in their language; returns the number of messages sent."""
    plan, transition = event.plan, TRANSITIONS[event.action]
    recipients = reviewers() if transition.tells == REVIEWERS else focal_points(plan)
    by_address = {
        u.email: u for u in recipients.select_related("preference") if u.email and u.pk != event.actor_id
    }
    if not by_address:
        return 0
    # One message per recipient: focal points of a lab must not learn each other's addresses from Cc.
    messages = []
    for address in sorted(by_address):
        with translation.override(language_of(by_address[address])):
            messages.append(_message(event, plan, transition, address))
    return mailers.default.send_messages(messages)


def _message(event, plan, transition, address: str) -> EmailMessage:
    actor = (event.actor.get_full_name() or event.actor.get_username()) if event.actor else _("Someone")
    link = settings.SITE_URL + reverse("admin:plans_plan_change", args=[plan.pk])
    announcement = transition.announcement % {"actor": actor, "plan": plan.title}
    subject = _("[AccLab Plans] %(announcement)s") % {"announcement": announcement}
    lines = [announcement]
    if event.blog_link_id:
        lines.append(_("Blog link: %(url)s") % {"url": event.blog_link.url})
    if event.comment:
        lines += ["", event.comment]
    lines += ["", link]
    return EmailMessage(subject, "\n".join(lines), to=[address])
