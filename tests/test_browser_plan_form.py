"""The plan form in a real browser (headless Debian Chromium through Playwright): a closing report written
and submitted in one pass (actions and page height measured), child rows reordered by keyboard and by
dragging, the running total and the first error, unsaved typing kept and offered back, the lab's defaults
and the map picker, and axe-core on the add and change forms."""

from importlib import import_module

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from plans.models import SDG, BlogLink, MethodTag, Plan

pytestmark = pytest.mark.browser

WCAG21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Creating a complete closing report before this form (issue 14): 13 clicks and 24 entries, 7,500 px.
BEFORE_ACTIONS = 13 + 24
KEPT_COPIES = "Object.keys(localStorage).filter(k => k.startsWith('acclab-plan-form:')).length"


@pytest.fixture
def sdgs(db):
    # Transactional tests flush the tables between tests, SDG rows of the data migration included.
    for number, name, colour in import_module("plans.migrations.0002_sdgs").SDGS:
        SDG.objects.update_or_create(number=number, defaults={"name": name, "colour": colour})


class Author:
    """The page, counting what its user does: each click (or tick) and each entry typed."""

    def __init__(self, page):
        self.page, self.clicks, self.entries = page, 0, 0

    def click(self, selector):
        self.clicks += 1
        self.page.click(selector)

    def fill(self, selector, text):
        self.entries += 1
        self.page.fill(selector, text)


def section_headings(page) -> list[str]:
    return [h.strip() for h in page.locator("#plan_form h2.fieldset-heading").all_text_contents()]


def test_it_writes_and_submits_a_complete_closing_report_in_one_pass(
    page, login, focal_point, lab_a, sdgs, artifacts_dir
):
    for name in ("Ethnography", "Participatory mapping"):  # methods: a list reviewers keep (issue 16)
        MethodTag.objects.create(name=name)
    login(focal_point)
    page.goto("/admin/plans/plan/")
    author = Author(page)
    author.click("#new-closing-report-v1")
    expect(page.locator("h1")).to_contain_text("New closing report")
    # Only this form's sections: none of the opening plan's nor of the other closing form's.
    headings = section_headings(page)
    assert "Learnings on your challenge" in headings and "Data and methods" in headings
    for foreign in ("Challenge statement", "Learning question", "Closing", "Title"):
        assert foreign not in headings
    expect(page.locator("#id_handover_details, #id_challenge_statement, #id_plan_name")).to_have_count(0)
    # Lab, country, year and language are already there.
    expect(page.locator("#id_lab")).to_have_value(str(lab_a.pk))
    expect(page.locator("#id_country")).to_have_value("Vietnam")

    author.fill("#id_title", "Waste pickers of Hanoi")
    for i, text in enumerate(["Recyclers know the city", "Prices move weekly", "Trust comes first"]):
        author.fill(f"#id_insights-{i}-text", text)  # an empty row waits at the end of the list
    author.fill("#id_blog_links-0-url", "https://example.org/what-waste-pickers-taught-us")
    for i, text in enumerate(["No data on informal work", "Short project cycles"]):
        author.fill(f"#id_barriers-{i}-text", text)
    for stage, share in zip(("sense", "explore", "test", "grow"), (30, 30, 25, 10), strict=True):
        author.fill(f"#id_time_{stage}", str(share))
    expect(page.locator("#time-total")).to_have_text("95 % of 100 %")
    author.fill("#id_time_grow", "15")
    expect(page.locator("#time-total")).to_have_text("100 % of 100 %")
    author.fill("#id_methods", "Ethnography, Participatory mapping")
    author.fill("#id_datasources", "Survey")
    author.fill("#id_partners_civil_society", "The recyclers' union mapped collection points with us.")
    author.fill("#id_partners_private", "A scrap dealer shared weekly prices.")
    author.click(f"input[name=sdgs][value='{SDG.objects.get(number=11).pk}']")
    height = page.evaluate("document.documentElement.scrollHeight")
    page.screenshot(path=str(artifacts_dir / "plan-form-closing-report.png"), full_page=True)
    author.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    author.click("button[value=submit]")
    expect(page.locator(".messagelist")).to_contain_text("The plan is now submitted")

    actions = author.clicks + author.entries
    print(
        f"\nclosing report written and submitted: {author.clicks} clicks and {author.entries} entries = "
        f"{actions} actions (before: {BEFORE_ACTIONS}); the form is {height} px high (before: 7,500)"
    )
    assert actions <= BEFORE_ACTIONS * 2 / 3  # at least a third fewer
    plan = Plan.objects.get(title="Waste pickers of Hanoi")
    assert (plan.kind, plan.form_version, plan.status) == ("closing", "closing_v1", "submitted")
    assert [i.text for i in plan.insights.all()] == [
        "Recyclers know the city",
        "Prices move weekly",
        "Trust comes first",
    ]
    assert plan.barriers.count() == 2 and plan.time_split == [30, 30, 25, 15]
    assert plan.blog_links.get().status == BlogLink.Status.PENDING
    assert sorted(t.name for t in plan.methods.all()) == ["Ethnography", "Participatory mapping"]
    assert [s.number for s in plan.sdgs.all()] == [11]
    assert (plan.lab, plan.country, plan.language) == (lab_a, "Vietnam", "en")
    assert page.console_errors == []


