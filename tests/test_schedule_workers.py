"""Scheduled publication and expiry with two workers (issue 13): two real processes run the schedule task at
the same moment against one database (the test database on PostgreSQL, a database file on SQLite); every
due plan is published exactly once, every due revision of a live plan applied to it exactly once and every
expired plan withdrawn exactly once, each with one event and one queued e-mail task."""

import json
import os
import subprocess
import sys
import time

import pytest
from django.db import connection

from tests.conftest import REPO

PLANS = 30  # of each kind: enough for the two workers' runs to interleave

SETUP = f"""
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone
from plans import revisions
from plans.models import Lab, Plan, PlanRevision
users = get_user_model().objects
rita = users.create_user("rita", "rita@example.org", "pw", is_staff=True)
rita.user_permissions.add(Permission.objects.get(codename="review_plan"))
lab = Lab.objects.create(name="Accelerator Lab Peru")
alice = users.create_user("alice", "alice@example.org", "pw", is_staff=True)
lab.members.add(alice)
past = timezone.now() - timedelta(minutes=5)
for i in range({PLANS}):
    Plan.objects.create(title=f"Due {{i}}", lab=lab, status="submitted", publish_at=past, scheduled_by=rita)
    Plan.objects.create(
        title=f"Expiring {{i}}", lab=lab, status="published", published_at=past, expire_at=past,
        scheduled_by=rita,
    )
    live = Plan.objects.create(title=f"Live {{i}}", lab=lab, status="published", published_at=past)
    content = revisions.snapshot(live)
    content["fields"]["title"] = f"Revised {{i}}"
    PlanRevision.objects.create(
        plan=live, number=1, status="submitted", content=content, base=revisions.snapshot(live),
        created_by=alice, publish_at=past, scheduled_by=rita,
    )
"""

WORKER = """
import json, time
from plans import tasks
time.sleep(max(0, {start} - time.time()))
print("RESULT " + json.dumps(tasks.run_schedules.call()))
"""

REPORT = """
import json
from django.db.models import Count
from django_tasks_db.models import DBTaskResult
from plans.models import Plan, PlanEvent, PlanRevision
events = PlanEvent.objects.values("plan_id", "action").annotate(n=Count("pk"))
print("RESULT " + json.dumps({
    "statuses": {p.title: p.status for p in Plan.objects.all()},
    "dates_left": Plan.objects.exclude(publish_at=None, expire_at=None).count()
    + PlanRevision.objects.exclude(publish_at=None).count(),
    "revisions": sorted(set(PlanRevision.objects.values_list("status", flat=True))),
    "events": sorted((e["action"], e["n"]) for e in events),
    "mail_tasks": DBTaskResult.objects.filter(task_path="plans.tasks.send_event_mail").count(),
}))
"""


def result_of(process_output: str):
    return json.loads(next(line for line in process_output.splitlines() if line.startswith("RESULT "))[7:])


@pytest.fixture
def worker_env(tmp_path):
    """The environment of processes that share the database: the test database itself on PostgreSQL (a
    transactional test, so that they see what is committed), a migrated file on SQLite (the test database is
    in memory there, which other processes cannot open)."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(DEBUG="1", DJANGO_SETTINGS_MODULE="acclab.settings", ENV_FILE="")
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        where = f"{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"
        env["DATABASE_URL"] = f"postgres://{s['USER']}:{s['PASSWORD']}@{where}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
        manage(env, "migrate", "--no-input")
    return env


def manage(env, *args) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.django_db(transaction=True)
def test_it_publishes_and_expires_each_plan_exactly_once_with_two_workers(worker_env):
    manage(worker_env, "shell", "-c", SETUP)
    start = time.time() + 3  # both processes are up and have imported Django by then
    workers = [
        subprocess.Popen(
            [sys.executable, "manage.py", "shell", "-c", WORKER.format(start=start)],
            cwd=REPO,
            env=worker_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [w.communicate(timeout=300) for w in workers]
    assert all(w.returncode == 0 for w in workers), [err[-3000:] for _out, err in outputs]
    results = [result_of(out) for out, _err in outputs]

    for kind in ("published", "revisions_published", "expired"):
        ids = [pk for r in results for pk in r[kind]]
        assert len(ids) == len(set(ids)) == PLANS, kind  # each once, by one worker or the other
    # They did run together: a worker found due what the other had just taken (on SQLite, which lets one
    # writer at a time, the first often takes everything while the second waits, then finds it all gone).
    assert any(r["taken_by_another_worker"] for r in results)

    report = result_of(manage(worker_env, "shell", "-c", REPORT))
    assert sorted(set(report["statuses"].values())) == ["published", "withdrawn"]
    assert all(
        status == ("withdrawn" if title.startswith("Expiring") else "published")
        for title, status in report["statuses"].items()
    )
    # Every live plan shows its revision, applied once: none kept its live title.
    assert sorted(t for t in report["statuses"] if t.startswith(("Live", "Revised"))) == sorted(
        f"Revised {i}" for i in range(PLANS)
    )
    assert report["revisions"] == ["published"]
    assert report["dates_left"] == 0
    assert report["events"] == sorted(
        [["expire", 1]] * PLANS + [["publish", 1]] * PLANS + [["publish_revision", 1]] * PLANS
    )
    assert report["mail_tasks"] == 3 * PLANS  # the lab's focal point hears of each, once
