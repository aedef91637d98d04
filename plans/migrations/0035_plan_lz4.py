"""A plan's text and JSON columns compressed with LZ4 on PostgreSQL, where the server has it, as the search
index's are (0025): TOAST compressed each plan's answers, their clean HTML and its archive layout with pglz,
a third of the server's time in writing the plans of an import (0.29 -> 0.18 CPU s for the corpus). Values
written before keep their compression until rewritten. Nothing to do on SQLite."""

import importlib

from django.db import migrations

lz4_available = importlib.import_module("plans.migrations.0025_search_lz4").lz4_available


def set_compression(schema_editor, method: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        if not lz4_available(cursor):
            return
        cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = 'plans_plan' AND data_type IN ('text', 'jsonb') ORDER BY ordinal_position"
        )
        columns = [row[0] for row in cursor.fetchall()]
    quote = schema_editor.quote_name
    alter = ", ".join(f"ALTER COLUMN {quote(column)} SET COMPRESSION {method}" for column in columns)
    schema_editor.execute(f"ALTER TABLE plans_plan {alter}")


def forward(apps, schema_editor):
    set_compression(schema_editor, "lz4")


def backward(apps, schema_editor):
    set_compression(schema_editor, "pglz")


class Migration(migrations.Migration):
    dependencies = [("plans", "0034_review_revisions_and_expiry")]
    operations = [migrations.RunPython(forward, backward)]
