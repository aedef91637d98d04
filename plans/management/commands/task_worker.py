"""`manage.py task_worker`: django-tasks-db's worker (`db_worker`, same options). ./run starts it beside the
server; production runs it as a second process (README, "Production")."""

from django_tasks_db.management.commands.db_worker import Command as DatabaseWorker


class Command(DatabaseWorker):
    help = "Run the background tasks (workflow e-mails, scheduled publication)."
