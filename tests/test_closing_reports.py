"""Start a closing report from an opening plan (issue 14): one action on the opening plan's change form
creates its closing report, pre-filled and linked both ways; the link shows on both public pages, in the API
and in the downloads, once each plan is published. Authors may also set the link in the report's form."""

import csv
import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from reversion.models import Version

from plans.models import SDG, Plan
from tests.test_archive_import import REAL, run
from tests.test_permissions import change_data


@pytest.fixture
def opening(plan_factory):
    """A published opening plan of lab A with a place, tags of every vocabulary and two partners."""
    plan = plan_factory(
        title="Cleaner markets in Hanoi",
        status=Plan.Status.PUBLISHED,
        published_at=timezone.now(),
        complete=True,
        language="fr",
        year=2022,
        latitude=21.03,
        longitude=105.85,
        partners_overview="City hall and the traders.",
    )
    plan.methods.add("Ethnography", "Mapping")
    plan.datasources.add("Satellite data")
    plan.thematic_areas.add("Waste")
    plan.sdgs.add(SDG.objects.get(number=11), SDG.objects.get(number=12))
    plan.partnerships.create(position=0, name="City hall", sector="government", description="Permits.")
    plan.partnerships.create(position=1, name="Traders union", is_new_and_unusual="yes", description="Stall.")
    return plan


def names(manager):
    return sorted(str(t) for t in manager.all())


def test_it_starts_a_closing_report_prefilled_and_linked_both_ways(opening, focal_point):
    report = opening.start_closing_report(by=focal_point)
    report.refresh_from_db()
    opening.refresh_from_db()
    assert (report.kind, report.form_version, report.status) == ("closing", "closing_v2", "draft")
    assert report.opening_plan == opening and opening.closing_report == report  # both ways
    for name in ("title", "lab", "country", "latitude", "longitude", "year", "language", "partners_overview"):
        assert getattr(report, name) == getattr(opening, name), name
    for vocabulary in ("methods", "datasources", "thematic_areas", "sdgs"):
        assert names(getattr(report, vocabulary)) == names(getattr(opening, vocabulary)), vocabulary
    assert [
        (p.position, p.name, p.sector, p.description, p.is_new_and_unusual) for p in report.partnerships.all()
    ] == [
        (0, "City hall", "government", "Permits.", "unknown"),
        (1, "Traders union", "unknown", "Stall.", "yes"),
    ]
    assert report.created_by == focal_point and report.slug != opening.slug
    assert not report.insights.exists() and not report.learning_questions.exists()  # the rest is to write
    assert opening.partnerships.count() == 2  # copies, not moved rows


def test_it_starts_one_closing_report_per_opening_plan(opening, focal_point):
    first = opening.start_closing_report(by=focal_point)
    with pytest.raises(ValidationError) as error:
        opening.start_closing_report(by=focal_point)
    assert error.value.messages == ["This opening plan already has its closing report."]
    assert list(Plan.objects.filter(kind="closing")) == [first]


def post_start(client, plan):
    return client.post(reverse("admin:plans_plan_start_closing_report", args=[plan.pk]), follow=True)


def test_it_starts_the_report_from_the_opening_plans_change_form(client, opening, focal_point):
    client.force_login(focal_point)
    change = client.get(reverse("admin:plans_plan_change", args=[opening.pk])).content.decode()
    action = reverse("admin:plans_plan_start_closing_report", args=[opening.pk])
    assert f'action="{action}"' in change and "Start the closing report" in change
    response = post_start(client, opening)
    report = Plan.objects.get(opening_plan=opening)
    assert response.redirect_chain[-1][0] == reverse("admin:plans_plan_change", args=[report.pk])
    body = response.content.decode()
    assert "The closing report is started from the opening plan" in body
    # The report's page names the plan it closes, with the field to change it; the plan names its report.
    assert "Closes the opening plan:" in body
    assert reverse("admin:plans_plan_change", args=[opening.pk]) in body
    assert 'name="opening_plan"' in body
    change = client.get(reverse("admin:plans_plan_change", args=[opening.pk])).content.decode()
    assert "Its closing report:" in change and f'action="{action}"' not in change
    versions = Version.objects.get_for_object(report)
    assert versions.count() == 1 and "Started from the opening plan" in versions[0].revision.get_comment()
    # A second POST (another tab) changes nothing and says why.
    again = post_start(client, opening)
    assert "This opening plan already has its closing report." in again.content.decode()
    assert Plan.objects.filter(opening_plan=opening).count() == 1


