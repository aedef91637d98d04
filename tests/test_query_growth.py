"""No N+1 on the admin and public pages that list things: each page is counted with 2 of everything it lists,
then with 10, and must make exactly as many queries both times. (The absolute ceilings stay in test_admin,
test_public_list and test_public_pages; these tests catch a query per row, whatever the ceiling.)"""

import re
from collections import Counter
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from plans import comments, dashboard, revisions, search
from plans.models import SDG, BlogLink, Plan


def queries(client, url: str) -> list[str]:
    """The SQL of one uncached GET of `url` (asked twice: the first fills per-process caches)."""
    client.get(url)
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return [q["sql"] for q in captured.captured_queries]


def shape(sql: str) -> str:
    return re.sub(r"'[^']*'|\b\d+\b", "?", sql)


def assert_same_count(url: str, small: list[str], large: list[str]):
    more = Counter(map(shape, large)) - Counter(map(shape, small))
    assert len(large) == len(small), f"{url}: {len(small)} -> {len(large)} queries; more of: {dict(more)}"


@pytest.fixture
def grow(plan_factory, focal_point, reviewer):
    """`grow(n)` brings lab A to n plans in each state, each with n rows of each kind, tags, a pending and an
    approved blog link; the published ones with a submitted revision carrying n comments."""
    made = {"n": 0}
    sdgs = list(SDG.objects.order_by("number")[:3])

    def add_rows(plan, start, n):
        for i in range(start, n):
            plan.insights.create(text=f"Insight {i}", position=i)
            plan.barriers.create(text=f"Barrier {i}", position=i)
            plan.learning_questions.create(question=f"Question {i}?", position=i, stages=["sense"])
            plan.partnerships.create(name=f"Partner {i}", position=i, sector="government")
            plan.evidence.create(text=f"Evidence {i}", position=i, kind="quantitative")
            plan.blog_links.create(url=f"https://example.org/{plan.pk}/{i}", title=f"Post {i}")
            plan.methods.add(f"Method {i}")
            plan.datasources.add(f"Source {i}")
            plan.thematic_areas.add(f"Theme {i}")
        plan.sdgs.add(*sdgs)

    def make(n):
        now = timezone.now()
        with search.batch():
            for i in range(made["n"], n):
                for status in Plan.Status:
                    plan = plan_factory(
                        title=f"{status.label} {i}",
                        status=status,
                        complete=True,
                        country="Peru" if i % 2 else "Vietnam",
                        latitude=-12.0 + i,
                        longitude=-77.0 + i,
                        published_at=now if status != Plan.Status.DRAFT else None,
                    )
                    add_rows(plan, 0, 2)
                    for link in plan.blog_links.all()[:1]:
                        link.approve(by=reviewer)
                    if status == Plan.Status.SUBMITTED:
                        if i % 2:
                            plan.claim(by=reviewer)
                        else:
                            plan.schedule(by=reviewer, publish_at=now + timedelta(days=1))
                    if status == Plan.Status.PUBLISHED:
                        content = revisions.snapshot(plan)
                        content["fields"]["title"] = f"Revised {i}"
                        revisions.save_content(plan, content, by=focal_point)
            made["n"] = n
        # The first published plan and the first draft hold n rows of each kind and n comments.
        for title in ("Published 0", "Draft 0"):
            plan = Plan.objects.get(title=title)
            add_rows(plan, plan.insights.count(), n)
            revision = plan.pending_revision
            if revision is not None:  # the revision holds the rows too: it changes the title only
                content = revisions.snapshot(plan)
                content["fields"]["title"] = revision.content["fields"]["title"]
                revision = revisions.save_content(plan, content, by=focal_point)
            for i in range(plan.comments.count(), n):
                comments.add(plan, reviewer, f"Comment {i}", anchor="field:title", revision=revision)

    return make


@pytest.fixture(autouse=True)
def _full_dashboard(monkeypatch):
    """Each list of the dashboard shows its first rows and counts the rest with one query more: with one
    row shown, every list is full at both sizes and that query is made both times."""
    monkeypatch.setattr(dashboard, "SHOWN", 1)


