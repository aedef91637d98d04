"""The search index's columns compressed with LZ4 on PostgreSQL, where the server has it (14 and newer, built
with lz4, as Debian's and the official images are): TOAST compressed each plan's text and vectors with pglz,
which cost the importer a third of the server's time; LZ4 compresses about as well here at a fraction of the
time, and decompresses faster when a search reads the vectors. Values written before keep their
compression until rewritten (`rebuild_search_index`). Nothing to do on SQLite."""

from django.db import migrations

COLUMNS = ("title", "body", "document", "ranking")


def lz4_available(cursor) -> bool:
    cursor.execute(
        "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)"
    )
    return cursor.fetchone() is not None


def set_compression(schema_editor, method: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        if not lz4_available(cursor):
            return
    columns = ", ".join(f"ALTER COLUMN {column} SET COMPRESSION {method}" for column in COLUMNS)
    schema_editor.execute(f"ALTER TABLE plans_searchindex {columns}")


def forward(apps, schema_editor):
    set_compression(schema_editor, "lz4")


def backward(apps, schema_editor):
    set_compression(schema_editor, "pglz")


class Migration(migrations.Migration):
    dependencies = [("plans", "0024_tag_changes")]
    operations = [migrations.RunPython(forward, backward)]
