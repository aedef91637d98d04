from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from plans.archive.importer import collect, import_files
from plans.models import Plan


class Command(BaseCommand):
    help = gettext_lazy(
        "Measure the importer: import PATH (files or folders) into the configured database, which must not "
        "hold these plans yet (use a fresh, migrated database), and print plans per second."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help=gettext_lazy("Files or folders to import."))

    def handle(self, *args, **options):
        names = [p.name for p in collect(options["paths"])]
        if Plan.objects.filter(source_file__in=names).exists():
            raise CommandError(_("Some of these plans are already imported: run against a fresh database."))
        result = import_files(options["paths"], err=self.stderr._out)
        rate = result.imported / result.seconds if result.seconds else 0.0
        self.stdout.write(
            _("%(vendor)s: %(n)d plans in %(s).2f s = %(rate).0f plans/s (%(k)d failed)")
            % {
                "vendor": connection.vendor,
                "n": result.imported,
                "s": result.seconds,
                "rate": rate,
                "k": result.failed,
            }
        )
        if result.failed:
            raise CommandError(_("%(k)d file(s) could not be imported") % {"k": result.failed}, returncode=1)
