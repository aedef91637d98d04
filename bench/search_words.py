#!/usr/bin/env python3
"""Time issue 18's "search, 300 words" requests in process: the runner's words (bench/run.py's choice: words
of 5 letters or more of the real plans' titles, `random.Random(7)`), each `/plans/?q=WORD&page=<past the
end>` through Django's test client with the cache cleared before each request, so that the page, its count
and its facets are all computed. Prints each word's matches and milliseconds (the whole request, and the SQL
of the page, the count and the facets), then the mean and percentiles.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/acclab_bench_100000 \\
        .venv/bin/python bench/search_words.py [--words 60] [--rounds 1]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "acclab.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from plans import search  # noqa: E402
from plans.models import Plan  # noqa: E402


def words(n: int) -> list[str]:
    titles = Plan.objects.published().exclude(source_file="").values_list("title", flat=True)
    every = sorted({w.lower() for t in titles for w in re.findall(r"[A-Za-z]{5,}", t)})
    return random.Random(7).sample(every, min(300, len(every)))[:n]


def kind(sql: str) -> str:
    if sql.startswith("WITH m "):
        return "facets"
    if sql.startswith("SELECT COUNT(*)"):
        return "count"
    if "search_rank" in sql and "LIMIT" in sql:
        return "page"
    return "other"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--words", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    client = Client()
    chosen = words(args.words)
    published = Plan.objects.published()
    totals = []
    print(f"{'word':<18} {'matches':>8} {'total':>7} {'page':>7} {'count':>7} {'facets':>7} {'other':>7}")
    for _ in range(args.rounds):
        for word in chosen:
            matches = search.search(published, word).count()
            cache.clear()
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                response = client.get(f"/plans/?q={word}&page=999999999")
                total = (time.perf_counter() - start) * 1000
            assert response.status_code == 200, response.status_code
            spent = dict.fromkeys(("page", "count", "facets", "other"), 0.0)
            for q in queries.captured_queries:
                spent[kind(q["sql"])] += float(q["time"]) * 1000
            totals.append(total)
            print(f"{word:<18} {matches:>8} {total:>7.0f} " + " ".join(f"{v:>7.0f}" for v in spent.values()))
    totals.sort()
    pick = lambda p: totals[min(len(totals) - 1, int(p * len(totals)))]  # noqa: E731
    print(
        f"{len(totals)} requests: mean {statistics.mean(totals):.0f} ms, p50 {pick(0.5):.0f}, "
        f"p95 {pick(0.95):.0f}, p99 {pick(0.99):.0f}; load {os.getloadavg()[0]:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