def test_it_reorders_rows_by_keyboard_and_by_dragging(page, login, focal_point):
    login(focal_point)
    page.goto("/admin/plans/plan/add/?form=closing_v1")
    page.fill("#id_title", "Reordered")
    for i, text in enumerate(["first", "second", "third"]):
        page.fill(f"#id_insights-{i}-text", text)
    # Keyboard: the third row's "move up" button, twice.
    page.focus("#insights-2 .move-up")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    expect(page.locator("#plan-form-live")).to_have_text("Moved to position 1 of 4.")
    # Dragging: the "first" row by its handle, onto the top row.
    page.locator("#insights-0 .drag-handle").drag_to(
        page.locator("#insights-2 .row-heading"), target_position={"x": 40, "y": 3}
    )
    texts = [
        page.input_value(f"#{row} textarea")
        for row in page.locator("#insights-group .inline-related:not(.empty-form)").evaluate_all(
            "rows => rows.map(r => r.id)"
        )
    ]
    assert texts == ["first", "third", "second", ""]
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    plan = Plan.objects.get(title="Reordered")
    assert [i.text for i in plan.insights.all()] == ["first", "third", "second"]

    # Saved rows too: "second" to the top with the keyboard, saved.
    second = plan.insights.get(text="second")
    row = page.locator(".inline-related", has=page.locator(f"input[name$='-id'][value='{second.pk}']"))
    for _ in range(2):
        row.locator(".move-up").click()
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    assert [i.text for i in plan.insights.all()] == ["second", "first", "third"]
    assert page.console_errors == []


def test_it_shows_the_first_error_where_it_is(page, login, focal_point):
    login(focal_point)
    page.goto("/admin/plans/plan/add/?form=closing_v1")
    page.fill("#id_title", "Does not add up")
    for stage, share in zip(("sense", "explore", "test", "grow"), (40, 30, 20, 5), strict=True):
        page.fill(f"#id_time_{stage}", str(share))
    page.click("input[name=_save]")
    errors = page.locator("#plan_form .errorlist")
    expect(errors).to_have_count(1)  # one message, on the time split's row
    expect(errors).to_have_text("The time spent in the learning cycle must add up to 100 %; it sums to 95.")
    expect(errors).to_be_in_viewport()
    expect(page.locator("#time-total")).to_have_text("95 % of 100 %")
    assert page.evaluate("window.scrollY") > 1000


