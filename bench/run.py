#!/usr/bin/env python3
"""Serve AccLab Plans with gunicorn (production settings) and measure it with wrk. See bench/README.md.

    .venv/bin/python bench/run.py --db sqlite --plans 10000
    .venv/bin/python bench/run.py --db postgres --plans 100000

Prints one table: requests/s at 64 connections, p50/p99 latency at 2 connections (one per worker, so
that the figure is service time, not queueing), errors, and each page's ratio to the /healthz floor
measured in the same run; then the peak memory of each worker.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PY = str(REPO / ".venv" / "bin" / "python")
DATA = REPO / "bench" / "data"


def environment(db: str, plans: int, database: str = "") -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DEBUG="0",
        SECRET_KEY="benchmark-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        LOG_LEVEL="ERROR",
        # wrk sends everything from one address: at the published anonymous limit (60/minute) the API rows
        # would measure 429 answers. The throttle still counts every request, so its cost is measured.
        API_ANON_RATE="1000000/second",
    )
    if db == "sqlite":
        DATA.mkdir(parents=True, exist_ok=True)
        env["DATABASE_URL"] = f"sqlite:///{DATA / f'bench-{plans}.sqlite3'}"
    else:
        database = database or f"acclab_bench_{plans}"
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{database}"
        subprocess.run(
            ["createdb", "-h", "127.0.0.1", "-U", "postgres", database],
            capture_output=True,
            check=False,
        )
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=REPO, env=env, check=True)


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:  # loopback only
        return response.read().decode()


def wait_until_up(base: str, proc: subprocess.Popen) -> None:
    for _ in range(100):
        if proc.poll() is not None:
            raise SystemExit("gunicorn exited during start-up")
        try:
            if '"database": "ok"' in get(base + "/healthz"):  # JSON since 77937da
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer /healthz")


def wait_until_idle(base: str, limit: float = 300.0) -> None:
    """Wait until the workers have served what wrk left queued: after a 64-connection run of a slow page,
    gunicorn still works through the backlog (a minute or more at a second a request), which the next row
    would otherwise measure. Idle = /healthz answers in under 20 ms three times in a row."""
    deadline, fast = time.monotonic() + limit, 0
    while fast < 3 and time.monotonic() < deadline:
        started = time.monotonic()
        try:
            get(base + "/healthz")
        except OSError:  # still queued behind the backlog after 30 s
            fast = 0
            continue
        fast = fast + 1 if time.monotonic() - started < 0.02 else 0
        time.sleep(0.2)


# The page cache keys a page on the parameters it reads (plans/cache.py), so an ignored parameter no longer
# makes a miss. Each kind of row below varies what the page reads instead, so that every request computes
# its page afresh:
# - "page": a random page number, `page=1` to 10^9, on a list: numbers past the end show the last page
#   (Paginator.get_page), computed for its new key; the facet counts, keyed without `page`, come from their
#   own cache, as for any page of a popular list;
# - "stale-language": the stats page asked for every language the plans are in (the same plans) and one
#   random language that no plan is in (ignored: stale facet values select nothing, plans/filters.py):
#   figures and facet counts are computed afresh too;
# - "slugs": a plan drawn at random from every published plan (a detail page reads no parameter): each
#   worker's cache (LocMem, 300 entries) holds few of them, so nearly every request is a miss;
# - "new-words": one of 300 words taken from plan titles, with a random page number: the page is always
#   computed, its facets the first time a worker meets the word (later from the facet cache).
RANDOM_PARAMETER = """
request = function()
  local sep = string.find(wrk.path, "?", 1, true) and "&" or "?"
  return wrk.format(nil, wrk.path .. sep .. "{NAME}=" .. math.random({LOW}, {HIGH}))
