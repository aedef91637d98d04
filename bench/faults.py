#!/usr/bin/env python3
"""Serve AccLab Plans under steady load and break what it depends on. See bench/README.md.

    .venv/bin/python bench/faults.py            # about three minutes, then it cleans up

Everything runs on loopback in a temporary folder: its own PostgreSQL cluster (initdb, a free port) and
its own redis-server (a free port, no persistence), never the shared servers; gunicorn with 2 workers and
production settings (DEBUG=0) in front of them, seeded with a few hundred plans. Client threads (urllib,
127.0.0.1 only, bounded in number, rate and time) request public pages, the API and /healthz while the
script, one phase after another: does nothing, stops PostgreSQL for 10 s, stops Redis for 10 s, kills a
gunicorn worker. For each phase it prints the requests, the answers by status (or connection error), and
the recovery time: from the moment the fault ends (the server is back, the worker killed) to the last
failed request of the phase.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PY = str(REPO / ".venv" / "bin" / "python")
PG_BIN = Path("/usr/lib/postgresql/15/bin")
OUTAGE = 10.0  # seconds each dependency stays down
AFTER = 15.0  # seconds of load after each fault ends, in which recovery is measured
BASELINE = 10.0
THREADS = 4
PAUSE = 0.05  # between two requests of one thread: at most ~80 requests/s in all
TIMEOUT = 10.0  # per request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_postgres_user() -> list[str]:
    # initdb and postgres refuse to run as root; CI and these machines run as root.
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


class Cluster:
    """A throw-away PostgreSQL cluster in `folder`, listening on 127.0.0.1:`port` only."""

    def __init__(self, folder: Path, port: int):
        self.data, self.port, self.log = folder / "pg", port, folder / "pg.log"
        folder.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(folder, "postgres")
        self._run(
            PG_BIN / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"
        )

    def _run(self, *command) -> None:
        subprocess.run([*as_postgres_user(), *map(str, command)], check=True, capture_output=True)

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data} -c fsync=off"
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-l", self.log, "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")


class Redis:
    def __init__(self, port: int):
        self.port, self.proc = port, None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        for _ in range(50):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.1)
        raise SystemExit("redis-server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


@dataclass
class Load:
    """Client threads requesting `paths` in turn until `stop` is set; every answer is recorded as
    (time, status, seconds taken), the status being the HTTP code (a 503 without `Retry-After` says so) or
    the name of the connection error."""

    base: str
    paths: list[str]
    records: list[tuple[float, str, float]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    limit: int = 50_000  # requests in all, whatever happens to the clock

    def run(self, n: int) -> None:
        lock = threading.Lock()

        def client(offset: int) -> None:
            i = offset
            while not self.stop.is_set() and len(self.records) < self.limit:
                url = self.base + self.paths[i % len(self.paths)]
                i += 1
                started = time.monotonic()
                try:
                    with urllib.request.urlopen(url, timeout=TIMEOUT) as response:  # loopback only
                        response.read()
                        status = str(response.status)
                except urllib.error.HTTPError as exc:
                    status = str(exc.code)
                    if exc.code == 503 and not exc.headers.get("Retry-After"):
                        status += " without Retry-After"
                except (OSError, urllib.error.URLError) as exc:
                    status = type(getattr(exc, "reason", exc)).__name__
                with lock:
                    self.records.append((time.monotonic(), status, time.monotonic() - started))
                time.sleep(PAUSE)

        self.threads = [threading.Thread(target=client, args=(k * 7,), daemon=True) for k in range(n)]
        for thread in self.threads:
            thread.start()

    def join(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=TIMEOUT + 5)


def ok(status: str) -> bool:
    return status.isdigit() and int(status) < 400


@dataclass
class Phase:
    name: str
    start: float
    fault_ends: float = 0.0
    end: float = 0.0

    def report(self, records: list[tuple[float, str, float]]) -> str:
        during = [r for r in records if self.start <= r[0] < self.fault_ends]
        after = [r for r in records if self.fault_ends <= r[0] < self.end]
        failed_after = [t for t, s, _seconds in after if not ok(s)]
        recovery = f"{max(failed_after) - self.fault_ends:.1f} s" if failed_after else "0 s"

        def answers(rows) -> str:
            if not rows:
                return "-"
            counts = ", ".join(f"{s}: {n}" for s, n in sorted(Counter(s for _t, s, _d in rows).items()))
            return f"{counts} (median {statistics.median(d for _t, _s, d in rows) * 1000:.0f} ms)"

        return (
            f"{self.name:<22}{len(during) + len(after):>9}   {recovery:>9}   during: {answers(during)}; "
            f"after: {answers(after)}"
        )


def workers(master: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{master}/task/{master}/children").read_text().split()]


def wait_for(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # loopback only
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} did not answer 200 in {seconds:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--plans", type=int, default=200, help="published plans to seed (default 200)")
    args = parser.parse_args()
    for tool in (PG_BIN / "initdb", Path(shutil.which("redis-server") or "/nonexistent")):
        if not tool.exists():
            raise SystemExit(f"{tool} is missing (apt-get install postgresql-15 redis-server)")

    folder = Path(tempfile.mkdtemp(prefix="acclab-faults-"))
    folder.chmod(0o755)  # the cluster's own folder inside belongs to the postgres user
    pg_port, redis_port, web_port = free_port(), free_port(), free_port()
    cluster, redis, web = None, Redis(redis_port), None
    try:
        cluster = Cluster(folder / "cluster", pg_port)
        cluster.start()
        redis.start()
        env = {
            **os.environ,
            "DEBUG": "0",
            "SECRET_KEY": "faults-bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{pg_port}/postgres",
            "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "STATIC_ROOT": str(folder / "static"),
            "MEDIA_ROOT": str(folder / "media"),
            "LOG_LEVEL": "CRITICAL",
        }

        def manage(*command: str) -> None:
            subprocess.run([PY, "manage.py", *command], cwd=REPO, env=env, check=True, capture_output=True)

        print(f"PostgreSQL on 127.0.0.1:{pg_port}, Redis on :{redis_port}, data in {folder}", flush=True)
        manage("migrate", "--no-input", "-v0")
        manage("collectstatic", "--no-input", "-v0")
        manage("bench_generate", str(args.plans), "--source", str(REPO / "seeds"))
        log = (folder / "gunicorn.log").open("w")
        web = subprocess.Popen(
            [PY, "-m", "gunicorn", "acclab.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{web_port}"]
            + ["--timeout", "30", "--log-level", "critical"],
            cwd=REPO,
            env=env,
            start_new_session=True,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{web_port}"
        wait_for(base + "/healthz", 60)
        with urllib.request.urlopen(base + "/api/plans/?page_size=10", timeout=30) as response:  # loopback
            slugs = [plan["slug"] for plan in json.load(response)["results"]]
        paths = ["/healthz", "/", "/plans/", "/api/plans/", "/plans/?q=water", "/api/tags/methods/"]
        paths += [f"/plans/{slug}/" for slug in slugs[:4]] + [f"/api/plans/{slug}/" for slug in slugs[4:8]]

        load = Load(base, paths)
        print(
            f"gunicorn (2 workers) on :{web_port}; {THREADS} client threads over {len(paths)} URLs",
            flush=True,
        )
        load.run(THREADS)
        phases = []

        def phase(name: str, fault, restore, outage: float) -> None:
            current = Phase(name, time.monotonic())
            phases.append(current)
            fault()
            time.sleep(outage)
            restore()
            current.fault_ends = time.monotonic()
            time.sleep(AFTER)
            current.end = time.monotonic()
            print(f"  {name} done", flush=True)

        phase("baseline", lambda: None, lambda: None, BASELINE)
        phase("PostgreSQL down 10 s", cluster.stop, cluster.start, OUTAGE)
        phase("Redis down 10 s", redis.stop, redis.start, OUTAGE)
        phase("a worker killed", lambda: os.kill(workers(web.pid)[0], signal.SIGKILL), lambda: None, 0)
        load.join()

        print(
            f"\n{'phase':<22}{'requests':>9}   {'recovery':>9}   answers (status: count) during the fault, "
            f"and in the {AFTER:.0f} s after it"
        )
        for current in phases:
            print(current.report(load.records))
        print("recovery: from the end of the fault to the last failed request (0 s: none failed after it)")
        errors = Counter(
            re.findall(r"^([\w.]+(?:Error|Exception)): ", (folder / "gunicorn.log").read_text(), re.M)
        )
        print(
            "exceptions logged by the workers: "
            + (", ".join(f"{e}: {n}" for e, n in errors.most_common(6)) or "none")
        )
    finally:
        if web and web.poll() is None:
            os.killpg(web.pid, signal.SIGTERM)
            web.wait(timeout=30)
        redis.stop()
        if cluster:
            try:
                cluster.stop("immediate")
            except subprocess.CalledProcessError:
                pass  # already stopped
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
