"""E-mails sent by the editorial workflow, through Django's mail API (the console backend by default).

Who hears of what: reviewers learn that a plan was submitted; the plan's lab focal points learn every
decision about their plan or its blog links. The person who acted is never mailed about their own act.
Mail is queued as a task once the transition has committed (plans/tasks.py), so that a slow or broken mail
server never turns a completed transition into an error page: the task retries, and logs what it could not
send.
"""

import logging
from datetime import UTC

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, mailers
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from plans.choices import EventAction
from plans.i18n import language_of
from plans.permissions import REVIEW_PERMISSION
from plans.workflow import REVIEWERS, TRANSITIONS

logger = logging.getLogger(__name__)


def after_commit(event) -> None:
    """Queue the e-mails about `event` once its transaction has committed (at once outside one): a task
    (plans/tasks.py) sends them, retries, and logs what it could not send."""
    transaction.on_commit(lambda: enqueue(event.pk))


def enqueue(event_id: int) -> None:
    from plans.tasks import send_event_mail

    try:
        send_event_mail.enqueue(event_id)
    except Exception:
        # The transition has committed and the user must learn that it did, whatever the queue does
        # (a database that went away between the two, …); operators learn from the log.
        logger.exception("Could not queue the e-mails about event %s.", event_id)


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


def recipients(event):
    """The users to tell about `event`, with an address, never its actor."""
    transition = TRANSITIONS[event.action]
    users = reviewers() if transition.tells == REVIEWERS else focal_points(event.plan)
    return [
        u for u in users.select_related("preference").order_by("pk") if u.email and u.pk != event.actor_id
    ]


def send(event, only=None) -> tuple[int, dict[int, str]]:
    """Mail the people concerned by `event` (those of `only`, user ids, when given), each in their language
    and one message each (focal points of a lab must not learn each other's addresses from Cc). Returns the
    number sent and, for each user it could not be sent to, why."""
    plan, transition = event.plan, TRANSITIONS[event.action]
    users = [u for u in recipients(event) if only is None or u.pk in only]
    sent, failed = 0, {}
    if not users:
        return sent, failed
    connection = mailers.default
    try:
        connection.open()
    except Exception as error:  # the server does not answer (DNS, refused, timeout): everybody later
        return sent, dict.fromkeys((u.pk for u in users), f"{type(error).__name__}: {error}")
    try:
        for user in users:
            with translation.override(language_of(user)):
                message = _message(event, plan, transition, user.email)
            try:
                sent += connection.send_messages([message]) or 0
            except Exception as error:  # a refusal of this address, a dropped connection: this one later
                failed[user.pk] = f"{type(error).__name__}: {error}"
    finally:
        connection.close()
    return sent, failed


def _message(event, plan, transition, address: str) -> EmailMessage:
    """The e-mail about `event`, in the active language: what happened, the dates set, the comment, and the
    page where the recipient acts on it (the blog link's review page for a link awaiting approval)."""
    actor = (event.actor.get_full_name() or event.actor.get_username()) if event.actor else _("Someone")
    if event.action == EventAction.ADD_LINK:
        path = reverse("admin:plans_bloglink_change", args=[event.blog_link_id])
    else:
        path = reverse("admin:plans_plan_change", args=[plan.pk])
    announcement = transition.announcement % {"actor": actor, "plan": plan.title}
    subject = _("[AccLab Plans] %(announcement)s") % {"announcement": announcement}
    lines = [announcement]
    if event.blog_link_id:
        lines.append(_("Blog link: %(url)s") % {"url": event.blog_link.url})
    scheduled = event.revision if event.action == EventAction.SCHEDULE_REVISION else plan
    if event.action in (EventAction.SCHEDULE, EventAction.SCHEDULE_REVISION) and scheduled.publish_at:
        lines.append(_("Publication: %(when)s (UTC)") % {"when": _when(scheduled.publish_at)})
    if event.action in (EventAction.SCHEDULE, EventAction.PUBLISH, EventAction.SET_EXPIRY) and plan.expire_at:
        lines.append(_("Withdrawal from the public site: %(when)s (UTC)") % {"when": _when(plan.expire_at)})
    if event.comment:
        lines += ["", event.comment]
    lines += ["", _("Open it in AccLab Plans: %(link)s") % {"link": settings.SITE_URL + path}]
    return EmailMessage(subject, "\n".join(lines), to=[address])


def _when(moment) -> str:
    return formats.date_format(timezone.localtime(moment, UTC), "DATETIME_FORMAT")
