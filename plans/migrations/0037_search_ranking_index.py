"""PostgreSQL: a GIN index on the search index's `ranking` vector, so that a search ranks by reading only the
vectors of the matches that hold one of its words (plans/search.py, `search()`): the others all take the
same rank without being read. Nothing to do on SQLite (FTS5 ranks from its own index)."""

from django.db import migrations


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE INDEX plans_searchindex_ranking ON plans_searchindex USING GIN (ranking)")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX plans_searchindex_ranking")


class Migration(migrations.Migration):
    dependencies = [("plans", "0036_search_match_cost")]
    operations = [migrations.RunPython(forward, backward)]
