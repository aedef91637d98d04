"""Personas and shared fixtures.

Personas: `focal_point` (member of lab A, staff), `other_focal_point` (member of lab B), `reviewer`,
`superuser`, and the anonymous client (`client`). Browser tests use `page` (headless Debian Chromium
driven by Playwright) against pytest-django's `live_server`.
"""

import importlib
import os
import re
import shutil
from pathlib import Path

import pytest
from django.contrib.auth.models import Group

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"
NORMALISE = SHARED / "tools" / "normalise.py"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

needs_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(), reason="../shared/corpus is absent (it exists in CI and on developer machines)"
)


@pytest.fixture
def lab_a(db):
    from plans.models import Lab

    return Lab.objects.create(name="Accelerator Lab Viet Nam", country="Vietnam", iso3="VNM")


@pytest.fixture
def lab_b(db):
    from plans.models import Lab

    return Lab.objects.create(name="Accelerator Lab Peru", country="Peru", iso3="PER")


def _group(name):
    """The role group as the data migration makes it. Transactional tests (live server, browser) flush the
    database afterwards, which removes migration data; Django recreates permissions but not groups."""
    from django.contrib.auth.models import Permission

    group, _created = Group.objects.get_or_create(name=name)
    if not group.permissions.exists():
        roles = importlib.import_module("plans.migrations.0005_roles")
        for app_label, models in roles.GROUPS[name].items():
            for model, actions in models.items():
                group.permissions.add(
                    *Permission.objects.filter(
                        content_type__app_label=app_label, codename__in=[f"{a}_{model}" for a in actions]
                    )
                )
    return group


def _make_user(django_user_model, username, *, staff=True, groups=(), superuser=False):
    if superuser:
        return django_user_model.objects.create_superuser(username, f"{username}@example.org", "pw")
    user = django_user_model.objects.create_user(username, f"{username}@example.org", "pw", is_staff=staff)
    for g in groups:
        user.groups.add(_group(g))
    return user


@pytest.fixture
def focal_point(django_user_model, lab_a):
    user = _make_user(django_user_model, "alice", groups=["Focal points"])
    lab_a.members.add(user)
    return user


@pytest.fixture
def other_focal_point(django_user_model, lab_b):
    user = _make_user(django_user_model, "bob", groups=["Focal points"])
    lab_b.members.add(user)
    return user


@pytest.fixture
def reviewer(django_user_model):
    return _make_user(django_user_model, "rita", groups=["Reviewers"])


@pytest.fixture
def superuser(django_user_model):
    return _make_user(django_user_model, "root", superuser=True)


@pytest.fixture
def second_reviewer(django_user_model):
    """Another reviewer: one who did not claim the review."""
    return _make_user(django_user_model, "sam", groups=["Reviewers"])


@pytest.fixture
def as_persona(client, user_of):
    """Sign the test client in as the persona named (nobody for "anonymous"); the persona's user."""

    def login(persona):
        user = user_of(persona)
        if persona != "anonymous":
            client.force_login(user)
        return user

    return login


# What a complete plan holds at least: what `Plan.submit` requires of its kind (plans/completeness.py).
COMPLETE_CHALLENGE = "Our challenge is that fixture plans need a challenge statement."
COMPLETE_QUESTION = "What does a fixture plan need before it is submitted?"
COMPLETE_INSIGHT = "A fixture plan needs at least one key insight."


def make_complete(plan):
    """Give `plan` what `Plan.submit` requires of its kind, where it lacks it: a challenge statement and a
    learning question (opening plan), a key insight (closing report); both for a hybrid plan."""
    from plans import completeness

    if plan.kind in completeness.OPENING_KINDS:
        if not plan.challenge_statement.strip():
            plan.challenge_statement = COMPLETE_CHALLENGE
            plan.save(update_fields=["challenge_statement"])
        if not plan.learning_questions.exists():
            plan.learning_questions.create(question=COMPLETE_QUESTION, stages=["sense"])
    if plan.kind in completeness.CLOSING_KINDS and not plan.insights.exists():
        plan.insights.create(text=COMPLETE_INSIGHT)
    return plan


@pytest.fixture
def user_of(request, db):
    """The persona named ("focal_point", …, "anonymous" for an AnonymousUser)."""

    def get(persona):
        from django.contrib.auth.models import AnonymousUser

        return AnonymousUser() if persona == "anonymous" else request.getfixturevalue(persona)

    return get


