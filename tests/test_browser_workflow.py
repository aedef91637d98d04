"""The editorial workflow end to end in a real browser (headless Debian Chromium through Playwright)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from plans.models import BlogLink, Plan

pytestmark = pytest.mark.browser


def switch_user(page, login, user):
    page.context.clear_cookies()
    return login(user)


def open_plan(page, plan):
    page.goto(f"/admin/plans/plan/{plan.pk}/change/")


def add_blog_link(page, url, title):
    page.click("#add-blog-link")
    page.fill("#id_url", url)
    page.fill("#id_title", title)
    page.click("input[name=_save]")
    expect(page.locator("#workflow")).to_contain_text(title)


def test_it_takes_a_closing_report_from_draft_to_the_public_site(
    page, login, focal_point, reviewer, lab_a, artifacts_dir, plan_factory
):
    older = timezone.now() - timedelta(days=30)
    for title in ("Street vendors of Lagos", "Pickers of glass in Quito", "Solar kiosks"):
        plan_factory(title=title, status=Plan.Status.PUBLISHED, published_at=older, complete=True)
    # The site has no favicon yet (not this test's subject); keep its 404 out of the console errors.
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    # A focal point writes a closing report with two blog links and submits it.
    login(focal_point)
    page.goto("/admin/plans/plan/")
    page.click("#new-closing-report")
    page.fill("#id_title", "Waste pickers of Hanoi")
    expect(page.locator("#id_lab")).to_have_value(str(lab_a.pk))  # the focal point's one lab
    page.fill("#id_year", "2024")
    page.fill("#id_why_data", "Nobody counted informal recyclers.")
    page.click("input[name=_continue]")
    expect(page.locator("#workflow")).to_contain_text("Draft")
    plan = Plan.objects.get(title="Waste pickers of Hanoi")
    add_blog_link(page, "https://example.org/good-post", "What waste pickers taught us")
    add_blog_link(page, "https://example.org/spam", "Unrelated advert")
    expect(page.locator(".pending-links")).to_have_text("2 blog links pending approval")
    # A closing report without a key insight has nothing to review: submitting it is refused, saying why.
    page.click("button[value=submit]")
    expect(page.locator(".messagelist")).to_contain_text("A closing report needs at least one key insight")
    page.locator("#insights-group .add-row a").click()
    page.fill("#id_insights-0-text", "Waste pickers sort more plastic than the city collects.")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    page.click("button[value=submit]")
    expect(page.locator(".messagelist")).to_contain_text("The plan is now submitted")

    # The reviewer finds it in the review queue and returns it with a comment.
    switch_user(page, login, reviewer)
    page.goto("/admin/plans/plan/review-queue/")
    page.click("text=Waste pickers of Hanoi")
    page.fill("#comment-return", "Please say which data you used.")
    page.click("button[value=return]")
    expect(page.locator(".messagelist")).to_contain_text("The plan is now a draft again")

    # The focal point reads the comment, fixes the plan and submits it again.
    switch_user(page, login, focal_point)
    open_plan(page, plan)
    expect(page.locator("#timeline")).to_contain_text("Please say which data you used.")
    page.fill("#id_why_data", "Nobody counted informal recyclers; we used a phone survey of 300 pickers.")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    page.click("button[value=submit]")
    expect(page.locator(".messagelist")).to_contain_text("The plan is now submitted")
    expect(page.locator("#id_why_data")).to_have_count(0)  # read-only for its authors now

    # Readers listed the plans and searched before: what the site keeps of the list, the order and the
    # matches, is patched by the publication below, not read again.
    page.context.clear_cookies()
    page.goto("/plans/")
    page.goto("/plans/?q=pickers")

    # The reviewer approves one link, rejects the other with a note, and publishes.
    switch_user(page, login, reviewer)
    page.goto("/admin/plans/bloglink/?status__exact=pending")
    good = BlogLink.objects.get(title="What waste pickers taught us")
    spam = BlogLink.objects.get(title="Unrelated advert")
    page.click(f"button[formaction='/admin/plans/bloglink/{good.pk}/approve/']")
    expect(page.locator(".messagelist")).to_contain_text("Approved")
    page.click(f"a[href='/admin/plans/bloglink/{spam.pk}/reject/']")
    page.fill("#id_note", "Advertising, not about the plan.")
    page.click("input[type=submit][value=Reject]")
    expect(page.locator(".messagelist")).to_contain_text("Rejected 1 blog link")
    open_plan(page, plan)
    page.click("button[value=publish]")
    expect(page.locator(".messagelist")).to_contain_text("The plan is now published")

    # The focal point sees the outcome of each link.
    switch_user(page, login, focal_point)
    open_plan(page, plan)
    outcomes = page.locator(".blog-link-outcomes")
    expect(outcomes).to_contain_text("Approved")
    expect(outcomes).to_contain_text("Rejected: Advertising, not about the plan.")

    # An anonymous visitor sees the plan with the approved link only.
    page.context.clear_cookies()
    plan.refresh_from_db()
    page.goto(f"/plans/{plan.slug}/")
    expect(page.locator("h1")).to_contain_text("Waste pickers of Hanoi")
    expect(page.get_by_role("link", name="What waste pickers taught us")).to_be_visible()
    expect(page.get_by_text("Unrelated advert")).to_have_count(0)
    expect(page.locator("body")).to_contain_text(re.compile("phone survey of 300 pickers"))
    page.screenshot(path=str(artifacts_dir / "workflow-published-plan.png"), full_page=True)
    page.goto("/plans/")  # the newest first
    expect(page.locator(".plan-card__title").first).to_contain_text("Waste pickers of Hanoi")
    page.goto("/plans/?q=pickers")
    expect(page.locator(".plan-card__title")).to_have_count(2)
    expect(page.locator(".plan-card__title", has_text="Waste pickers of Hanoi")).to_have_count(1)
    page.screenshot(path=str(artifacts_dir / "workflow-published-plan-searched.png"), full_page=True)
    assert page.console_errors == []
