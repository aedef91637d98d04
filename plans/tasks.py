"""Background tasks (Django's `django.tasks`): what runs outside the request that caused it.

Production queues them in the database (django-tasks-db) and `manage.py task_worker` runs them, started by
./run beside the server; tests run them at once (acclab/test_settings.py). A task takes ids, not objects:
its arguments are stored as JSON, and it reads the rows as they are when it runs.
"""

import logging
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.tasks import task
from django.utils import timezone

logger = logging.getLogger(__name__)
mail_logger = logging.getLogger("plans.notifications")

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
        mail_logger.warning(
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
    mail_logger.error(
        "Gave up sending the e-mails about event %s of plan %s to users %s after %d attempts: %s",
        event_id,
        event.plan_id,
        sorted(failed),
        attempt,
        "; ".join(sorted(set(failed.values()))),
    )
    raise MailNotSent(f"event {event_id}: {len(failed)} e-mail(s) not sent")


@task
def run_schedules() -> dict[str, list[int]]:
    """Publish the plans and the revisions of live plans whose scheduled publication has come, and withdraw
    the plans whose expiry date has come, each exactly once however many workers run this at the same
    moment; returns their ids (and those of the due rows another worker took first)."""
    return due_schedules(timezone.now())


def due_schedules(now) -> dict[str, list[int]]:
    """`run_schedules` at time `now`. Each plan is taken with a conditional UPDATE that clears its date: of
    two workers, the first takes the row (PostgreSQL locks it until commit, and the second's UPDATE, which
    waits, then finds the date gone; SQLite lets one writer at a time), the second updates nothing and
    moves on. The transition then runs in the same transaction: both happen, or neither."""
    from plans.models import Plan, PlanRevision

    done = {"published": [], "revisions_published": [], "expired": [], "taken_by_another_worker": []}
    jobs = (
        ("published", Plan.objects.filter(publish_at__lte=now), "publish_at", _publish),
        (
            "revisions_published",
            PlanRevision.objects.filter(publish_at__lte=now, status=PlanRevision.Status.SUBMITTED),
            "publish_at",
            _publish_revision,
        ),
        (
            "expired",
            Plan.objects.filter(expire_at__lte=now, status=Plan.Status.PUBLISHED),
            "expire_at",
            _expire,
        ),
    )
    for key, due, field, make in jobs:
        for pk in due.order_by(field, "pk").values_list("pk", flat=True):
            with transaction.atomic():
                if not due.filter(pk=pk).update(**{field: None}):
                    done["taken_by_another_worker"].append(pk)
                    continue
                obj = due.model.objects.select_related("scheduled_by").get(pk=pk)
                setattr(obj, field, now)  # the date this worker took: still due, as the transition asks
                try:
                    make(obj)
                except (ValidationError, PermissionDenied) as refusal:
                    # Its reviewer lost the right, the plan moved meanwhile: the date is cleared (it would
                    # fail again every time), the row is left as it is, and the operators are told.
                    logger.error("Scheduled %s of %r refused: %s", key, obj, " ".join(_messages(refusal)))
                    continue
            done[key].append(pk)
    return done


def _publish(plan) -> None:
    plan.publish(by=plan.scheduled_by, expire_at=plan.expire_at)


def _publish_revision(revision) -> None:
    """The revision is applied to the live plan in this transaction (`PlanRevision.publish`)."""
    revision.publish(by=revision.scheduled_by)


def _expire(plan) -> None:
    plan.expire(by=plan.scheduled_by)


def _messages(error) -> list[str]:
    return getattr(error, "messages", None) or [str(error)]


def enqueue_schedules(when) -> None:
    """Queue `run_schedules` to run at `when` (a backend that cannot defer, as in tests, gets nothing: the
    tests call it). A queue that fails is logged: the worker's start catches up anyway."""
    try:
        if run_schedules.get_backend().supports_defer:
            run_schedules.using(run_after=max(when, timezone.now())).enqueue()
    except Exception:
        logger.exception("Could not queue the scheduled publications and expiries due at %s.", when)


def catch_up() -> None:
    """Called when a worker starts (`manage.py task_worker`): what came due while no worker ran (or whose
    task was lost) is run first, by this worker."""
    run_schedules.enqueue()
