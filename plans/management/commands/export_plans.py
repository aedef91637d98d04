from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from plans.archive.dump import PREFETCH, UnwritableLayout, archive_file, unique_name
from plans.models import SDG, Plan

CHUNK = 200


class Command(BaseCommand):
    help = gettext_lazy(
        "Write every plan (or those with the given --status) to DIR in the archive format, one file per "
        "plan, named like the file it was imported from (<slug>.md for plans authored in the admin). "
        "Existing files of the same name are overwritten. A plan whose stored layout cannot be written is "
        "reported and skipped; the command then exits non-zero. Ends with one summary line."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--out", required=True, help=gettext_lazy("Folder to write to (created if needed).")
        )
        parser.add_argument(
            "--status",
            action="append",
            choices=[s for s, _label in Plan.Status.choices],
            help=gettext_lazy("Only plans with this status (repeatable; default: all)."),
        )

    def handle(self, *args, **options):
        out = Path(options["out"])
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandError(_("Cannot create %(dir)s: %(error)s") % {"dir": out, "error": exc}) from exc
        plans = Plan.objects.order_by("pk")
        if options["status"]:
            plans = plans.filter(status__in=options["status"])
        names = dict(SDG.objects.values_list("number", "name"))
        written: set[str] = set()
        failed: list[Plan] = []
        ids = list(plans.values_list("pk", flat=True))
        for start in range(0, len(ids), CHUNK):
            for plan in Plan.objects.filter(pk__in=ids[start : start + CHUNK]).prefetch_related(*PREFETCH):
                try:  # an operator's export: every part of every plan, private ones included
                    name, text = archive_file(plan, private=True, names=names)
                except UnwritableLayout as exc:  # one broken plan never stops the export of the others
                    failed.append(plan)
                    self.stderr.write(
                        _("%(plan)s: not exported: %(error)s") % {"plan": plan.slug, "error": exc}
                    )
                    continue
                (out / unique_name(name, written)).write_text(text, encoding="utf-8")
        summary = _("exported %(n)d plans to %(dir)s") % {"n": len(written), "dir": out}
        if failed:
            summary += " " + _("(%(k)d failed)") % {"k": len(failed)}
        self.stdout.write(summary)
        if failed:
            raise CommandError(_("%(k)d plan(s) could not be exported") % {"k": len(failed)}, returncode=1)
