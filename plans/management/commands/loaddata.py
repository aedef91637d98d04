"""Django's `loaddata`, restoring a backup as it was: no plan's modified date moves (plans/changes.py).

An app's command of the same name takes the place of Django's own; everything else is Django's."""

from django.core.management.commands import loaddata

from plans import changes


class Command(loaddata.Command):
    def handle(self, *fixture_labels, **options):
        with changes.restoring():
            return super().handle(*fixture_labels, **options)
