"""Import the corpus into fresh databases and print wall-clock plans/s and CPU seconds, for comparing trees.

    .venv/bin/python bench/import_cpu.py --db postgres --runs 3 TREE [TREE …]

Each TREE is a checkout of the project (the current one: `.`); runs alternate between the trees, so that on
a shared machine each sees the same load. A run imports `../shared/corpus` (or `--corpus`) with
`bench_import` into a database cloned from a freshly migrated template (PostgreSQL: `CREATE DATABASE …
TEMPLATE`, `--name` and `--name`_tplN on 127.0.0.1; SQLite: a copied file), one template per tree migrated
by that tree's own migrations, and prints plans/s as
`bench_import` measures it, and CPU seconds (user + system, from the import's start to its end): the
importer process's, its child processes' (the reading ahead) and, on PostgreSQL, the server backend's (from
/proc), with the load average. Wall clock depends on what else the machine runs; CPU seconds much less.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PG = "postgres://postgres@127.0.0.1:5432/"

# Run inside the tree's Django: the CPU of the import only (not of start-up), and the backend's from /proc.
DRIVER = r"""
import io, os, resource, sys, django
django.setup()
from django.core.management import call_command
from django.db import connection

def backend():
    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as c:
        c.execute("SELECT pg_backend_pid()")
        pid = c.fetchone()[0]
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

def own(who=resource.RUSAGE_SELF):
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime

b0, o0, c0 = backend(), own(), own(resource.RUSAGE_CHILDREN)
out = io.StringIO()
call_command("bench_import", sys.argv[1], stdout=out)
o1, c1, b1 = own(), own(resource.RUSAGE_CHILDREN), backend()
o, c, b = o1 - o0, c1 - c0, b1 - b0
print(out.getvalue().strip(), f"| cpu {o:.2f} + {c:.2f} + {b:.2f} = {o + c + b:.2f} s", flush=True)
"""


def psql(sql: str) -> None:
    subprocess.run(["psql", "-q", "-X", PG + "postgres", "-c", sql], check=True, capture_output=True)


def migrate(tree: Path, url: str) -> None:
    env = dict(os.environ, DATABASE_URL=url)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"],
        cwd=tree,
        env=env,
        check=True,
        capture_output=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("trees", nargs="+", type=Path)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--name", default="acclab_bench_import", help="PostgreSQL database name")
    parser.add_argument(
        "--corpus", default=str(Path(__file__).resolve().parent.parent.parent / "shared/corpus")
    )
    args = parser.parse_args()
    trees = [t.resolve() for t in args.trees]
    scratch = Path(tempfile.mkdtemp(prefix="import-cpu-"))
    templates = [f"{args.name}_tpl{n}" for n in range(len(trees))]
    try:
        for tree, template in zip(trees, templates, strict=True):  # each tree's own migrations
            if args.db == "postgres":
                psql(f"DROP DATABASE IF EXISTS {template}")
                psql(f"CREATE DATABASE {template}")
                migrate(tree, PG + template)
            else:
                migrate(tree, f"sqlite:///{scratch / template}.sqlite3")
        for run in range(args.runs):
            for tree, template in zip(trees, templates, strict=True):
                if args.db == "postgres":
                    psql(f"DROP DATABASE IF EXISTS {args.name}")
                    psql(f"CREATE DATABASE {args.name} TEMPLATE {template}")
                    url = PG + args.name
                else:
                    db = scratch / "run.sqlite3"
                    for suffix in ("", "-wal", "-shm"):
                        Path(f"{db}{suffix}").unlink(missing_ok=True)
                    shutil.copy(scratch / f"{template}.sqlite3", db)
                    url = f"sqlite:///{db}"
                load = Path("/proc/loadavg").read_text().split()[0]
                env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="acclab.settings")
                done = subprocess.run(
                    [sys.executable, "-c", DRIVER, args.corpus],
                    cwd=tree,
                    env=env,
                    capture_output=True,
                    text=True,
                )
                line = done.stdout.strip() or done.stderr.strip().splitlines()[-1]
                print(f"run {run + 1} {tree.name:>12} load {load}: {line}", flush=True)
    finally:
        shutil.rmtree(scratch)
        if args.db == "postgres":
            for name in (args.name, *templates):
                psql(f"DROP DATABASE IF EXISTS {name}")


if __name__ == "__main__":
    main()
