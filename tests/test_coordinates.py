"""Coordinates are finite and on Earth, or empty (issue 12, finding 4): the importer, model validation and
the database refuse anything else, old rows are emptied by a migration, and the pins, the API and the
GeoJSON download never emit a number that JSON cannot hold."""

import importlib
import io
import json

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from plans.models import Plan

BAD_PAIRS = ["nan,nan", "inf,10", "10,-inf", "1e308,5", "91,10", "10,181", "-90.5,0", "0,-180.01"]
HEADER = "# Far away\n\n[[focal_point:someone@undp.org]]\n\n[[year:2021]]\n\n[[type:learningplan]]\n\n"


def run_import(tmp_path, latlng: str) -> tuple[str, int]:
    path = tmp_path / "far_away.md"
    path.write_text(f"{HEADER}[[country:Libya]]\n[[latlng:{latlng}]]\n## Title\n", encoding="utf-8")
    err = io.StringIO()
    try:
        call_command("import_plans", str(path), stdout=io.StringIO(), stderr=err)
    except CommandError:
        return err.getvalue(), 1
    return err.getvalue(), 0


@pytest.mark.django_db
@pytest.mark.parametrize("latlng", BAD_PAIRS)
def test_it_refuses_a_file_with_impossible_coordinates_naming_file_and_line(tmp_path, latlng):
    err, status = run_import(tmp_path, latlng)
    assert status == 1
    assert f"far_away.md:10: coordinates {latlng} are not a place on Earth" in err
    assert not Plan.objects.exists()


@pytest.mark.django_db
def test_it_imports_coordinates_on_earth(tmp_path):
    _err, status = run_import(tmp_path, "-90,180")
    assert status == 0
    assert Plan.objects.values_list("latitude", "longitude").get() == (-90.0, 180.0)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [("latitude", float("nan")), ("latitude", float("inf")), ("latitude", 91.0), ("latitude", 1e308)]
    + [("longitude", float("nan")), ("longitude", float("-inf")), ("longitude", 181.0)],
)
def test_it_refuses_impossible_coordinates_in_model_validation(plan_factory, field, value):
    plan = plan_factory()
    setattr(plan, field, value)
    with pytest.raises(ValidationError) as error:
        plan.full_clean()
    assert field in error.value.message_dict


@pytest.mark.django_db
@pytest.mark.parametrize(("field", "value"), [("latitude", 91.0), ("longitude", -181.0), ("latitude", 1e308)])
def test_it_refuses_impossible_coordinates_in_the_database(plan_factory, field, value):
    plan = plan_factory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Plan.objects.filter(pk=plan.pk).update(**{field: value})


@pytest.fixture
def lost_in_space(plan_factory):
    """A published plan whose coordinates were written before the constraints existed, next to a plan on
    Earth. The constraints are lifted for the test: dropped inside its transaction on PostgreSQL (the
    rollback restores them), ignored on SQLite (which stores NaN as NULL)."""
    plan_factory(title="On Earth", status=Plan.Status.PUBLISHED, latitude=16.0, longitude=106.0)
    plan = plan_factory(title="Lost", status=Plan.Status.PUBLISHED)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA ignore_check_constraints = 1")
        else:  # ALTER TABLE refuses to run while the new rows' foreign-key checks are still deferred
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for name in ("plan_latitude_on_earth", "plan_longitude_on_earth"):
                cursor.execute(f"ALTER TABLE plans_plan DROP CONSTRAINT {name}")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    Plan.objects.filter(pk=plan.pk).update(latitude=1e308, longitude=float("nan"))
    yield plan
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA ignore_check_constraints = 0")


def refuse(constant):
    raise ValueError(f"{constant} is not JSON")


def strict_json(response):
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return json.loads(body, parse_constant=refuse)


def test_it_never_emits_an_impossible_coordinate(client, lost_in_space):
    pins = strict_json(client.get(reverse("plans:map-pins")))["pins"]
    assert [p[3] for p in pins] == ["On Earth"]
    response = client.get(reverse("api:plan-list"), HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    lost = next(p for p in response.json()["results"] if p["title"] == "Lost")
    assert (lost["latitude"], lost["longitude"]) == (None, None)
    detail = client.get(
        reverse("api:plan-detail", kwargs={"slug": lost_in_space.slug}), HTTP_ACCEPT="application/json"
    )
    assert detail.status_code == 200 and detail.json()["latitude"] is None
    features = strict_json(client.get(reverse("downloads:geojson")))["features"]
    assert {f["properties"]["title"]: f["geometry"] for f in features}["Lost"] is None


def test_it_empties_impossible_coordinates_in_a_data_migration(lost_in_space):
    migration = importlib.import_module("plans.migrations.0012_untrusted_links_and_coordinates")
    migration.neutralise(apps, None)
    lost_in_space.refresh_from_db()
    assert (lost_in_space.latitude, lost_in_space.longitude) == (None, None)
    assert Plan.objects.get(title="On Earth").latitude == 16.0
