"""The public-page cache is never stale, even with several worker processes.

Two gunicorn servers (one worker each, so each has its own per-process cache) share one SQLite database
file. Each page is cached in both; then a third process publishes, edits, approves a blog link and
withdraws, the way the admin would; after each event both servers must serve the new content at once.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from tests.conftest import REPO

SETUP = """
from django.contrib.auth import get_user_model
from plans.models import Lab, Plan, BlogLink
root = get_user_model().objects.create_superuser("root", "root@example.org", "pw")
lab = Lab.objects.create(name="Accelerator Lab Peru", country="Peru")
# Complete plans (plans/completeness.py): a challenge statement and a learning question.
a = Plan.objects.create(title="Alpha plan", slug="alpha", lab=lab, challenge_statement="Water.")
a.learning_questions.create(question="Who buys water?")
a.submit(by=root); a.publish(by=root)
BlogLink.objects.create(plan=a, url="https://example.org/alpha-blog", title="Alpha blog")
b = Plan.objects.create(title="Beta plan", slug="beta", lab=lab, challenge_statement="Air.")
b.learning_questions.create(question="Who breathes?")
b.submit(by=root)
"""

EVENTS = {
    "publish": "p = Plan.objects.get(slug='beta'); p.publish(by=root)",
    "edit": "p = Plan.objects.get(slug='alpha'); p.title = 'Alpha renamed'; p.save()",
    "approve": "BlogLink.objects.get(title='Alpha blog').approve(by=root)",
    "withdraw": "p = Plan.objects.get(slug='alpha'); p.withdraw(by=root, reason='duplicate')",
}
PRELUDE = (
    "from django.contrib.auth import get_user_model\nfrom plans.models import Plan, BlogLink\n"
    "root = get_user_model().objects.get(username='root')\n"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=20) as r:
            return r.status, r.read().decode(), r.headers.get("X-Cache", "")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), e.headers.get("X-Cache", "")


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory):
    db = tmp_path_factory.mktemp("cache") / "db.sqlite3"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(DATABASE_URL=f"sqlite:///{db}", DEBUG="1", DJANGO_SETTINGS_MODULE="acclab.settings")

    def manage(*args):
        subprocess.run(
            [sys.executable, "manage.py", *args], cwd=REPO, env=env, check=True, capture_output=True
        )

    manage("migrate", "--no-input")
    manage("shell", "-c", SETUP)
    servers, bases = [], []
    try:  # the servers are stopped even when one fails to start
        for _ in range(2):
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
            for _ in range(100):
                try:
                    if fetch(base + "/healthz")[0] == 200:
                        break
                except OSError:
                    pass
                time.sleep(0.1)
            else:
                pytest.fail(f"{base} did not answer /healthz")
        yield bases, lambda code: manage("shell", "-c", PRELUDE + code)
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)


def warm(bases, path):
    """Cache `path` in both servers and prove that the second request was served from the cache."""
    for base in bases:
        fetch(base + path)
        assert fetch(base + path)[2] == "hit", f"{base}{path} is not cached"


def test_it_never_serves_a_stale_page_after_publish_edit_approve_or_withdraw(two_servers):
    bases, run = two_servers

    warm(bases, "/plans/")
    assert all("Beta plan" not in fetch(b + "/plans/")[1] for b in bases)
    run(EVENTS["publish"])
    assert all("Beta plan" in fetch(b + "/plans/")[1] for b in bases)

    warm(bases, "/plans/alpha/")
    run(EVENTS["edit"])
    assert all("Alpha renamed" in fetch(b + "/plans/alpha/")[1] for b in bases)

    warm(bases, "/plans/alpha/")
    assert all("alpha-blog" not in fetch(b + "/plans/alpha/")[1] for b in bases)
    run(EVENTS["approve"])
    assert all("https://example.org/alpha-blog" in fetch(b + "/plans/alpha/")[1] for b in bases)

    warm(bases, "/plans/alpha/")
    warm(bases, "/plans/")
    run(EVENTS["withdraw"])
    assert all(fetch(b + "/plans/alpha/")[0] == 404 for b in bases)
    assert all("Alpha renamed" not in fetch(b + "/plans/")[1] for b in bases)
