"""PostgreSQL only: `plan_newest_published` (0008: the list's default order over published plans) also holds
the plan columns that filters compare (year, kind, language, country code), so that the ids of a filtered
list's first 1,001 plans (`filters.ListPaginator`) are read from the index alone. Without them each index
entry led to the plan's row, a page of the table each: at 100,000 plans a method and a year's ids read
17,000 rows (62 ms warm, 188 ms cold). The index grows from about 3 to 4 MB. SQLite: nothing, as in 0008."""

from django.db import migrations

INDEX = "plan_newest_published"
ORDER = "plans_plan (published_at DESC NULLS LAST, id DESC)"
PUBLISHED = "WHERE status = 'published'"


def rebuild(schema_editor, include: str) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
        schema_editor.execute(f"CREATE INDEX {INDEX} ON {ORDER} {include} {PUBLISHED}")


def covering(apps, schema_editor):
    rebuild(schema_editor, "INCLUDE (year, kind, language, country_code)")


def plain(apps, schema_editor):
    rebuild(schema_editor, "")


class Migration(migrations.Migration):
    dependencies = [("plans", "0037_search_ranking_index")]

    operations = [migrations.RunPython(covering, plain, elidable=False)]
