"""PostgreSQL with the RUM extension (Debian package `postgresql-15-rum`): the ranking vector's index becomes
a RUM index, which stores each word's positions and so returns the matches of a one-term search in the order
of their rank without reading their vectors (plans/search.py, `ranked_ids()`). Without the extension, or
without the right to create it, the GIN index of 0037 stays and searches rank as before (slower at 100,000
plans). Installed later: `manage.py migrate plans 0038` then `manage.py migrate` builds it."""

from django.db import DatabaseError, migrations, transaction

INDEX = "plans_searchindex_ranking"


def forward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'rum'")
        if cursor.fetchone() is None:
            return
        try:
            with transaction.atomic(using=connection.alias):  # a refusal must not abort the migration
                cursor.execute("CREATE EXTENSION IF NOT EXISTS rum")
        except DatabaseError:  # no right to create it: the GIN index stays
            return
        cursor.execute(f"DROP INDEX IF EXISTS {INDEX}")
        cursor.execute(f"CREATE INDEX {INDEX} ON plans_searchindex USING rum (ranking rum_tsvector_ops)")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
        schema_editor.execute(f"CREATE INDEX {INDEX} ON plans_searchindex USING GIN (ranking)")


class Migration(migrations.Migration):
    dependencies = [("plans", "0038_newest_published_covering")]
    operations = [migrations.RunPython(forward, backward)]
