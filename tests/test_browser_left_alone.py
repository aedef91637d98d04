"""The small things of tests/test_left_alone.py seen in Chromium: a map popup on /fr/ and /es/ names the
country in French and Spanish; the admin's plan list (in French) names languages in its filter and keeps a
row with thirty methods as short as one with three; the form of a live plan's revision has no "Save and add
another". Screenshots go to test-artifacts/."""

import pytest
from django.utils import timezone

from plans.models import Plan

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("language", "peru"), [("fr", "Pérou"), ("es", "Perú")])
def test_it_names_the_country_in_the_map_popup_in_the_pages_language(
    page, plan_factory, lab_b, artifacts_dir, language, peru
):
    plan_factory(
        title="Buses of Lima",
        lab=lab_b,
        status=Plan.Status.PUBLISHED,
        published_at=timezone.now(),
        latitude=-12.05,
        longitude=-77.04,
        year=2022,
    )
    page.goto(f"/{language}/map/")
    page.wait_for_selector("#plan-map[data-pin-count='1']")
    page.locator(".leaflet-marker-icon").first.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert popup.locator("a").inner_text() == "Buses of Lima"
    assert popup.locator("p").inner_text().split(" · ")[1:] == [peru, "2022"]
    page.screenshot(path=str(artifacts_dir / f"map-popup-country-{language}.png"))
    assert page.console_errors == []


def test_it_keeps_the_admin_plan_list_rows_short_and_names_languages(
    page, login, live_server, plan_factory, superuser, artifacts_dir
):
    tall = plan_factory(title="Thirty methods", language="pt")
    tall.methods.add(*(f"Method number {n:02}" for n in range(30)))
    tall.datasources.add(*(f"Data source number {n:02}" for n in range(12)))
    three = plan_factory(title="Three methods", language="fr")
    three.methods.add(*(f"Method number {n:02}" for n in range(3)))
    three.datasources.add(*(f"Data source number {n:02}" for n in range(3)))
    page.context.add_cookies([{"name": "django_language", "value": "fr", "url": live_server.url}])
    login(superuser)
    page.goto("/admin/plans/plan/")
    page.screenshot(path=str(artifacts_dir / "admin-plan-list-fr.png"), full_page=True)
    row = page.locator("#result_list tr", has_text="Thirty methods")
    assert row.locator("td.field-method_list").inner_text().endswith("+ 27 autres")
    assert row.locator("td.field-datasource_list").inner_text().endswith("+ 9 autres")
    other = page.locator("#result_list tr", has_text="Three methods")
    # As tall as a row with three methods and the line saying how many more, where it was a screen tall.
    assert row.bounding_box()["height"] <= other.bounding_box()["height"] + 2 * 20
    title = row.locator("td.field-method_list > span").get_attribute("title")
    assert title.count("Method number") == 30
    languages = page.locator("#changelist-filter a[href*='language__exact']")
    assert sorted(languages.all_inner_texts()) == ["Français", "Portugais"]
    assert page.console_errors == []


def test_it_offers_no_save_and_add_another_on_a_live_plans_revision(
    page, login, live_plan, focal_point, artifacts_dir
):
    login(focal_point)
    page.goto(f"/admin/plans/plan/{live_plan.pk}/change/")
    page.wait_for_selector("input[name=_continue]")
    assert page.locator("input[name=_addanother]").count() == 0
    assert page.locator("input[name=_save]").first.is_visible()
    page.locator(".submit-row").last.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "revision-form-buttons.png"))
    assert page.console_errors == []
