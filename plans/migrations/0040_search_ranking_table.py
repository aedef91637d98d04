"""PostgreSQL: the search's ranking vectors move from `plans_searchindex` to a narrow table of their own,
`plans_searchranking`, where each is stored in its row (STORAGE MAIN) rather than out of line
(plans/search.py, RANKING_TABLE, says what it saves). Its index is RUM where the extension is installed
(migration 0039), GIN otherwise, as 0039 left it. The dropped column's old values stay in
plans_searchindex's TOAST until its rows are written again (migration 0041 rewrites them). Nothing to do
on SQLite."""

from importlib import import_module

from django.db import migrations

TABLE, INDEX = "plans_searchranking", "plans_searchranking_ranking"
OLD_INDEX = "plans_searchindex_ranking"


def has_rum(cursor) -> bool:
    cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'rum'")
    return cursor.fetchone() is not None


# Whether the server compresses with LZ4, as migration 0025 asks (one test, not a copy of it).
lz4 = import_module("plans.migrations.0025_search_lz4").lz4_available


def compress(cursor, table: str, *columns: str) -> None:
    """Compress these columns with LZ4 where the server has it, as the index's others (migration 0025)."""
    if lz4(cursor):
        changes = ", ".join(f"ALTER COLUMN {column} SET COMPRESSION lz4" for column in columns)
        cursor.execute(f"ALTER TABLE {table} {changes}")


def index_ranking(cursor, name: str, table: str) -> None:
    """The ranking vectors' index, of the kind migration 0039 made: RUM with the extension, else GIN."""
    method = "rum (ranking rum_tsvector_ops)" if has_rum(cursor) else "GIN (ranking)"
    cursor.execute(f"CREATE INDEX {name} ON {table} USING {method}")


def forward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {TABLE} (plan_id bigint PRIMARY KEY, ranking tsvector NOT NULL)")
        cursor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN ranking SET STORAGE MAIN")
        compress(cursor, TABLE, "ranking")
        cursor.execute(
            f"INSERT INTO {TABLE} (plan_id, ranking) SELECT plan_id, ranking FROM plans_searchindex"
        )
        cursor.execute(f"DROP INDEX IF EXISTS {OLD_INDEX}")
        cursor.execute("ALTER TABLE plans_searchindex DROP COLUMN ranking")
        index_ranking(cursor, INDEX, TABLE)
        cursor.execute(f"ANALYZE {TABLE}")


def backward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE plans_searchindex ADD COLUMN ranking tsvector NOT NULL DEFAULT ''")
        cursor.execute("ALTER TABLE plans_searchindex ALTER COLUMN ranking DROP DEFAULT")
        compress(cursor, "plans_searchindex", "ranking")
        cursor.execute(
            f"UPDATE plans_searchindex s SET ranking = r.ranking FROM {TABLE} r WHERE r.plan_id = s.plan_id"
        )
        cursor.execute(f"DROP TABLE {TABLE}")
        index_ranking(cursor, OLD_INDEX, "plans_searchindex")


class Migration(migrations.Migration):
    dependencies = [("plans", "0039_search_ranking_rum")]
    operations = [migrations.RunPython(forward, backward)]
