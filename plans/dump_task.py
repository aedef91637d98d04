"""The scheduled dump: a task (Django's task framework, the queue of plans/tasks.py) that writes the day's
dump with `manage.py dump_collection` and queues itself again for the next day at DUMP_HOUR_UTC, so that
one `manage.py schedule_dumps` (or the first dump run by the worker) keeps dumps coming every day."""

from datetime import datetime, time, timedelta

from django.core.management import call_command
from django.tasks import default_task_backend, task
from django.utils import timezone

DUMP_HOUR_UTC = 2  # at night for most Labs' readers


def next_run(now: datetime | None = None) -> datetime:
    now = now or timezone.now()
    today = datetime.combine(now.date(), time(DUMP_HOUR_UTC), tzinfo=timezone.UTC)
    return today if today > now else today + timedelta(days=1)


def already_queued() -> bool:
    """Whether a dump waits in the database queue (django-tasks-db), so that the chain is never doubled."""
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # another backend: trust the caller
        return False
    return DBTaskResult.objects.filter(task_path=dump_collection.module_path, status="READY").exists()


def schedule(now: datetime | None = None) -> bool:
    """Queue the next daily dump when the backend can run tasks later and none is queued yet."""
    if not default_task_backend.supports_defer or already_queued():
        return False
    dump_collection.using(run_after=next_run(now)).enqueue()
    return True


@task
def dump_collection() -> str:
    try:
        call_command("dump_collection")
    finally:
        schedule()  # a failed night must not stop the next
    return "ok"
