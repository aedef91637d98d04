from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from plans import vocabularies


class Command(BaseCommand):
    help = gettext_lazy(
        "Merge tags of one vocabulary into the last one named: the plans carrying them carry the target, "
        "their names become its aliases (old links, API filters and re-imports still find it). Names are "
        "matched as the admin matches them (case, accents, spacing, punctuation, earlier names). Logged; "
        "undo it from the admin's tag changes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--vocabulary", required=True, choices=vocabularies.NAMES)
        parser.add_argument("names", nargs="+", metavar="SOURCE… TARGET", help=gettext_lazy("Tag names."))

    def handle(self, *args, **options):
        name, names = options["vocabulary"], options["names"]
        if len(names) < 2:
            raise CommandError(_("Name at least one tag to merge and the tag to merge it into."))
        tags = []
        for text in names:
            tag = vocabularies.find(name, text)
            if tag is None:
                raise CommandError(
                    _("No tag “%(name)s” in %(vocabulary)s.") % {"name": text, "vocabulary": name}
                )
            tags.append(tag)
        try:
            change = vocabularies.merge(name, tags[:-1], tags[-1])
        except vocabularies.CurationError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(change.summary)
