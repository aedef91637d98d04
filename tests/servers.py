"""Real gunicorn servers for the tests that need several worker processes, each with its own memory (its
own per-process cache), sharing one SQLite database file: test_cache_multiprocess.py, test_fair_use.py."""

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(database: Path, **extra: str) -> dict[str, str]:
    """The environment of the servers and of the `manage` commands that prepare their database: this
    process's, without its database and cache, and without any .env file (the test suite never reads one)."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        DATABASE_URL=f"sqlite:///{database}", DEBUG="1", DJANGO_SETTINGS_MODULE="acclab.settings", ENV_FILE=""
    )
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str) -> str:
    """Run one management command in `env`; its standard output."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout


def answers_health(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=20) as r:
            return r.status == 200
    except OSError:  # not listening yet, or an HTTP error
        return False


@contextlib.contextmanager
def gunicorn_servers(env: dict[str, str], count: int = 2) -> Iterator[list[str]]:
    """`count` gunicorn servers of one worker each, on free ports; their base URLs once each answers
    /healthz. They are stopped on the way out, even when one fails to start."""
    servers, bases = [], []
    try:
        for _n in range(count):
            port = free_port()
            servers.append(
                subprocess.Popen(
                    [sys.executable, "-m", "gunicorn", "acclab.wsgi", "-w", "1", "-b", f"127.0.0.1:{port}"],
                    cwd=REPO,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            bases.append(f"http://127.0.0.1:{port}")
        for base in bases:
            for _n in range(100):
                if answers_health(base):
                    break
                time.sleep(0.1)
            else:
                pytest.fail(f"{base} did not answer /healthz")
        yield bases
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
