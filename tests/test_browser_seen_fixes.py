"""Issue 14's layout fixes measured in Chromium (Playwright, Debian's chromium): the statistics tables keep
their words whole at 375 px, the time-split bar shows no clipped label at 375 and 1280 px in three
languages, the blog-link review buttons are in view at 1280 px, and the history breadcrumb names "Plans".
Screenshots go to test-artifacts/."""

import pytest
from django.utils import timezone

from plans.models import Plan

pytestmark = pytest.mark.browser

# Every word of every cell of the statistics tables on one line (a Range over each word has one box).
BROKEN_WORDS = """() => {
  const broken = [];
  for (const cell of document.querySelectorAll('.bar-table th, .bar-table td')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const m of node.data.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        if (lines.size > 1) broken.push(m[0]);
      }
    }
  }
  return broken;
}"""

# Each label the time-split bar shows lies wholly inside its share: [label, part's width, label's width].
CLIPPED_LABELS = """() => [...document.querySelectorAll('.time-split__part')].flatMap(part => {
  const p = part.getBoundingClientRect();
  return [...part.children].filter(s => getComputedStyle(s).display !== 'none').map(s => {
    const r = s.getBoundingClientRect();
    const inside = r.left >= p.left - 0.5 && r.right <= p.right + 0.5;
    return [s.textContent, Math.round(p.width), Math.round(r.width), inside];
  });
})"""


@pytest.fixture
def closing_report(plan_factory):
    return plan_factory(
        title="Markets, closing report",
        status=Plan.Status.PUBLISHED,
        published_at=timezone.now(),
        kind="closing",
        form_version="closing_v1",
        time_sense=14,
        time_explore=13,
        time_test=48,
        time_grow=25,
        year=2021,
    )


def test_it_keeps_the_statistics_words_whole_at_375_px(page, closing_report, plan_factory, artifacts_dir):
    plan_factory(title="Hybrid", kind="hybrid", status="published", published_at=timezone.now(), year=2022)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/stats/")
    table = page.locator(".bar-table").first
    table.scroll_into_view_if_needed()
    page.screenshot(path=artifacts_dir / "seen-stats-375.png")
    assert page.evaluate(BROKEN_WORDS) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # the page itself does not scroll
    year = page.locator(".bar-table tbody th").first
    assert year.inner_text() == "2021" and year.bounding_box()["height"] < 40  # one line, not four


@pytest.mark.parametrize("width", [375, 1280])
@pytest.mark.parametrize("language", ["", "/fr", "/es"])
def test_it_shows_no_clipped_label_in_the_time_split(page, closing_report, artifacts_dir, width, language):
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"{language}{closing_report.get_absolute_url()}")
    bar = page.locator(".time-split")
    bar.scroll_into_view_if_needed()
    bar.screenshot(path=artifacts_dir / f"seen-time-split-{width}{language.replace('/', '-')}.png")
    labels = page.evaluate(CLIPPED_LABELS)
    print(width, language or "/en", labels)
    assert labels and all(inside for *_rest, inside in labels), labels
    if width == 1280:  # every share labelled, with its stage's name where it fits
        assert len(labels) == 4 and any(" " in text for text, *_rest in labels), labels


def test_it_keeps_the_review_buttons_in_view_at_1280_px(page, login, reviewer, plan_factory, artifacts_dir):
    plan = plan_factory(
        title="A plan whose title is long enough to take a line of its own", status="published"
    )
    for n in range(3):
        plan.blog_links.create(
            url=f"https://www.undp.org/a-blog-post-with-a-very-long-address-that-does-not-break-{n}/and/more",
            title="",
        )
    login(reviewer)
    page.goto("/admin/plans/bloglink/?status__exact=pending")
    page.screenshot(path=artifacts_dir / "seen-blog-links-1280.png")
    results = page.locator(".results").bounding_box()
    buttons = page.locator(".review-buttons")
    assert buttons.count() == 3
    for i in range(3):
        box = buttons.nth(i).bounding_box()
        assert results["x"] <= box["x"] and box["x"] + box["width"] <= results["x"] + results["width"], box
        assert box["x"] + box["width"] <= 1280
    overflow = page.evaluate(
        "(() => { const r = document.querySelector('.results'); return r.scrollWidth - r.clientWidth })()"
    )
    assert overflow <= 0  # nothing of the row is hidden behind a horizontal scroll
    page.locator(".review-buttons button").first.click()
    assert "Approved the blog link" in page.locator(".messagelist").inner_text()


def test_it_names_plans_in_the_history_breadcrumb(page, login, focal_point, plan_factory, artifacts_dir):
    plan = plan_factory(title="Cleaner markets")
    login(focal_point)
    page.goto(f"/admin/plans/plan/{plan.pk}/history/")
    page.locator(".breadcrumbs").screenshot(path=artifacts_dir / "seen-history-breadcrumb.png")
    crumbs = page.locator(".breadcrumbs a").all_inner_texts()
    assert crumbs[:3] == ["Home", "Action Learning Plans", "Plans"] or "Plans" in crumbs, crumbs
