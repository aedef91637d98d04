"""The review workspace in a real browser: the dashboard of a focal point and of a reviewer, in English,
French and Spanish (screenshots in test-artifacts/), and a reviewer scheduling a publication through the
change form's date fields."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from plans.models import Plan, UserPreference
from tests import test_dashboard

pytestmark = pytest.mark.browser
workspace = test_dashboard.workspace  # the fixture: plans in every state of the workspace

EXPECTED = {
    "focal_point": {
        "en": ("Your lab's plans", "Please add your partners"),
        "fr": ("Les plans de votre laboratoire", "Please add your partners"),
        "es": ("Los planes de su laboratorio", "Please add your partners"),
    },
    "reviewer": {
        "en": ("Review queue", "nobody yet"),
        "fr": ("File de relecture", "personne pour l’instant"),
        "es": ("Cola de revisión", "nadie todavía"),
    },
}


@pytest.mark.parametrize("language", ["en", "fr", "es"])
@pytest.mark.parametrize("persona", ["focal_point", "reviewer"])
def test_it_shows_each_role_its_dashboard_in_its_language(
    page,
    login,
    request,
    workspace,
    persona,
    language,
    artifacts_dir,  # noqa: F811
):
    user = request.getfixturevalue(persona)
    UserPreference.objects.update_or_create(user=user, defaults={"language": language})
    login(user)
    page.goto("/admin/")
    board = page.locator("#focal-point-dashboard" if persona == "focal_point" else "#reviewer-dashboard")
    heading, row_text = EXPECTED[persona][language]
    expect(board.locator("h2").first).to_have_text(heading)
    expect(board).to_contain_text(row_text)
    page.screenshot(path=artifacts_dir / f"dashboard-{persona}-{language}.png", full_page=True)
    assert page.console_errors == []


def test_it_lets_a_reviewer_schedule_a_publication_from_the_change_form(
    page, login, reviewer, plan_factory, artifacts_dir
):
    plan = plan_factory(title="Plastic recovery", status=Plan.Status.SUBMITTED)
    login(reviewer)
    page.goto(f"/admin/plans/plan/{plan.pk}/change/")
    page.click("button[value=claim]")
    expect(page.locator(".review-state .claimed-by")).to_contain_text("Reviewed by rita")
    when = (timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    page.fill("#publish_at-schedule", when)
    page.screenshot(path=artifacts_dir / "schedule-form.png", full_page=False)
    page.click("button[value=schedule]")
    expect(page.locator(".messagelist")).to_contain_text("The plan's publication is scheduled")
    expect(page.locator(".review-state .publish-at")).to_contain_text("Scheduled for publication on")
    page.goto("/admin/")
    expect(page.locator("#dashboard-scheduled")).to_contain_text("Plastic recovery")
    plan.refresh_from_db()
    assert plan.publish_at is not None and plan.status == Plan.Status.SUBMITTED
