from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from plans import dumps


class Command(BaseCommand):
    help = gettext_lazy(
        "Write today's full dump of the published plans to DUMPS_ROOT: one ZIP per format with its data "
        "dictionary and licence, checksums and a manifest; keep the last DUMPS_KEEP dates. A dump that "
        "fails half-way leaves the previous one the latest."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--keep", type=int, help=gettext_lazy("How many dates to keep (default: DUMPS_KEEP).")
        )

    def handle(self, *args, **options):
        if options["keep"] is not None and options["keep"] < 1:
            raise CommandError(_("--keep must be at least 1."))
        manifest = dumps.write(keep=options["keep"], log=lambda message: self.stdout.write(message))
        self.stdout.write(
            _("dumped %(plans)s plans in %(files)s files for %(date)s")
            % {"plans": manifest["plans"], "files": len(manifest["files"]), "date": manifest["date"]}
        )
