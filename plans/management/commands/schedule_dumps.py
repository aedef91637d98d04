from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from plans import dump_task


class Command(BaseCommand):
    help = gettext_lazy(
        "Queue the daily dump of the published plans (run by the task worker every night; once is enough)."
    )

    def handle(self, *args, **options):
        if dump_task.schedule():
            self.stdout.write(_("The next dump is queued for %(when)s.") % {"when": dump_task.next_run()})
        else:
            self.stdout.write(_("A dump is already queued, or the task backend cannot run tasks later."))
