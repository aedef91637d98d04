"""Countries as ISO 3166 codes (issue 16): the archive's names mapped, labs and plans carrying the code, the
facet, map and statistics grouping by it."""

import io
import json

import pytest
from django.core.management import call_command
from django.utils import translation
from django_countries import countries

from plans.countries import code_for, name_of
from plans.models import Lab, Plan
from tests.conftest import FIXTURES

OPENING = FIXTURES / "archive" / "real" / "youth_entrepreneurship.md"


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Ivory Coast", "CIV"),
        ("Cape Verde", "CPV"),
        ("East Timor", "TLS"),
        ("The Gambia", "GMB"),
        ("Viet Nam", "VNM"),
        ("Vietnam", "VNM"),
        ("Republic of the Congo", "COG"),
        ("Democratic Republic of the Congo", "COD"),
        ("Laos", "LAO"),
        ("Eswatini", "SWZ"),
        ("Palestine", "PSE"),
        ("Türkiye", "TUR"),
        ("per", "PER"),
        ("Narnia", ""),
        ("", ""),
    ],
)
def test_it_maps_the_archive_names_to_codes(name, code):
    assert code_for(name) == code


def test_it_names_countries_in_three_languages():
    assert name_of("CIV") == "Côte d'Ivoire"
    with translation.override("fr"):
        assert name_of("VNM") == "Viêt Nam"
    with translation.override("es"):
        assert name_of("CIV") == "Costa de Marfil"
    assert name_of("CIV") == "Côte d'Ivoire"  # names are remembered per language


@pytest.mark.django_db
def test_it_lists_countries_in_the_readers_alphabetical_order(client, plan_factory):
    """Accented names sort with their letters: in French "Bénin" comes before "Bhoutan", not after
    "Bosnie-Herzégovine" as code points would put it (seen on the French list)."""
    for country in ("Bosnia and Herzegovina", "Benin", "Bhutan", "Peru", "Panama"):
        plan_factory(country=country, status=Plan.Status.PUBLISHED, latitude=10.0, longitude=10.0)
    french = ["Bénin", "Bhoutan", "Bosnie-Herzégovine", "Panama", "Pérou"]
    spanish = ["Benín", "Bosnia y Herzegovina", "Bután", "Panamá", "Perú"]
    for prefix, names in (("/fr", french), ("/es", spanish)):
        facet = client.get(f"{prefix}/plans/").context["facets"][0]
        assert [v.label for v in facet.values] == names
        assert [name for name, _code, _n in client.get(f"{prefix}/map/").context["countries"]] == names
        figures = client.get(f"{prefix}/stats/").context["countries"]  # one plan each: by name too
        assert [bar["label"] for bar in figures] == names


@pytest.mark.django_db
def test_it_defaults_a_plans_country_to_its_labs(plan_factory, lab_a):
    assert lab_a.iso3 == "VNM"
    assert plan_factory(country="").country_code == "VNM"
    assert plan_factory(country="Cape Verde").country_code == "CPV"
    assert Lab.objects.create(name="Accelerator Lab Ivory Coast", country="Ivory Coast").iso3 == "CIV"


@pytest.mark.django_db
def test_it_groups_the_facet_map_and_statistics_by_code(client, plan_factory, lab_a):
    for country in ("Viet Nam", "Vietnam"):
        plan_factory(country=country, status=Plan.Status.PUBLISHED, latitude=10.0, longitude=106.0)
    response = client.get("/plans/")
    country_facet = response.context["facets"][0]
    assert [(v.value, v.label, v.count) for v in country_facet.values] == [("VNM", "Vietnam", 2)]
    for value in ("Viet Nam", "VNM"):  # a link made before codes still selects the country
        assert len(client.get("/plans/", {"country": value}).context["page_obj"].object_list) == 2
    assert client.get("/map/").context["countries"] == [("Vietnam", "VNM", 2)]
    assert client.get("/stats/").context["country_count"] == 1
    assert client.get("/").context["figures"]["countries"] == 1
    download = client.get("/plans/download.json", {"country": "VNM"})
    assert len(json.loads(b"".join(download.streaming_content))) == 2


@pytest.mark.django_db
def test_it_reports_a_country_it_cannot_map_and_imports_the_plan(tmp_path):
    text = OPENING.read_text(encoding="utf-8")
    country = next(line for line in text.splitlines() if line.startswith("[[country:"))
    path = tmp_path / "elsewhere.md"
    path.write_text(text.replace(country, "[[country:Atlantis]]"), encoding="utf-8")
    err = io.StringIO()
    call_command("import_plans", str(path), stdout=io.StringIO(), stderr=err)
    line = text.splitlines().index(country) + 1
    warning = f"elsewhere.md:{line}: warning: country “Atlantis” is not an ISO 3166 country name"
    assert warning in err.getvalue()
    assert Plan.objects.get(source_file="elsewhere.md").country == "Atlantis"


@pytest.mark.django_db(transaction=True)
def test_it_fills_the_codes_of_existing_labs_and_plans_when_migrating():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = [("plans", "0026_country_codes")], [("plans", "0027_fill_country_codes")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    labs, plans = apps.get_model("plans", "Lab"), apps.get_model("plans", "Plan")
    gambia = labs.objects.create(name="Accelerator Lab The Gambia", country="The Gambia")
    nowhere = labs.objects.create(name="Accelerator Lab Atlantis", country="Atlantis")
    plans.objects.create(title="A", slug="a", country="Ivory Coast", lab_id=gambia.pk)
    plans.objects.create(title="B", slug="b", country="", lab_id=gambia.pk)
    plans.objects.create(title="C", slug="c", country="Atlantis", lab_id=nowhere.pk)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    apps = executor.loader.project_state(after).apps
    assert dict(apps.get_model("plans", "Lab").objects.values_list("name", "iso3")) == {
        "Accelerator Lab The Gambia": "GMB",
        "Accelerator Lab Atlantis": "",
    }
    codes = dict(apps.get_model("plans", "Plan").objects.values_list("slug", "country_code"))
    assert codes == {"a": "CIV", "b": "GMB", "c": ""}
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_it_finds_every_country_by_name_as_django_countries_does():
    """`code_for` reads django-countries' names once instead of calling `by_name` (which scans them all on
    each call): every English name and old name still gives the country `by_name` gives."""
    with translation.override("en"):  # from the table: iterating `countries` may give a cached language
        names = [str(name) for name in countries.countries.values()]
        names += [str(old) for olds in countries.shadowed_names.values() for old in olds]
    names += ["Vietnam", "BOLIVIA", "united states of america", "Nowhere Land"]
    with translation.override("fr"):  # the reader's language does not change what a name means
        for name in names:
            alpha2 = countries.by_name(name)
            code_for.cache_clear()
            assert code_for(name) == (countries.alpha3(alpha2) if alpha2 else ""), name
