#!/usr/bin/env python3
"""Peak memory of the full open-data downloads (plans/downloads.py) over many plans.

    .venv/bin/python bench/downloads.py                  # 5,000 plans in a scratch SQLite database
    .venv/bin/python bench/downloads.py --plans 20000
    DATABASE_URL=postgres://… .venv/bin/python bench/downloads.py   # an existing database, as it is

Without DATABASE_URL the script uses bench/data/downloads-<N>.sqlite3, migrates it and fills it with
`manage.py bench_generate N` (plans copied from the imported corpus, so answers have real sizes). With
DATABASE_URL it only reads: it never writes to a database it did not create.

Each format is measured in a fresh process (so that memory freed by earlier work cannot hide growth): the
download is requested through Django's test client (the whole middleware stack) and its stream consumed
chunk by chunk without keeping it, twice: once for the time and the peak RSS above what the warmed-up
process held (VmHWM, reset through /proc/self/clear_refs), once under tracemalloc for the peak of Python
allocations. A download that held every plan in memory would show a peak growing with the output size;
a streaming one stays flat. The script exits 1 when a peak exceeds --bound-mb.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "bench" / "data"
FORMATS = ("csv", "json", "geojson", "zip", "xlsx")


def setup(plans: int) -> bool:
    """Configure Django before it loads; returns True when the database is our scratch one."""
    sys.path.insert(0, str(REPO))
    scratch = "DATABASE_URL" not in os.environ
    if scratch:
        DATA.mkdir(parents=True, exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{DATA / f'downloads-{plans}.sqlite3'}"
    # Production-like: with DEBUG on, Django keeps every query in memory, which is not what we measure.
    os.environ.update(
        DEBUG="0",
        SECRET_KEY=os.environ.get("SECRET_KEY", "benchmark-only-secret-key-0123456789-abcdefghijklmnop"),
        ALLOWED_HOSTS="testserver",
        SECURE_SSL_REDIRECT="0",
        LOG_LEVEL="ERROR",
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "acclab.settings")
    import django

    django.setup()
    return scratch


def rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def reset_peak_rss() -> None:
    # Linux: writing 5 resets VmHWM (the peak RSS) to the current RSS, for this process only.
    Path("/proc/self/clear_refs").write_text("5")


def consume(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    size = 0
    for chunk in response.streaming_content:
        size += len(chunk)
    response.close()
    return size


def measure(client, fmt: str, query: str) -> dict:
    from django.http import QueryDict
    from django.urls import reverse

    from plans.downloads import filtered_plans

    url = reverse(f"downloads:{fmt}") + (f"?{query}" if query else "")
    consume(client, reverse(f"downloads:{fmt}") + "?year=1900")  # warm up this format's code path
    gc.collect()
    before = rss_kib("VmRSS")
    reset_peak_rss()
    started = time.perf_counter()
    size = consume(client, url)
    seconds = time.perf_counter() - started
    rss_peak_delta = rss_kib("VmHWM") - before

    gc.collect()
    tracemalloc.start()
    consume(client, url)
    _current, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "format": fmt,
        "plans": filtered_plans(QueryDict(query)).count(),
        "bytes": size,
        "seconds": seconds,
        "traced_peak_mib": traced_peak / 2**20,
        "rss_delta_mib": rss_peak_delta / 1024,
        "rss_peak_mib": rss_kib("VmHWM") / 1024,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plans", type=int, default=5000, help="Published plans wanted (scratch database).")
    parser.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    parser.add_argument("--bound-mb", type=float, default=64.0, help="Fail when a peak exceeds this (MiB).")
    parser.add_argument(
        "--subset",
        default="year=2019",
        help="Query string of a smaller download measured too: its peak should equal the full one's.",
    )
    parser.add_argument("--child", choices=FORMATS, help=argparse.SUPPRESS)
    parser.add_argument("--query", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()

    scratch = setup(args.plans)
    from django.test import Client

    if args.child:
        print(json.dumps(measure(Client(), args.child, args.query)))
        return 0

    from django.core.management import call_command

    from plans.models import Plan

    if scratch:
        call_command("migrate", verbosity=0)
        if Plan.objects.published().count() < args.plans:
            call_command("bench_generate", args.plans)
    published = Plan.objects.published().count()
    print(f"database: {os.environ['DATABASE_URL'].split('@')[-1]}  published plans: {published}")

    rows = []
    for fmt, query in [(fmt, query) for fmt in args.formats for query in (args.subset, "")]:
        child = subprocess.run(
            [sys.executable, __file__, "--child", fmt, "--query", query, "--plans", str(args.plans)],
            env=os.environ,
            capture_output=True,
            text=True,
            check=True,
        )
        rows.append(json.loads(child.stdout.strip().splitlines()[-1]))

    print(
        f"{'format':8} {'plans':>6} {'output MiB':>10} {'seconds':>8} {'tracemalloc peak MiB':>21} "
        f"{'RSS peak +MiB':>14} {'process peak RSS MiB':>21}"
    )
    failed = False
    for row in rows:
        over = max(row["traced_peak_mib"], row["rss_delta_mib"]) > args.bound_mb
        failed |= over
        print(
            f"{row['format']:8} {row['plans']:6} {row['bytes'] / 2**20:10.1f} {row['seconds']:8.1f} "
            f"{row['traced_peak_mib']:21.1f} {row['rss_delta_mib']:14.1f} {row['rss_peak_mib']:21.1f}"
            f"{'  OVER BOUND' if over else ''}"
        )
    verdict = "EXCEEDED" if failed else "ok"
    print(f"bound: {args.bound_mb:.0f} MiB above the warmed-up process, per download -> {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
