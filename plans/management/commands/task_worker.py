"""`manage.py task_worker`: django-tasks-db's worker (`db_worker`, same options), which first catches up on
what came due while no worker ran (scheduled publications and expiries). ./run starts it beside the server;
production runs it as a second process (README, "Production")."""

from django_tasks_db.management.commands.db_worker import Command as DatabaseWorker

from plans import tasks


class Command(DatabaseWorker):
    help = "Run the background tasks (workflow e-mails, scheduled publication) after catching up."

    def handle(self, *args, **options):
        tasks.catch_up()
        return super().handle(*args, **options)
