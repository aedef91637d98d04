"""PostgreSQL only: an index in the exact order in which a search's ties are ranked (`published_at DESC NULLS
FIRST, id`, `search._ranked_ids`) over published plans, so that the places of that order, read once per
content version, come from the index alone: they were a sort of every plan, 108 ms at 100,000 plans, paid by
the first search of each worker after every publication. SQLite needs none (20,000 plans sort in a few
milliseconds). Not declared on the model, like `plan_newest_published` (0008)."""

from django.db import migrations

INDEX = "plan_places_published"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON plans_plan (published_at DESC NULLS FIRST, id) "
            "WHERE status = 'published'"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("plans", "0041_search_text_table")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