def test_it_needs_the_csrf_token_to_start_a_report(opening, focal_point):
    client = Client(enforce_csrf_checks=True)
    client.force_login(focal_point)
    response = client.post(reverse("admin:plans_plan_start_closing_report", args=[opening.pk]))
    assert response.status_code == 403 and not Plan.objects.filter(opening_plan=opening).exists()


def test_it_offers_no_start_on_a_closing_report_or_to_a_reviewer(
    client, opening, plan_factory, focal_point, reviewer
):
    closing = plan_factory(kind="closing", form_version="closing_v2")
    client.force_login(reviewer)
    body = client.get(reverse("admin:plans_plan_change", args=[opening.pk])).content.decode()
    assert "Start the closing report" not in body
    client.force_login(focal_point)
    body = client.get(reverse("admin:plans_plan_change", args=[closing.pk])).content.decode()
    assert "Start the closing report" not in body
    assert post_start(client, closing).status_code == 403
    assert not Plan.objects.filter(opening_plan=closing).exists()


@pytest.mark.parametrize("language", ["fr", "es"])
def test_it_offers_the_action_in_the_authors_language(client, opening, focal_point, language):
    client.force_login(focal_point)
    client.post(reverse("set_language"), {"language": language, "next": "/admin/"})
    body = client.get(reverse("admin:plans_plan_change", args=[opening.pk])).content.decode()
    expected = {"fr": "Commencer le rapport de clôture", "es": "Empezar el informe de cierre"}[language]
    assert expected in body and "Start the closing report" not in body


# ---------------------------------------------------------------- the link set by authors


def test_it_lets_authors_link_a_report_to_their_labs_opening_plan(
    client, opening, plan_factory, focal_point, lab_b
):
    report = plan_factory(title="Markets: closing report", kind="closing", form_version="closing_v2")
    elsewhere = plan_factory(title="Peru plan", lab=lab_b, status="published")
    client.force_login(focal_point)
    url = reverse("admin:plans_plan_change", args=[report.pk])
    form = client.get(url).context["adminform"].form
    assert list(form.fields["opening_plan"].queryset) == [opening]  # the lab's opening plans, not Peru's
    assert "Cleaner markets in Hanoi · Accelerator Lab Viet Nam · 2022" in str(form["opening_plan"])
    refused = client.post(url, change_data(report, opening_plan=elsewhere.pk, insights_text=""))
    assert refused.status_code == 200 and "opening_plan" in refused.context["adminform"].form.errors
    report.refresh_from_db()
    response = client.post(url, change_data(report, opening_plan=opening.pk))
    assert response.status_code == 302, response.context["adminform"].form.errors
    report.refresh_from_db()
    assert report.opening_plan == opening


def test_it_refuses_links_that_are_not_a_report_closing_an_opening_plan(plan_factory, opening):
    report = plan_factory(kind="closing", form_version="closing_v2", opening_plan=opening)
    other = plan_factory(kind="closing", form_version="closing_v2")
    for plan, target, message in [
        (other, report, "is not an opening plan."),  # a report closes an opening plan, not a report
        (opening, opening, "Only a closing report closes an opening plan."),
        (other, opening, "This opening plan already has its closing report."),
    ]:
        plan.opening_plan = target
        with pytest.raises(ValidationError) as error:
            plan.full_clean()
        assert message in " ".join(error.value.message_dict["opening_plan"])


