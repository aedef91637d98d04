"""PostgreSQL only: an index in the exact order of the list's default sort (`published_at DESC NULLS LAST,
id DESC`) over published plans, so that the first page reads 20 index entries instead of sorting every
published plan (PostgreSQL's descending indexes put NULLs first, so `plan_status_published` does not
match). SQLite needs none: its descending index already puts NULLs last, and it cannot declare NULLS LAST
in an index. Not declared on the model for the same reason."""

from django.db import migrations

INDEX = "plan_newest_published"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON plans_plan (published_at DESC NULLS LAST, id DESC) "
            "WHERE status = 'published'"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("plans", "0007_perf_indexes")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
