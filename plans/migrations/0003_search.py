"""The full-text index of plans (see plans/search.py): a tsvector table with a GIN index on PostgreSQL,
an FTS5 virtual table on SQLite. No model: only plans/search.py reads and writes it."""

from django.db import migrations

POSTGRES = [
    """CREATE TABLE plans_searchindex (
        plan_id bigint PRIMARY KEY,
        title text NOT NULL,
        body text NOT NULL,
        document tsvector NOT NULL
    )""",
    "CREATE INDEX plans_searchindex_document ON plans_searchindex USING GIN (document)",
]
SQLITE = [
    "CREATE VIRTUAL TABLE plans_searchindex USING fts5("
    "title, body, tokenize = 'unicode61 remove_diacritics 2')",
]


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = POSTGRES if vendor == "postgresql" else SQLITE if vendor == "sqlite" else []
    for sql in statements:
        schema_editor.execute(sql)
    # Plans that existed before this migration are indexed by `manage.py rebuild_search_index` (that is,
    # `search.rebuild()`) or a re-import; doing it here would run today's model code against a schema of
    # the past.


def drop(apps, schema_editor):
    if schema_editor.connection.vendor in {"postgresql", "sqlite"}:
        schema_editor.execute("DROP TABLE IF EXISTS plans_searchindex")


class Migration(migrations.Migration):
    dependencies = [("plans", "0002_sdgs")]
    operations = [migrations.RunPython(create, drop)]
