"""Issue 14's "fix what was seen", over HTTP: the history breadcrumb names "Plans"; the blog-link review list
shows its buttons beside the link; a reviewer approves or rejects a link from its plan's own page and comes
back to it; the time split labels itself with what fits. The layouts are measured in
tests/test_browser_seen_fixes.py."""

import re

import pytest
from django.urls import reverse

from plans.models import BlogLink, Plan


def test_it_names_plans_in_the_history_breadcrumb(client, plan_factory, focal_point):
    plan = plan_factory(title="Cleaner markets")
    client.force_login(focal_point)
    body = client.get(reverse("admin:plans_plan_history", args=[plan.pk])).content.decode()
    crumbs = body[body.index('class="breadcrumbs"') : body.index("</div>", body.index('class="breadcrumbs"'))]
    changelist = reverse("admin:plans_plan_changelist")
    assert re.search(rf'<a href="{changelist}">\s*Plans\s*</a>', crumbs), crumbs
    assert "› ›" not in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", crumbs))


def test_it_puts_the_review_buttons_beside_the_link(client, plan_factory, reviewer):
    plan_factory().blog_links.create(url="https://example.org/post", title="A post")
    client.force_login(reviewer)
    response = client.get(reverse("admin:plans_bloglink_changelist") + "?status__exact=pending")
    headers = re.findall(r'<th scope="col" class="[^"]*column-(\w+)', response.content.decode())
    assert headers[:3] == ["link", "review_buttons", "plan"]
    assert "reviewed_by" not in headers  # nobody has reviewed a pending link: no empty columns
    everything = client.get(reverse("admin:plans_bloglink_changelist")).content.decode()
    assert "column-reviewed_by" in everything and "css/admin_review.css" in everything


@pytest.fixture
def pending(plan_factory):
    plan = plan_factory(status=Plan.Status.PUBLISHED)
    return plan.blog_links.create(url="https://example.org/post", title="What the market taught us")


def test_it_lets_a_reviewer_approve_a_link_from_its_plans_page(client, pending, reviewer):
    client.force_login(reviewer)
    page = reverse("admin:plans_plan_change", args=[pending.plan_id])
    body = client.get(page).content.decode()
    approve = reverse("admin:plans_bloglink_approve", args=[pending.pk])
    assert f'action="{approve}"' in body and f'name="next" value="{page}"' in body
    response = client.post(approve, {"next": page})
    assert response.status_code == 302 and response["Location"] == page
    pending.refresh_from_db()
    assert pending.status == BlogLink.Status.APPROVED
    body = client.get(page).content.decode()
    assert f'action="{approve}"' not in body  # approved: only "Reject…" is left
    assert reverse("admin:plans_bloglink_reject", args=[pending.pk]) in body


def test_it_lets_a_reviewer_reject_a_link_from_its_plans_page(client, pending, reviewer):
    client.force_login(reviewer)
    page = reverse("admin:plans_plan_change", args=[pending.plan_id])
    reject = reverse("admin:plans_bloglink_reject", args=[pending.pk]) + f"?next={page}"
    assert f'href="{reject}"' in client.get(page).content.decode()
    response = client.post(reject, {"note": "Off topic."})
    assert response.status_code == 302 and response["Location"] == page
    pending.refresh_from_db()
    assert (pending.status, pending.review_note) == (BlogLink.Status.REJECTED, "Off topic.")


def test_it_goes_back_only_to_an_address_of_this_site(client, pending, reviewer):
    client.force_login(reviewer)
    approve = reverse("admin:plans_bloglink_approve", args=[pending.pk])
    response = client.post(approve, {"next": "https://evil.example/admin/"})
    assert response["Location"] == reverse("admin:plans_bloglink_changelist") + "?status__exact=pending"


def test_it_shows_no_review_buttons_to_the_authors(client, pending, focal_point):
    client.force_login(focal_point)
    body = client.get(reverse("admin:plans_plan_change", args=[pending.plan_id])).content.decode()
    assert reverse("admin:plans_bloglink_approve", args=[pending.pk]) not in body
    assert "What the market taught us" in body  # the outcome is still listed


def test_it_offers_the_time_split_label_and_the_bare_figure(client, plan_factory):
    plan = plan_factory(
        status=Plan.Status.PUBLISHED,
        kind="closing",
        form_version="closing_v1",
        time_sense=5,
        time_explore=15,
        time_test=50,
        time_grow=30,
    )
    body = client.get(plan.get_absolute_url()).content.decode()
    bar = body[body.index('class="time-split"') : body.index("</div>", body.index('class="time-split"'))]
    assert '<span class="time-split__label">Sense 5%</span><span class="time-split__short">5%</span>' in bar
