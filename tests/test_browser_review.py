"""The review workspace in a real browser (headless Debian Chromium through Playwright): a focal point
changes a live plan through a revision, a reviewer sees what changed and comments on a field and a row,
requests changes, and the author finds the request and the comments at the top of the form."""

import pytest
from playwright.sync_api import expect

from plans.models import Plan, ReviewComment

pytestmark = pytest.mark.browser


def switch_user(page, login, user):
    page.context.clear_cookies()
    return login(user)


def test_it_shows_the_reviewer_what_changed_and_keeps_comments_on_their_rows(
    page, login, live_plan, focal_point, reviewer, artifacts_dir
):
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    change = f"/admin/plans/plan/{live_plan.pk}/change/"

    # The focal point fixes a typo in the live plan and corrects an insight: a revision; the page stays up.
    login(focal_point)
    page.goto(change)
    expect(page.locator("#revision-banner")).to_contain_text("This plan is live.")
    page.fill("#id_title", "Informal waste pickers of Hanoi")
    page.fill("#id_insights-1-text", "Second insight, with its source")
    page.click("input[name=_continue]")
    expect(page.locator("#revision-banner")).to_contain_text("You are editing a revision of a live plan.")
    expect(page.locator(".messagelist")).to_contain_text("Saved as revision 1 of the live plan")
    page.click("button[value=submit_revision]")
    expect(page.locator(".messagelist")).to_contain_text("The revision is now submitted")

    page.context.clear_cookies()
    page.goto(live_plan.get_absolute_url())
    expect(page.locator("h1")).to_have_text("Informal waste pickers")

    # The reviewer sees the changes field by field and row by row.
    switch_user(page, login, reviewer)
    page.goto(f"/admin/plans/plan/{live_plan.pk}/revision/")
    title_row = page.locator("tr.diff-field[data-comment-anchor='field:title']")
    expect(title_row.locator("td.before")).to_have_text("Informal waste pickers")
    expect(title_row.locator("td.after")).to_have_text("Informal waste pickers of Hanoi")
    insight_row = page.locator("#diff-insights tr.diff-row")
    expect(insight_row).to_have_count(1)
    expect(insight_row).to_contain_text("changed")
    expect(insight_row).to_contain_text("Second insight, with its source")

    # Comments on the title and on the insight, each chosen by the button beside it.
    title_row.locator("button.comment-here").click()
    expect(page.locator("#comment-anchor")).to_have_value("field:title")
    page.fill("#comment-body", "Keep the city in the subtitle instead?")
    page.click("#new-comment button[type=submit]")
    expect(page.locator(".messagelist")).to_contain_text("Your comment was added.")
    insight_row.locator("button.comment-here").click()
    page.fill("#comment-body", "Which source? Name it.")
    page.click("#new-comment button[type=submit]")
    threads = page.locator(".comment-thread")
    expect(threads).to_have_count(2)
    expect(threads.nth(0).locator(".comment-anchor")).to_contain_text("Title")
    expect(threads.nth(1).locator(".comment-anchor")).to_contain_text(
        "Key insight 2: Second insight, with its source"
    )
    # The button beside the row counts its open conversation.
    expect(page.locator("#diff-insights button.comment-here")).to_have_text("Comment (1)")
    page.screenshot(path=str(artifacts_dir / "review-revision-diff.png"), full_page=True)

    page.fill("#comment-return_revision", "Please name the source of the second insight.")
    page.click("button[value=return_revision]")
    expect(page.locator(".messagelist")).to_contain_text("Changes are requested")

    # The author cannot miss the request: at the top of the form, above the workflow; the comments follow.
    switch_user(page, login, focal_point)
    page.goto("/admin/plans/plan/")
    expect(page.locator("#result_list")).to_contain_text("Changes requested to the revision.")
    page.goto(change)
    banner = page.locator("#changes-requested")
    expect(banner).to_contain_text("Please name the source of the second insight.")
    assert banner.bounding_box()["y"] < page.locator("#workflow").bounding_box()["y"]
    # The author moves the commented insight to the top; its comment stays on it.
    page.fill("#id_insights-1-text", "Second insight, source: city survey 2023")
    page.locator("#insights-1 .move-up").click()
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("Saved as revision 1 of the live plan")
    thread = page.locator(".comment-thread", has_text="Which source? Name it.")
    expect(thread.locator(".comment-anchor")).to_contain_text("Key insight 1: Second insight, source: city")
    thread.locator("textarea[name=body]").fill("Named it: the city survey of 2023.")
    thread.locator(".reply-form button").click()
    expect(page.locator(".messagelist")).to_contain_text("Your comment was added.")
    thread = page.locator(".comment-thread", has_text="Which source? Name it.")
    expect(thread.locator(".comment.reply")).to_contain_text("Named it")
    thread.locator(".resolve-form button").click()
    expect(page.locator(".comment-thread.resolved")).to_have_count(1)
    page.screenshot(path=str(artifacts_dir / "review-changes-requested.png"), full_page=True)

    comment = ReviewComment.objects.get(body="Which source? Name it.")
    assert comment.resolved_by == focal_point and comment.child == "insights"
    assert str(comment.row_key) == str(live_plan.insights.get(text="Second insight").key)
    live_plan.refresh_from_db()
    assert live_plan.title == "Informal waste pickers" and live_plan.status == Plan.Status.PUBLISHED

    # The same pages in French and Spanish.
    for language, banner_text, diff_heading in (
        (
            "fr",
            "Vous modifiez une révision d'un plan en ligne.",
            "Ce que la révision change dans le plan en ligne",
        ),
        (
            "es",
            "Está editando una revisión de un plan publicado.",
            "Lo que la revisión cambia en el plan publicado",
        ),
    ):
        page.goto(change)
        switcher = page.locator("form[action$='setlang/']")
        switcher.locator("select[name=language]").select_option(language)
        switcher.locator("[type=submit]").click()
        page.goto(change)
        expect(page.locator("#revision-banner")).to_contain_text(banner_text)
        page.goto(f"/admin/plans/plan/{live_plan.pk}/revision/")
        expect(page.locator("h2.diff-heading")).to_have_text(diff_heading)
        page.screenshot(path=str(artifacts_dir / f"review-revision-{language}.png"), full_page=True)
    assert page.console_errors == []
