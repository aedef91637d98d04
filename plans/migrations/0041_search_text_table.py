"""PostgreSQL: the search index's titles and bodies, which excerpts are cut from, move to a table of their
own, `plans_searchtext`, so that `plans_searchindex` holds only each plan's document vector
(plans/search.py, TEXT_TABLE, says what it saves). The index's table is then rewritten in plan order
(CLUSTER), which also gives back the space of the columns this migration and 0040 dropped. Nothing to do
on SQLite."""

from importlib import import_module

from django.db import migrations

TABLE = "plans_searchtext"


# LZ4 where the server has it, as migration 0040 compresses (one way, not a copy of it).
compress = import_module("plans.migrations.0040_search_ranking_table").compress


def forward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {TABLE} (plan_id bigint PRIMARY KEY, title text NOT NULL, body text NOT NULL)"
        )
        compress(cursor, TABLE, "title", "body")
        cursor.execute(
            f"INSERT INTO {TABLE} (plan_id, title, body) SELECT plan_id, title, body FROM plans_searchindex"
        )
        cursor.execute("ALTER TABLE plans_searchindex DROP COLUMN title, DROP COLUMN body")
        cursor.execute("CLUSTER plans_searchindex USING plans_searchindex_pkey")
        cursor.execute(f"ANALYZE {TABLE}")
        cursor.execute("ANALYZE plans_searchindex")


def backward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE plans_searchindex ADD COLUMN title text NOT NULL DEFAULT '', "
            "ADD COLUMN body text NOT NULL DEFAULT ''"
        )
        cursor.execute(
            "ALTER TABLE plans_searchindex ALTER COLUMN title DROP DEFAULT, ALTER COLUMN body DROP DEFAULT"
        )
        compress(cursor, "plans_searchindex", "title", "body")
        cursor.execute(
            f"UPDATE plans_searchindex s SET title = t.title, body = t.body FROM {TABLE} t "
            "WHERE t.plan_id = s.plan_id"
        )
        cursor.execute(f"DROP TABLE {TABLE}")


class Migration(migrations.Migration):
    dependencies = [("plans", "0040_search_ranking_table")]
    operations = [migrations.RunPython(forward, backward)]
