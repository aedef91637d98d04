import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from plans import search


class Command(BaseCommand):
    help = gettext_lazy(
        "Rebuild the full-text search index of every plan from the database, in one transaction (searches "
        "keep using the old index until it is done). Run it after restoring a database or after the "
        "migration that created the index; safe to run any time. Ends with one summary line and exits "
        "non-zero if the index could not be written."
    )

    def handle(self, *args, **options):
        started = time.perf_counter()
        try:
            count = search.rebuild()
        except DatabaseError as exc:
            raise CommandError(
                _("The search index could not be rebuilt: %(error)s") % {"error": exc}
            ) from exc
        self.stdout.write(
            _("indexed %(n)d plans in %(s).1f s") % {"n": count, "s": time.perf_counter() - started}
        )
