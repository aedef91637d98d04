"""Background tasks (plans/tasks.py): the workflow's e-mails are queued on commit, retried, logged."""

import logging

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.tasks.backends.immediate import ImmediateBackend
from django.urls import reverse

from plans import tasks
from plans.models import Plan


class FlakyMailBackend(LocmemBackend):
    """A mail server that refuses the first message to bob's address, then accepts everything."""

    refused: list[str] = []

    def send_messages(self, messages):
        for message in messages:
            if message.to == ["bob@example.org"] and not FlakyMailBackend.refused:
                FlakyMailBackend.refused.append(message.to[0])
                raise ConnectionResetError("connection reset")
        return super().send_messages(messages)


class DownMailBackend(BaseEmailBackend):
    def open(self):
        raise ConnectionRefusedError("mail server down")

    def send_messages(self, messages):
        raise AssertionError("never reached: open() failed")


@pytest.fixture
def flaky_mail(settings):
    FlakyMailBackend.refused = []
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.FlakyMailBackend"}}


def test_it_queues_the_mail_only_when_the_transition_commits(
    plan_factory, focal_point, reviewer, django_capture_on_commit_callbacks
):
    plan = plan_factory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        plan.submit(by=focal_point)
    assert mail.outbox == []  # not before the commit
    for callback in callbacks:
        callback()
    assert [m.to for m in mail.outbox] == [[reviewer.email]]


def test_it_sends_a_failed_mail_again_to_those_who_missed_it_only(
    plan_factory,
    focal_point,
    reviewer,
    django_user_model,
    lab_a,
    flaky_mail,
    django_capture_on_commit_callbacks,
):
    bob = django_user_model.objects.create_user("bob", "bob@example.org", "pw", is_staff=True)
    lab_a.members.add(bob)
    plan = plan_factory(status=Plan.Status.SUBMITTED)
    with django_capture_on_commit_callbacks(execute=True):
        plan.return_to_author(by=reviewer, comment="Add the partners")
    # alice once, bob once (his first try refused, sent again by the retry): nobody twice
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.org", "bob@example.org"]
    assert FlakyMailBackend.refused == ["bob@example.org"]


def test_it_logs_and_fails_the_task_when_the_server_never_answers(
    plan_factory, focal_point, reviewer, settings, caplog
):
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.DownMailBackend"}}
    event = plan_factory().submit(by=focal_point)
    with caplog.at_level(logging.WARNING, logger="plans.notifications"):
        result = tasks.send_event_mail.enqueue(event.pk)
    attempts = [r for r in caplog.records if r.name == "plans.notifications"]
    assert [r.levelname for r in attempts] == ["WARNING"] * 3 + ["ERROR"]
    assert "mail server down" in attempts[-1].getMessage()
    assert result.status == "SUCCESSFUL"  # the first run queued the retry; the last one failed


class BrokenQueue(ImmediateBackend):
    def enqueue(self, task, args, kwargs):
        raise RuntimeError("queue unavailable")


def test_it_completes_the_transition_over_http_when_the_queue_is_broken(
    client, plan_factory, focal_point, reviewer, settings, django_capture_on_commit_callbacks, caplog
):
    settings.TASKS = {"default": {"BACKEND": f"{__name__}.BrokenQueue"}}
    plan = plan_factory()
    client.force_login(focal_point)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:plans_plan_transition", args=[plan.pk, "submit"]))
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == Plan.Status.SUBMITTED
    assert "queue unavailable" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_it_queues_mail_in_the_database_for_the_worker(settings, plan_factory, focal_point, reviewer):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    plan_factory().submit(by=focal_point)
    assert mail.outbox == []
    queued = DBTaskResult.objects.get()
    assert (queued.task_path, queued.status) == ("plans.tasks.send_event_mail", "READY")
    call_command("task_worker", "--batch", "--no-reload", "--no-startup-delay", verbosity=0)
    queued.refresh_from_db()
    assert queued.status == "SUCCESSFUL" and [m.to for m in mail.outbox] == [[reviewer.email]]