end
"""
FROM_LIST = """
local items = {ITEMS}
request = function()
  local item = items[math.random(1, #items)]
  return wrk.format(nil, "{PREFIX}" .. item .. "{SUFFIX}")
end
"""
WORDS: list[str] = []
SLUGS: list[str] = []
BILLION = 10**9


def script(kind: str) -> str:
    if kind == "page":
        return RANDOM_PARAMETER.format(NAME="page", LOW=1, HIGH=BILLION)
    if kind == "stale-language":
        return RANDOM_PARAMETER.format(NAME="language", LOW=1, HIGH=BILLION)
    items, prefix, suffix = {
        "slugs": (SLUGS, "/plans/", "/"),
        "new-words": (WORDS, "/plans/?q=", '&page=" .. math.random(1, 1000000000) .. "'),
    }[kind]
    listed = "{" + ", ".join(f'"{item}"' for item in items) + "}"
    return FROM_LIST.replace("{ITEMS}", listed).replace("{PREFIX}", prefix).replace("{SUFFIX}", suffix)


# wrk's --latency prints the 50th, 75th, 90th and 99th percentiles; the targets name the 95th too.
P95 = """
done = function(summary, latency, requests)
  io.write(string.format("p95 %d\\n", latency:percentile(95)))
end
"""


def lua(kind: str) -> list[str]:
    """The wrk script for a row of this kind (for a cached row, the p95 only)."""
    path = DATA / f"{kind}.lua"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text((script(kind) if kind != "cached" else "") + P95)
    return ["-s", str(path)]


def wrk(url: str, connections: int, seconds: int, kind: str = "cached") -> dict[str, float]:
    script = lua(kind)
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", *script, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def latency(label: str) -> float:
        m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return float("nan")
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    p95 = re.search(r"^p95 (\d+)$", out, re.M)  # microseconds, from the script's done()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = sum(
        int(n) for n in re.findall(r"(?:Non-2xx or 3xx responses:|timeout|read|write|connect) (\d+)", out)
    )
    return {
        "rps": rps,
        "p50": latency("50"),
        "p95": int(p95.group(1)) / 1000 if p95 else float("nan"),
        "p99": latency("99"),
        "errors": errors,
    }


def pick_urls(base: str, env: dict[str, str]) -> list[tuple[str, str, str]]:
    """(row, path, kind of row) with real values from the generated data: a popular method, a year, a plan,
    the languages plans are in, 300 words of titles, every published plan's slug (for the uncached rows)."""
    code = (
        "from plans.models import Plan, MethodTag\n"
        "from django.db.models import Count\n"
        "m = MethodTag.objects.annotate(n=Count('tagged_items')).order_by('-n').first()\n"
        "p = Plan.objects.published().order_by('pk').first()\n"
        "print(m.slug if m else ''); print(p.slug); print(p.year or 2022)\n"
        "languages = set(Plan.objects.published().values_list('language', flat=True))\n"
        "print(' '.join(sorted(languages)))\n"
        "print(' '.join(Plan.objects.published().values_list('slug', flat=True)))\n"
        "import random, re\n"
        "titles = Plan.objects.published().exclude(source_file='').values_list('title', flat=True)\n"
        "words = sorted({w.lower() for t in titles for w in re.findall(r'[A-Za-z]{5,}', t)})\n"
        "print(' '.join(random.Random(7).sample(words, min(300, len(words)))))\n"
    )
    out = subprocess.run(
        [PY, "manage.py", "shell", "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    method, slug, year, languages = (line.strip() for line in out[-6:-2])
    SLUGS[:] = out[-2].split()
    WORDS[:] = out[-1].split()
    every_language = "&".join(f"language={code}" for code in languages.split())
    return [
        ("floor /healthz", "/healthz", "cached"),
        ("home /", "/", "cached"),
        ("list /plans/", "/plans/", "cached"),
        ("list filtered", f"/plans/?methods={method}&year={year}", "cached"),
        ("search /plans/?q=", "/plans/?q=waste+management", "cached"),
        ("detail", f"/plans/{slug}/", "cached"),
        ("map /map/", "/map/", "cached"),
        ("stats /stats/", "/stats/", "cached"),
        ("API /api/plans/", "/api/plans/", "cached"),
        ("list (uncached)", "/plans/", "page"),
        ("filtered (uncached)", f"/plans/?methods={method}&year={year}", "page"),
        ("search (uncached)", "/plans/?q=waste+management", "page"),
        ("search, 300 words", "/plans/", "new-words"),
        ("detail (uncached)", "/plans/", "slugs"),
        ("stats (uncached)", f"/stats/?{every_language}", "stale-language"),
    ]


def worker_peak_rss_mb(master: int) -> list[float]:
    peaks = []
    for child in Path(f"/proc/{master}/task/{master}/children").read_text().split():
        status = Path(f"/proc/{child}/status").read_text()
        peaks.append(int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024)
    return peaks


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--plans", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--database", default="", help="PostgreSQL database (default: acclab_bench_PLANS)")
    parser.add_argument("--rows", default="", help="only rows whose name holds one of these (a,b,…)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    env = environment(args.db, args.plans, args.database)
    manage(env, "migrate", "--no-input", "-v0")
    manage(env, "collectstatic", "--no-input", "-v0")
    manage(env, "bench_generate", str(args.plans))
    base = f"http://127.0.0.1:{args.port}"
    proc = subprocess.Popen(
        [
            PY,
            "-m",
            "gunicorn",
            "acclab.wsgi",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--log-level",
            "warning",
        ],
        cwd=REPO,
        env=env,
    )
    try:
        wait_until_up(base, proc)
        # /healthz answered from one worker; the other may still be starting (its start-up showed as a
        # 200 ms p99 of the floor in an earlier run). Both are busy after a short run at 4 connections.
        wrk(base + "/healthz", 4, 3)
        rows = []
        wanted = [w for w in args.rows.split(",") if w]
        for name, path, kind in pick_urls(base, env):
            if wanted and not name.startswith("floor") and not any(w in name for w in wanted):
                continue
            # Warm the page in both workers, as visitors before us would have (each worker has its own
            # cache without REDIS_URL); not counted.
            wrk(base + path, 4, 2, kind)
            time.sleep(1)
            # Latency first: after a 64-connection run the workers still drain its queued requests, which
            # would show up as the next run's p99.
            latency = wrk(base + path, 2, max(3, args.seconds // 2), kind)
            throughput = wrk(base + path, 64, args.seconds, kind)
            wait_until_idle(base)
            rows.append((name, path, throughput, latency))
        floor = rows[0][2]["rps"]
        print(
            f"\n{args.db}, {args.plans} plans, gunicorn 2 sync workers, wrk -c64 for req/s, -c2 for latency"
        )
        print(f"{'page':<22}{'req/s':>9}{'ratio':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
        for name, _path, t, lat in rows:
            print(
                f"{name:<22}{t['rps']:>9.0f}{t['rps'] / floor:>8.0%}{lat['p50']:>9.1f}{lat['p95']:>9.1f}"
                f"{lat['p99']:>9.1f}{t['errors'] + lat['errors']:>8}"
            )
        peaks = worker_peak_rss_mb(proc.pid)
        print("worker peak memory (VmHWM): " + ", ".join(f"{p:.0f} MB" for p in peaks))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
