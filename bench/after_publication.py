#!/usr/bin/env python3
"""Issue 18's target after a publication, in process: "the first request of each public page is no slower
than an uncached one, and pages that the change cannot affect (other plans' pages, the API records of other
plans) stay cached".

Each round copies a published plan into a new submitted one, then:
- requests every page below twice (cached), then again with the cache cleared: the page computed afresh
  ("afresh"), nothing else changed;
- requests them twice more (cached again), publishes the new plan through the workflow (`Plan.publish`, as a
  reviewer does: the content version moves, the postings read the plan again), and requests each page once:
  its time and whether the cache answered ("after").
The new plan and the reviewer made for it are deleted at the end. Django's test client, DEBUG=0.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/acclab_bench_100000 \\
        .venv/bin/python bench/after_publication.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
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

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.test import Client  # noqa: E402

from plans.models import Plan  # noqa: E402

COPIED = ("title", "lab", "kind", "form_version", "country", "year", "language", "challenge_statement")


def pages(other: Plan) -> list[tuple[str, str]]:
    """(name, path) of the public pages, with another plan's page and API record, which must stay cached."""
    return [
        ("home", "/"),
        ("list", "/plans/"),
        ("search", "/plans/?q=water"),
        ("statistics", "/stats/"),
        ("map pins", "/map/pins.json"),
        ("feed", "/feeds/plans/"),
        ("another plan's page", f"/plans/{other.slug}/"),
        ("another plan's API record", f"/api/plans/{other.slug}/"),
    ]


def timed(client: Client, path: str) -> tuple[float, str]:
    started = time.perf_counter()
    response = client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{path}: {response.status_code}")
    return elapsed, response.headers.get("X-Cache", "")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    client = Client()
    source, other = Plan.objects.published().order_by("pk")[:2]
    reviewer = get_user_model().objects.create_superuser("bench-after-publication", "bench@example.org", None)
    made: list[Plan] = []
    afresh: dict[str, list[float]] = {}
    after: dict[str, list[float]] = {}
    hits: dict[str, list[str]] = {}
    try:
        for n in range(args.rounds):
            listed = pages(other)
            for _name, path in listed * 2:
                timed(client, path)
            cache.clear()
            for name, path in listed:
                afresh.setdefault(name, []).append(timed(client, path)[0])
            for _name, path in listed * 2:
                timed(client, path)
            fields = {**{f: getattr(source, f) for f in COPIED}, "title": f"{source.title} ({n})"}
            plan = Plan.objects.create(**fields, status=Plan.Status.SUBMITTED)
            made.append(plan)
            plan.publish(by=reviewer)
            for name, path in listed:
                ms, state = timed(client, path)
                after.setdefault(name, []).append(ms)
                hits.setdefault(name, []).append(state)
    finally:
        for plan in made:
            plan.delete()
        reviewer.delete()
    print(f"{Plan.objects.published().count()} published plans, {args.rounds} rounds, median ms")
    print(f"{'page':28} {'afresh':>8} {'after':>8}  cache after the publication")
    for name, _path in pages(other):
        states = ", ".join(sorted(set(hits[name])))
        first, then = statistics.median(afresh[name]), statistics.median(after[name])
        print(f"{name:28} {first:8.1f} {then:8.1f}  {states}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
