from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from plans.archive.importer import import_files


class Command(BaseCommand):
    help = gettext_lazy(
        "Import learning plans from archive-format files (.md/.txt; folders are searched recursively, their "
        "README.md skipped). A plan is identified by its file name: re-importing updates it in place, where "
        "the file changed since the last import the file wins, elsewhere edits made since are kept. Each "
        "file is imported in its own transaction; errors are printed as FILE:LINE: message and the command "
        "exits non-zero when a file failed. Ends with one summary line."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help=gettext_lazy("Files or folders to import."))
        parser.add_argument(
            "--status",
            choices=["published", "draft"],
            default="published",
            help=gettext_lazy(
                "Status of newly imported plans (default: published, dated 1 January of their year)."
            ),
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=gettext_lazy("Parse and report without writing to the database."),
        )

    def handle(self, *args, **options):
        result = import_files(
            options["paths"], status=options["status"], dry_run=options["dry_run"], err=self.stderr._out
        )
        prefix = _("dry run: ") if options["dry_run"] else ""
        self.stdout.write(prefix + result.summary())
        if result.failed:
            raise CommandError(_("%(k)d file(s) could not be imported") % {"k": result.failed}, returncode=1)
