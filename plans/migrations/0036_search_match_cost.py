"""PostgreSQL: tell the planner what matching a tsvector costs, so that a search of a common word reads the
GIN index instead of every row.

The planner costs `tsvector @@ tsquery` (`ts_match_vq`) as a cheap operator, without counting that each test
first decompresses the plan's whole vector out of TOAST (2.2 GB at 100,000 plans). For a word in most plans
it therefore read every row: "development" (77 % of 100,000 plans) took 3.2 s that way against 0.13 s
through the index, whose matches of words need no recheck (only phrases do). Costing the function at 200
operators (what decompressing a 12 KB vector is worth next to a comparison) makes the index the cheaper
plan. The setting belongs to this database only (pg_proc is per database) and changes no result.

Altering a built-in function needs a superuser (or its owner): without one the migration leaves the cost
as it was, searches stay correct and common words slow, and says so (README: "PostgreSQL"). Nothing to do
on SQLite (FTS5 always reads its own index)."""

import sys

from django.db import DatabaseError, migrations, transaction

FUNCTION = "ts_match_vq(tsvector, tsquery)"


def set_cost(schema_editor, cost: int) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):  # a savepoint: a refusal is no error
            schema_editor.execute(f"ALTER FUNCTION {FUNCTION} COST {cost}")
    except DatabaseError as exc:
        sys.stderr.write(f"\n  Could not set the cost of {FUNCTION} ({exc}); run as a superuser:\n")
        sys.stderr.write(f"  ALTER FUNCTION {FUNCTION} COST {cost};\n")


def forward(apps, schema_editor):
    set_cost(schema_editor, 200)


def backward(apps, schema_editor):
    set_cost(schema_editor, 1)


class Migration(migrations.Migration):
    dependencies = [("plans", "0035_plan_lz4")]
    operations = [migrations.RunPython(forward, backward)]
