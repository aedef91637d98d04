#!/usr/bin/env python3
"""Print `EXPLAIN (ANALYZE, BUFFERS)` of the queries that the list, a search and a filtered list run, with
cold caches, on the database of DATABASE_URL (PostgreSQL). The queries are the app's own: each page is
requested through Django's test client and its SQL captured, so the file stays true when the code changes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/acclab_bench_100000 \\
        .venv/bin/python bench/explain.py > bench/explain-postgres-100k.txt
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "acclab.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from plans.models import MethodTag, Plan  # noqa: E402

SLOW_MS = 5.0  # other queries faster than this (20 rows' SDGs, tag names, the content version) are left out


def pages() -> list[str]:
    method = MethodTag.objects.annotate(n=Count("tagged_items")).order_by("-n").first()
    year = Plan.objects.published().order_by("pk").values_list("year", flat=True).first() or 2022
    return ["/plans/", "/plans/?q=waste+management", f"/plans/?methods={method.slug}&year={year}"]


def describe(sql: str) -> str:
    """What a captured query is for, from its shape."""
    if sql.startswith('SELECT COUNT(*) AS "__count"'):
        return "count for the paginator"
    if sql.startswith("WITH m "):
        return "facet counts, every facet in one query (filters.tallies)"
    if "GROUP BY" in sql:
        table = sql.split(" FROM ", 1)[1].split()[0].strip('"')
        column = sql.split("SELECT ", 1)[1].split(" AS ", 1)[0]
        return f"facet counts, {column} over {table}"
    if sql.startswith('SELECT "plans_plan"."id"') and "LIMIT 20" in sql:
        return "first page"
    return "query"


def main() -> int:
    if connection.vendor != "postgresql":
        raise SystemExit("EXPLAIN (ANALYZE, BUFFERS) needs PostgreSQL: set DATABASE_URL")
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        version = cursor.fetchone()[0]
    plans = Plan.objects.published().count()
    print(f"# EXPLAIN (ANALYZE, BUFFERS) at {plans} published plans, made by bench/explain.py")
    print(f"# {version}")
    print(f"# Each page's first page and count, and its other queries slower than {SLOW_MS:g} ms, on a cold")
    print("# page cache; second run of each page (warm buffers).\n")
    client = Client()
    for path in pages():
        for _ in range(2):  # the second run reads warm buffers, as a busy server would
            cache.clear()
            with CaptureQueriesContext(connection) as captured:
                assert client.get(path).status_code == 200
        for query in captured.captured_queries:
            what, took = describe(query["sql"]), float(query["time"]) * 1000
            if took < SLOW_MS and what not in {"first page", "count for the paginator"}:
                continue
            print(f"\n### {path}: {what} ({took:.0f} ms in the page)\n")
            print(f"-- SQL: {query['sql']}\n")
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query['sql']}")
                print("\n".join(row[0] for row in cursor.fetchall()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
