"""Search by stems (plans/search.py, "analysis"): the index holds words analysed in Python.

SQLite: a new FTS5 table whose indexed columns are the analysed words and stems of the title and the body
(both kept unindexed for excerpts). PostgreSQL: same columns, new contents. Both are refilled from the
title, body and language each row already holds, through `search._write` (text in, index rows out), so no
model of today's code is read against a schema of the past."""

from django.db import migrations

SQLITE_TABLE = (
    "CREATE VIRTUAL TABLE {table} USING fts5(title UNINDEXED, body UNINDEXED, "
    "title_words, title_stems, body_words, body_stems, tokenize = 'unicode61 remove_diacritics 0')"
)
OLD_SQLITE_TABLE = (
    "CREATE VIRTUAL TABLE {table} USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2')"
)
CHUNK = 500


def reanalyse(schema_editor, source):
    """Write the analysed row of every plan of `source` (a table of plan id, title, body) into the
    index."""
    from plans import search  # its analysis of plain text: no model involved

    key = "plan_id" if schema_editor.connection.vendor == "postgresql" else "rowid"
    last = -1
    with schema_editor.connection.cursor() as cursor:
        while True:
            cursor.execute(
                f"SELECT s.{key}, s.title, s.body, p.language FROM {source} s "
                f"JOIN plans_plan p ON p.id = s.{key} WHERE s.{key} > %s ORDER BY s.{key} LIMIT {CHUNK}",
                [last],
            )
            rows = cursor.fetchall()
            if not rows:
                return
            search._write([row[0] for row in rows], rows)
            last = rows[-1][0]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("ALTER TABLE plans_searchindex RENAME TO plans_searchindex_old")
        schema_editor.execute(SQLITE_TABLE.format(table="plans_searchindex"))
        reanalyse(schema_editor, "plans_searchindex_old")
        schema_editor.execute("DROP TABLE plans_searchindex_old")
    elif vendor == "postgresql":
        reanalyse(schema_editor, "plans_searchindex")


def backward(apps, schema_editor):
    """Back to the 'simple' configuration of 0003 and 0010."""
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("ALTER TABLE plans_searchindex RENAME TO plans_searchindex_new")
        schema_editor.execute(OLD_SQLITE_TABLE.format(table="plans_searchindex"))
        schema_editor.execute(
            "INSERT INTO plans_searchindex (rowid, title, body) "
            "SELECT rowid, title, body FROM plans_searchindex_new"
        )
        schema_editor.execute("DROP TABLE plans_searchindex_new")
    elif vendor == "postgresql":
        schema_editor.execute(
            "UPDATE plans_searchindex SET "
            "document = setweight(to_tsvector('simple', title), 'A') "
            "|| setweight(to_tsvector('simple', body), 'B'), "
            "ranking = setweight(to_tsvector('simple', title), 'A') "
            "|| setweight(to_tsvector('simple', left(body, 1000)), 'B')"
        )


class Migration(migrations.Migration):
    dependencies = [("plans", "0018_user_preference")]
    operations = [migrations.RunPython(forward, backward)]