@pytest.mark.django_db
def test_it_never_guesses_a_link_from_the_corpus():
    # The real files hold opening plans and closing reports of the same labs: none gets linked.
    run(REAL)
    assert Plan.objects.filter(kind="opening").exists() and Plan.objects.filter(kind="closing").exists()
    assert not Plan.objects.filter(opening_plan__isnull=False).exists()


# ---------------------------------------------------------------- public pages, API, downloads


@pytest.fixture
def pair(opening, focal_point, reviewer):
    """The opening plan and its closing report, both published."""
    report = opening.start_closing_report(by=focal_point)
    report.title = "What the markets taught us"
    report.save()
    report.insights.create(text="Traders sort waste when stalls are close to bins.")
    report.submit(by=focal_point)
    report.publish(by=reviewer)
    return opening, report


def sidebar(client, plan) -> str:
    body = client.get(plan.get_absolute_url()).content.decode()
    return body[body.index('class="sidebar plan-facts"') :]


def test_it_links_the_two_public_pages_both_ways(client, pair):
    opening, report = pair
    side = sidebar(client, opening)
    assert "Closing report" in side and f'href="{report.get_absolute_url()}"' in side
    side = sidebar(client, report)
    assert "Opening plan" in side and f'href="{opening.get_absolute_url()}" lang="fr"' in side


def test_it_names_a_linked_plan_only_once_it_is_published(client, opening, focal_point, reviewer):
    report = opening.start_closing_report(by=focal_point)
    assert report.get_absolute_url() not in sidebar(client, opening)  # a draft is not named
    report.insights.create(text="One insight.")
    report.submit(by=focal_point)
    report.publish(by=reviewer)
    assert report.get_absolute_url() in sidebar(client, opening)  # the cache follows the publication
    opening.withdraw(by=reviewer)
    assert opening.get_absolute_url() not in sidebar(client, report)


def test_it_shows_the_link_in_the_api(client, pair):
    opening, report = pair
    data = client.get(reverse("api:plan-detail", kwargs={"slug": opening.slug})).json()
    assert data["opening_plan"] is None
    assert data["closing_report"] == {
        "slug": report.slug,
        "url": f"http://testserver{report.get_absolute_url()}",
        "api_url": f"http://testserver{reverse('api:plan-detail', kwargs={'slug': report.slug})}",
        "title": "What the markets taught us",
        "kind": "closing",
    }
    data = client.get(reverse("api:plan-detail", kwargs={"slug": report.slug})).json()
    assert data["opening_plan"]["slug"] == opening.slug and data["closing_report"] is None
    listed = {p["slug"]: p for p in client.get(reverse("api:plan-list")).json()["results"]}
    assert listed[report.slug]["opening_plan"]["slug"] == opening.slug


def test_it_lists_the_link_in_the_api_schema(client):
    schema = client.get(reverse("api:schema"), {"format": "json"}).json()
    summary = schema["components"]["schemas"]["PlanSummary"]["properties"]
    assert {"opening_plan", "closing_report"} <= set(summary)


def test_it_writes_the_link_into_the_downloads(client, pair):
    opening, report = pair
    text = b"".join(client.get("/plans/download.csv").streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    by_slug = {r["slug"]: r for r in rows}
    assert by_slug[opening.slug]["closing_report"] == report.slug
    assert by_slug[report.slug]["opening_plan"] == opening.slug
    assert by_slug[opening.slug]["opening_plan"] == ""
    data = json.loads(b"".join(client.get("/plans/download.json").streaming_content))
    by_slug = {p["slug"]: p for p in data["results"]}
    assert by_slug[report.slug]["opening_plan"]["slug"] == opening.slug
    features = json.loads(b"".join(client.get("/plans/download.geojson").streaming_content))["features"]
    assert {f["id"]: f["properties"]["closing_report"] for f in features}[opening.slug]["slug"] == report.slug
    one = client.get(reverse("downloads:plan_json", args=[opening.slug])).json()
    assert one["closing_report"]["slug"] == report.slug