@pytest.fixture
def plan_factory(db, lab_a):
    """Make a plan with sensible defaults: `plan_factory(title=…, status=…, lab=…)`. A draft is complete (it
    may be submitted: `make_complete`) unless `complete=False` asks for an empty one; a plan of another
    status only when `complete=True` asks for it (published fixtures hold exactly what their tests give)."""
    from plans.models import Plan

    counter = {"n": 0}

    def make(complete=None, **kwargs):
        counter["n"] += 1
        kwargs.setdefault("title", f"Plan {counter['n']}")
        kwargs.setdefault("lab", lab_a)
        kwargs.setdefault("country", kwargs["lab"].country if kwargs["lab"] else "")
        kwargs.setdefault("year", 2023)
        plan = Plan.objects.create(**kwargs)
        if complete is None:
            complete = plan.status == Plan.Status.DRAFT
        return make_complete(plan) if complete else plan

    return make


@pytest.fixture
def live_plan(plan_factory):
    """A complete, published opening plan of lab A (challenge, a learning question, insights, a partner, a
    method): what its focal point changes through a revision (plans/revisions.py)."""
    from plans.models import Insight, LearningQuestion, Partnership, Plan

    plan = plan_factory(
        title="Informal waste pickers",
        status=Plan.Status.PUBLISHED,
        challenge_statement="How might waste pickers earn more?",
        kind=Plan.Kind.OPENING,
        form_version=Plan.FormVersion.OPENING,
    )
    plan.published_at = plan.created_at
    plan.save()
    LearningQuestion.objects.create(plan=plan, position=0, question="Who buys the plastic?")
    for n, text in enumerate(["First insight", "Second insight"]):
        Insight.objects.create(plan=plan, position=n, text=text)
    Partnership.objects.create(plan=plan, position=0, name="City of Hanoi")
    plan.methods.add("Ethnography")
    return Plan.objects.get(pk=plan.pk)


# ---------------------------------------------------------------- real browser

CHROMIUM = shutil.which("chromium")


def pytest_collection_finish(session):
    """Refuse to start when browser tests are selected and Chromium is missing, before anything runs; without
    them (`./test -m "not browser"`) the suite needs no browser."""
    if CHROMIUM is None and any(
        item.get_closest_marker("browser") or "_browser" in getattr(item, "fixturenames", ())
        for item in session.items
    ):
        raise pytest.UsageError(
            "browser tests need Debian's chromium: apt-get install -y chromium (.ci/run does it), "
            'or leave them out with -m "not browser"'
        )


def _serve_one_request_at_a_time() -> None:
    """The live server answers one request at a time. On SQLite the tests' in-memory database has one
    connection, which the server's threads share with the test: a change form's parallel requests (its
    heartbeat, its tag suggestions, the world map) used it at once, and SQLite answered "bad parameter
    or other API misuse" (once in a full run). Django's single-threaded server closes each connection
    after its response, so the browser's requests simply queue."""
    from django.core.servers.basehttp import WSGIServer
    from django.test.testcases import LiveServerThread

    class OneAtATime(WSGIServer):
        def __init__(self, *args, connections_override=None, **kwargs):
            super().__init__(*args, **kwargs)  # the server's thread uses the overridden connections

    LiveServerThread.server_class = OneAtATime


_serve_one_request_at_a_time()


@pytest.fixture(scope="session")
def _browser():
    # Playwright's sync API keeps an event loop running in this thread; Django's ORM calls made by the
    # test itself (fixtures, assertions) are still synchronous and safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=20_000)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(_browser, live_server):
    context = _browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    # Generous timeouts: CI shares two cores between the browser, the live server and the database.
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
    yield page
    context.close()


@pytest.fixture
def login(page):
    """Log `user` into the browser page through the admin login form (password "pw")."""

    def do(user):
        page.goto("/admin/login/")
        page.fill("#id_username", user.get_username())
        page.fill("#id_password", "pw")
        page.click("input[type=submit]")
        return page

    return do


ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture
def artifacts_dir():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: test databases are reset between tests, so content versions
    repeat, and a page cached by one test must not be served in the next (nor the facet bitmaps a process
    keeps per content version)."""
    from django.core.cache import cache, caches

    from plans import postings

    cache.clear()
    caches["fragments"].clear()  # the site's header and footer: a test may change the URLs they link
    postings.forget()
    yield
    cache.clear()
    caches["fragments"].clear()
    postings.forget()


@pytest.fixture(autouse=True)
def _language_reset():
    """Each test starts in the site's language: a request that activated a person's remembered language
    (plans.i18n.chosen_language) leaves it active in the thread, and the next test's management commands
    would then report in French or Spanish."""
    from django.utils import translation

    yield
    translation.deactivate()


def whole_sitemap(client) -> str:
    """The sitemap index (/sitemap.xml) and every page it lists, as one text."""
    index = client.get("/sitemap.xml")
    assert index.status_code == 200
    pages = re.findall(r"<loc>http://testserver(/[^<]+)</loc>", index.content.decode())
    assert pages, "the index lists no sitemap page"
    texts = [index.content.decode()]
    for page in pages:
        response = client.get(page.replace("&amp;", "&"))
        assert response.status_code == 200, page
        texts.append(response.content.decode())
    return "\n".join(texts)
