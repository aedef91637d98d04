"""Background tasks (Django's `django.tasks`): what runs outside the request that caused it.

Production queues them in the database (django-tasks-db) and `manage.py task_worker` runs them, started by
./run beside the server; tests run them at once (acclab/test_settings.py). A task takes ids, not objects:
its arguments are stored as JSON, and it reads the rows as they are when it runs.
"""

import logging
from datetime import timedelta

from django.tasks import task
from django.utils import timezone

logger = logging.getLogger("plans.notifications")

# A mail server that is down for a moment should not cost anybody their e-mail; one that stays down for
# hours is an operator's problem, which the log and the failed task result tell. Seconds before each retry.
MAIL_RETRY_DELAYS = (60, 600, 3600)


class MailNotSent(Exception):
    """Some e-mails about an event could not be sent, after every retry."""


@task
def send_event_mail(event_id: int, recipient_ids: list[int] | None = None, attempt: int = 1) -> int:
    """E-mail the people concerned by PlanEvent `event_id` (only `recipient_ids` on a retry: those who have
    it already do not get it twice); returns the number sent. Failed recipients are tried again later, up to
    len(MAIL_RETRY_DELAYS) times; then the failure is logged and the task fails."""
    from plans import notifications
    from plans.models import PlanEvent

    event = PlanEvent.objects.select_related("plan__lab", "actor", "blog_link").filter(pk=event_id).first()
    if event is None:  # its plan was discarded meanwhile: nobody needs to hear of it any more
        return 0
    sent, failed = notifications.send(event, recipient_ids)
    if not failed:
        return sent
    if attempt <= len(MAIL_RETRY_DELAYS):
        logger.warning(
            "Could not send %d e-mail(s) about event %s (attempt %d); trying again.",
            len(failed),
            event_id,
            attempt,
        )
        retry = send_event_mail
        if retry.get_backend().supports_defer:
            retry = retry.using(run_after=timezone.now() + timedelta(seconds=MAIL_RETRY_DELAYS[attempt - 1]))
        retry.enqueue(event_id, sorted(failed), attempt + 1)
        return sent
    logger.error(
        "Gave up sending the e-mails about event %s of plan %s to users %s after %d attempts: %s",
        event_id,
        event.plan_id,
        sorted(failed),
        attempt,
        "; ".join(sorted(set(failed.values()))),
    )
    raise MailNotSent(f"event {event_id}: {len(failed)} e-mail(s) not sent")