def test_it_keeps_unsaved_typing_and_offers_it_back(page, login, focal_point, artifacts_dir):
    dialogs = []

    def leave(dialog):
        dialogs.append(dialog.type)
        dialog.accept()

    page.on("dialog", leave)
    login(focal_point)
    page.goto("/admin/plans/plan/add/?form=opening")
    page.fill("#id_title", "Typed, never saved")
    page.fill("#id_challenge_statement", "Our challenge is that the browser crashed.")
    page.fill("#id_learning_questions-0-question", "Who keeps drafts?")
    page.wait_for_timeout(1200)  # the copy is kept a moment after typing stops
    page.click(".breadcrumbs a[href='/admin/plans/plan/']")
    expect(page.locator("#result_list, #changelist")).to_have_count(1)
    assert dialogs == ["beforeunload"]  # warned before leaving

    page.goto("/admin/plans/plan/add/?form=opening")
    expect(page.locator(".autosave-offer")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "plan-form-autosave-offer.png"))
    page.click("#autosave-restore")
    expect(page.locator("#id_title")).to_have_value("Typed, never saved")
    expect(page.locator("#id_learning_questions-0-question")).to_have_value("Who keeps drafts?")

    # A refused save (the session and its cookies gone meanwhile): the typing is offered back after
    # signing in again.
    page.context.clear_cookies()
    page.click("input[name=_save]")
    expect(page.locator("h1")).to_contain_text("Forbidden")
    login(focal_point)
    page.goto("/admin/plans/plan/add/?form=opening")
    page.click("#autosave-restore")
    expect(page.locator("#id_challenge_statement")).to_have_value(
        "Our challenge is that the browser crashed."
    )
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    assert (
        Plan.objects.get(title="Typed, never saved").learning_questions.get().question == "Who keeps drafts?"
    )
    # Saved: nothing is offered any more.
    page.goto("/admin/plans/plan/add/?form=opening")
    expect(page.locator("#id_title")).to_have_value("")
    expect(page.locator(".autosave-offer")).to_have_count(0)
    # Signing out forgets what was typed and not saved.
    page.fill("#id_title", "Left on a shared computer")
    page.wait_for_timeout(1200)
    assert page.evaluate(KEPT_COPIES) == 1
    page.click("#logout-form button")
    expect(page.locator("body")).to_contain_text("Logged out")
    assert page.evaluate(KEPT_COPIES) == 0


def test_it_fills_the_labs_country_and_picks_the_point_on_the_map(page, login, superuser, lab_a, lab_b):
    login(superuser)
    page.goto("/admin/plans/plan/add/?form=opening")
    page.select_option("#id_lab", str(lab_b.pk))
    expect(page.locator("#id_country")).to_have_value("Peru")
    page.select_option("#id_lab", str(lab_a.pk))
    expect(page.locator("#id_country")).to_have_value("Vietnam")
    page.locator("#location-picker").click(position={"x": 200, "y": 100})
    latitude = float(page.input_value("#id_latitude"))
    longitude = float(page.input_value("#id_longitude"))
    assert -90 <= latitude <= 90 and -180 <= longitude <= 180
    expect(page.locator("#location-picker .pin")).to_have_count(1)
    assert page.console_errors == []


def assert_accessible(page):
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG21_AA}})
    assert results.violations_count == 0, results.generate_report()


@pytest.mark.parametrize("which", ["choice", "add", "change"])
def test_it_finds_no_accessibility_violation_on_the_plan_form(page, login, focal_point, plan_factory, which):
    login(focal_point)
    if which == "choice":
        page.goto("/admin/plans/plan/add/")
        expect(page.locator(".form-choices a")).to_have_count(3)
        assert_accessible(page)
        return
    if which == "add":
        page.goto("/admin/plans/plan/add/?form=closing_v2")
    else:
        plan = plan_factory(kind="closing", form_version="closing_v2", title="Checked by axe")
        plan.insights.create(text="Neighbours trust each other", position=1)
        plan.partnerships.create(name="Recyclers' union", position=1)
        page.goto(f"/admin/plans/plan/{plan.pk}/change/")
    expect(page.locator("#plan_form")).to_be_visible()
    if which == "change":
        # The modules after the form (review comments, timeline) start below it, not behind it (their
        # headings stretched behind every section).
        tops, form_bottom = page.evaluate(
            "[[...document.querySelectorAll('#content-main ~ .module')]"
            ".map(m => [m.id, m.getBoundingClientRect().top]),"
            " document.getElementById('content-main').getBoundingClientRect().bottom]"
        )
        assert {name for name, _ in tops} >= {"comments", "timeline"}
        assert all(top >= form_bottom for _, top in tops), (tops, form_bottom)
    assert_accessible(page)
