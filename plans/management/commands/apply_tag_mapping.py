from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from plans import vocabularies


class Command(BaseCommand):
    help = gettext_lazy(
        "Apply a CSV mapping of tags (vocabulary, original name, canonical name[, category]; a header row is "
        "allowed), such as UNDP's published taxonomy, in one transaction: each original tag is merged into "
        "its canonical tag (or renamed to it), its old name kept as an alias, and filed under the category. "
        "Bad rows are reported as FILE:LINE: message and nothing is written. Ends with a summary line."
    )

    def add_arguments(self, parser):
        parser.add_argument("csv_file", help=gettext_lazy("The mapping, UTF-8 CSV."))
        parser.add_argument(
            "--dry-run", action="store_true", help=gettext_lazy("Report what would change; write nothing.")
        )

    def handle(self, *args, **options):
        path = Path(options["csv_file"])
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(
                _("%(file)s cannot be read: %(error)s") % {"file": path, "error": exc}
            ) from exc
        result = vocabularies.apply_mapping(text.splitlines(), dry_run=options["dry_run"], source=str(path))
        for error in result.errors:
            self.stderr.write(error)
        prefix = _("dry run: ") if options["dry_run"] else ""
        self.stdout.write(prefix + result.summary())
        if result.errors:
            raise CommandError(
                _("%(k)d bad row(s): nothing was changed") % {"k": len(result.errors)}, returncode=1
            )
