"""Django's `loaddata`, restoring a backup as it was: no plan's modified date moves (plans/changes.py), and
every cached page, count and plan page is read afresh after (`cache.bump()`: the restored rows are saved
raw, and send no signal that would).

An app's command of the same name takes the place of Django's own; everything else is Django's."""

from django.core.management.commands import loaddata

from plans import cache, changes


class Command(loaddata.Command):
    def handle(self, *fixture_labels, **options):
        with changes.restoring():
            result = super().handle(*fixture_labels, **options)
        cache.bump()
        return result
