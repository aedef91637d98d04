"""The public-page cache is never stale, even with several worker processes.

Two gunicorn servers (one worker each, so each has its own per-process cache) share one SQLite database
file. Each page is cached in both; then a third process publishes, edits, approves a blog link and
withdraws, the way the admin would; after each event both servers must serve the new content at once.
"""

import urllib.error
import urllib.request

import pytest

from tests.servers import gunicorn_servers, manage, server_env

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


def fetch(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=20) as r:
            return r.status, r.read().decode(), r.headers.get("X-Cache", "")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), e.headers.get("X-Cache", "")


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory):
    env = server_env(tmp_path_factory.mktemp("cache") / "db.sqlite3")
    manage(env, "migrate", "--no-input")
    manage(env, "shell", "-c", SETUP)
    with gunicorn_servers(env) as bases:
        yield bases, lambda code: manage(env, "shell", "-c", PRELUDE + code)


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
