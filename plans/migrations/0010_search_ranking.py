"""PostgreSQL: a small `ranking` vector beside the full `document` (see plans/search.py): title and the first
1,000 characters of the body, so that ranking many matches no longer reads every plan's whole document.
Nothing to do on SQLite (FTS5 ranks with bm25)."""

from django.db import migrations

FORWARD = [
    "ALTER TABLE plans_searchindex ADD COLUMN ranking tsvector NOT NULL DEFAULT ''",
    "UPDATE plans_searchindex SET ranking = setweight(to_tsvector('simple', title), 'A') "
    "|| setweight(to_tsvector('simple', left(body, 1000)), 'B')",
    "ALTER TABLE plans_searchindex ALTER COLUMN ranking DROP DEFAULT",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in FORWARD:
            schema_editor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE plans_searchindex DROP COLUMN ranking")


class Migration(migrations.Migration):
    dependencies = [("plans", "0009_tag_once")]
    operations = [migrations.RunPython(forward, backward)]