def measured(client, grow, urls):
    """The queries of each URL with 2 of everything, then with 10."""
    grow(2)
    small = {url(): queries(client, url()) for url in urls}
    grow(10)
    return [(url(), small[url()], queries(client, url())) for url in urls]


def plan_url(name, title, *extra):
    return lambda: reverse(name, args=[Plan.objects.get(title=title).pk, *extra])


# ---------------------------------------------------------------- admin


@pytest.mark.parametrize("persona", ["superuser", "reviewer", "focal_point"])
def test_the_admin_plan_list_and_home_make_as_many_queries_for_10_rows_as_for_2(
    persona, client, user_of, grow
):
    client.force_login(user_of(persona))
    urls = [
        lambda: reverse("admin:plans_plan_changelist"),
        lambda: reverse("admin:plans_plan_changelist") + "?status__exact=submitted",
        lambda: reverse("admin:index"),  # the dashboard
        lambda: reverse("admin:plans_bloglink_changelist"),
    ]
    if persona != "focal_point":
        urls.append(lambda: reverse("admin:plans_plan_review_queue"))
    for url, small, large in measured(client, grow, urls):
        assert_same_count(url, small, large)


@pytest.mark.parametrize("persona", ["superuser", "reviewer", "focal_point"])
def test_the_admin_change_form_and_revision_page_make_as_many_queries_for_10_rows_as_for_2(
    persona, client, user_of, grow
):
    client.force_login(user_of(persona))
    urls = [
        plan_url("admin:plans_plan_change", "Draft 0"),
        plan_url("admin:plans_plan_revision", "Published 0"),
        plan_url("admin:plans_plan_history", "Published 0"),
    ]
    if persona == "reviewer":  # its authors and superusers see the pending revision's form: the next test
        urls.append(plan_url("admin:plans_plan_change", "Published 0"))
    for url, small, large in measured(client, grow, urls):
        assert_same_count(url, small, large)


@pytest.mark.parametrize("persona", ["focal_point", "superuser"])
def test_the_revision_form_writes_each_row_once_and_indexes_the_plan_once(persona, client, user_of, grow):
    """A published plan's form shows its revision: the rows hold the revision for the request (rolled back,
    plans/admin/review.sandbox) and `revisions.apply` writes every row. What each row costs is its own
    UPDATE and two receivers of that save (the plan's modified date, the public cache's version); the
    search index is rebuilt once for the whole plan (it was rebuilt after every row: 16 queries a row), and
    the rights of the form's inlines are asked of the database once (they were asked again for each row)."""
    client.force_login(user_of(persona))
    url = plan_url("admin:plans_plan_change", "Published 0")
    [(_url, small, large)] = measured(client, grow, [url])
    rows = 8 * 5  # eight more rows of each of the five revised kinds
    assert len(large) - len(small) <= 3 * rows + 5, f"{len(small)} -> {len(large)} queries"


def test_the_tag_lists_make_as_many_queries_for_10_tags_as_for_2(client, reviewer, grow):
    client.force_login(reviewer)
    urls = [
        lambda: reverse("admin:plans_methodtag_changelist"),
        lambda: reverse("admin:plans_thematicareatag_changelist"),
        lambda: reverse("admin:plans_methodtag_suggest") + "?q=meth",
    ]
    for url, small, large in measured(client, grow, urls):
        assert_same_count(url, small, large)


# ---------------------------------------------------------------- public


@pytest.mark.parametrize("prefix", ["", "/fr", "/es"])
def test_the_public_list_map_and_detail_make_as_many_queries_for_10_rows_as_for_2(client, grow, prefix):
    urls = [
        lambda: f"{prefix}/plans/",
        lambda: f"{prefix}/plans/?methods=method-1&sort=title",
        lambda: f"{prefix}/map/",
        lambda: f"{prefix}/plans/{Plan.objects.get(title='Published 0').slug}/",
        lambda: f"{prefix}/stats/values/methods/?country=PER",  # a facet's every value
    ]
    for url, small, large in measured(client, grow, urls):
        assert_same_count(url, small, large)
    assert BlogLink.objects.filter(status=BlogLink.Status.APPROVED).exists()  # the detail lists some
