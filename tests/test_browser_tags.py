"""Tag suggestions in the admin, in a real browser (headless Debian Chromium through Playwright)."""

import pytest
from playwright.sync_api import expect

from plans.models import MethodTag, Plan, ThematicAreaTag

pytestmark = pytest.mark.browser


def test_it_suggests_existing_tags_as_you_type_and_shows_a_new_one_as_new(
    page, login, focal_point, plan_factory, reviewer, artifacts_dir
):
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    for n in range(3):
        plan_factory(title=f"Published {n}", status=Plan.Status.PUBLISHED).thematic_areas.add(
            "Circular economy"
        )
    plan_factory(title="Another", status=Plan.Status.PUBLISHED).thematic_areas.add("Circular design")
    tag = ThematicAreaTag.objects.get(name="Circular economy")
    tag.name_es = "Economía circular"
    tag.save()
    plan_factory(title="Mapping", status=Plan.Status.PUBLISHED).methods.add("Ethnography")
    mine = plan_factory(title="My draft")

    login(focal_point)
    page.goto(f"/admin/plans/plan/{mine.pk}/change/")
    themes = page.locator("#id_thematic_areas")
    themes.click()
    themes.press_sequentially("circ", delay=30)
    options = page.locator("#id_thematic_areas ~ .tag-suggest__list [role=option]")
    expect(options.first).to_contain_text("Circular economy")  # the most used first
    expect(options.nth(0)).to_contain_text("3 plans")
    expect(options.nth(1)).to_contain_text("Circular design")
    expect(options.nth(2)).to_contain_text("“circ” will be a new tag")
    page.screenshot(path=str(artifacts_dir / "tag-suggestions.png"))
    themes.press("ArrowDown")
    themes.press("Enter")  # chooses, does not submit
    expect(themes).to_have_value("Circular economy, ")

    # A second tag in the same field, found by its Spanish label; then a new one, shown as new.
    themes.press_sequentially("economía", delay=30)
    expect(options.first).to_contain_text("Circular economy")
    expect(options.first).to_contain_text("Economía circular")
    themes.press("Escape")
    themes.fill("Circular economy, Waste pickers")
    themes.press("End")
    themes.press_sequentially("!", delay=30)
    expect(page.locator("#id_thematic_areas ~ .tag-suggest__status")).to_contain_text(
        "“Waste pickers!” will be a new tag"
    )

    # Methods are a closed list for a focal point: an unknown one is not offered as new.
    methods = page.locator("#id_methods")
    methods.click()
    methods.press_sequentially("ETHNO", delay=30)
    method_options = page.locator("#id_methods ~ .tag-suggest__list [role=option]")
    expect(method_options.first).to_contain_text("Ethnography")
    methods.fill("")
    methods.press_sequentially("Telepathy", delay=30)
    expect(method_options.first).to_contain_text("“Telepathy” is not in the list")
    methods.fill("ethnography ")
    themes.fill("circular economy, Waste pickers")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    mine.refresh_from_db()
    assert [t.name for t in mine.methods.all()] == ["Ethnography"]
    assert sorted(t.name for t in mine.thematic_areas.all()) == ["Circular economy", "Waste pickers"]
    assert MethodTag.objects.count() == 1
    assert page.console_errors == []
