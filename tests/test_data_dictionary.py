"""The data dictionary (a Frictionless Data Package) and the licence: every download validates against its
dictionary with the `frictionless` library, and the licence is on every plan page, API record, download and
in the catalogue."""

import csv
import io
import json
import zipfile

import openpyxl
import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from frictionless import Package, Resource, validate

from plans import dictionary
from plans.downloads import columns

MIT = "https://spdx.org/licenses/MIT.html"


@pytest.fixture
def plans(plan_factory, lab_b):
    tricky = plan_factory(
        title='=HYPERLINK("x") — Ñandú, 越南',
        status="published",
        published_at=timezone.now(),
        latitude=-12.5,
        longitude=105.25,
        time_sense=25,
        time_explore=25,
        time_test=25,
        time_grow=25,
        handover_options=["handover_partner"],
        challenge_type="big_bet",
    )
    tricky.methods.add("Mapping", "Ethnography")
    tricky.insights.create(text="-1 is a number, not a formula", position=0)
    tricky.blog_links.create(url="https://example.org/post", title="Post", status="approved")
    plain = plan_factory(title="Plain", status="published", published_at=timezone.now(), lab=lab_b, year=None)
    plan_factory(title="Draft", status="draft")
    return [tricky, plain]


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def package_beside(client, **params) -> dict:
    response = client.get(reverse("downloads:datapackage"), params)
    assert response.status_code == 200
    assert response["Link"] == f'<{MIT}>; rel="license"'
    return response.json()


def test_the_dictionary_describes_every_column_in_three_languages(client, plans):
    package = package_beside(client)
    fields = package["resources"][0]["schema"]["fields"]
    assert [f["name"] for f in fields] == [name for name, _value in columns(None)]
    for f in fields:
        assert f["type"] and f["title"] and f["description"]
        assert set(f["titles"]) == {"en", "fr", "es"} == set(f["descriptions"])
    titles = {f["name"]: f["titles"] for f in fields}
    assert titles["title"] == {"en": "Title", "fr": "Titre", "es": "Título"}
    assert titles["time_sense"]["fr"] != titles["time_sense"]["en"]  # answer columns are translated too
    by_name = {f["name"]: f for f in fields}
    assert by_name["kind"]["constraints"]["enum"] == ["opening", "closing", "hybrid"]
    assert by_name["time_grow"]["constraints"] == {"minimum": 0, "maximum": 100}
    assert package["licenses"] == [{"name": "MIT", "path": MIT, "title": "MIT License"}]


def test_the_csv_download_validates_against_its_dictionary(client, plans, tmp_path):
    query = {"country": ["Vietnam", "Peru"]}
    package = package_beside(client, **query)
    resource = package["resources"][0]
    assert resource["path"].startswith("http://testserver/plans/download.csv?")
    (tmp_path / "plans.csv").write_bytes(body(client.get(reverse("downloads:csv"), query)))
    resource["path"] = "plans.csv"
    package["resources"] = [resource]
    (tmp_path / "datapackage.json").write_text(json.dumps(package))
    report = validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert report.tasks[0].stats["rows"] == 2


def test_a_value_the_dictionary_refuses_fails_validation(client, plans, tmp_path):
    """The validation is real: a CSV whose kind is outside the enum, or whose latitude is off Earth, fails."""
    package = package_beside(client)
    text = body(client.get(reverse("downloads:csv"))).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    rows[0]["kind"], rows[1]["latitude"] = "manifesto", "91"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    (tmp_path / "plans.csv").write_text("\ufeff" + out.getvalue(), encoding="utf-8")
    resource = Resource({**package["resources"][0], "path": "plans.csv"}, basepath=str(tmp_path))
    report = validate(resource)
    assert not report.valid
    assert {e[1] for e in report.flatten(["rowNumber", "fieldName"])} == {"kind", "latitude"}


def test_the_xlsx_download_validates_and_has_the_notes_sheet(client, plans, tmp_path):
    content = body(client.get(reverse("downloads:xlsx")))
    (tmp_path / "plans.xlsx").write_bytes(content)
    package = package_beside(client)
    resource = package["resources"][1]
    assert resource["format"] == "xlsx"
    report = validate(Resource({**resource, "path": "plans.xlsx"}, basepath=str(tmp_path)))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == ["plans", "Notes"]
    notes = [[cell for cell in row if cell is not None] for row in workbook["Notes"].values]
    assert ["Licence", f"MIT ({MIT})"] in notes
    described = {
        row[0]: row
        for row in notes
        if row and row[0] in {f["name"] for f in dictionary.table_schema()["fields"]}
    }
    assert set(described) == {name for name, _value in columns(None)}
    assert described["title"][2:5] == ["Title", "Titre", "Título"]


def test_every_zip_holds_its_dictionary_and_licence_and_validates(client, plans, tmp_path):
    with zipfile.ZipFile(io.BytesIO(body(client.get(reverse("downloads:zip"))))) as archive:
        archive.extractall(tmp_path)
        names = archive.namelist()
    assert names[-2:] == ["datapackage.json", "LICENSE.txt"]
    package = json.loads((tmp_path / "datapackage.json").read_text())
    assert sorted(r["path"] for r in package["resources"]) == sorted(names[:-2])
    assert "MIT (https://spdx.org/licenses/MIT.html)" in (tmp_path / "LICENSE.txt").read_text()
    report = Package(str(tmp_path / "datapackage.json")).validate()
    assert report.valid, report.flatten(["type", "note"])


# ------------------------------------------------------------------ the licence everywhere


def test_the_licence_is_on_every_plan_page(client, plans):
    for plan in plans:
        html = client.get(plan.get_absolute_url()).content.decode()
        assert f'<link rel="license" href="{MIT}">' in html
        assert f'<a rel="license" href="{MIT}">MIT licence</a>' in html
        assert "Copyright (c) 2024 UNDP Accelerator Labs" in html


def test_the_licence_is_in_every_api_record_and_download(client, plans, settings):
    expected = {
        "id": "MIT",
        "url": MIT,
        "notice": "Copyright (c) 2024 UNDP Accelerator Labs",
        "attribution": "UNDP Accelerator Labs, SDG Commons archive",
    }
    listed = client.get(reverse("api:plan-list")).json()["results"]
    assert [r["license"] for r in listed] == [expected] * 2
    for plan in plans:
        assert (
            client.get(reverse("api:plan-detail", kwargs={"slug": plan.slug})).json()["license"] == expected
        )
        one = client.get(reverse("downloads:plan_json", kwargs={"slug": plan.slug}))
        assert one.json()["license"] == expected and one["Link"] == f'<{MIT}>; rel="license"'
    changes = client.get(reverse("api:plan-list"), {"modified_since": "2000-01-01"}).json()["results"]
    assert all(r["license"] == expected for r in changes)
    for name in ("csv", "xlsx", "json", "geojson", "zip"):
        assert client.get(reverse(f"downloads:{name}"))["Link"] == f'<{MIT}>; rel="license"', name
    rows = list(csv.DictReader(io.StringIO(body(client.get(reverse("downloads:csv"))).decode("utf-8-sig"))))
    assert [row["license"] for row in rows] == ["MIT", "MIT"]
    data = json.loads(body(client.get(reverse("downloads:json"))))
    assert [p["license"]["id"] for p in data["results"]] == ["MIT", "MIT"]
    geo = json.loads(body(client.get(reverse("downloads:geojson"))))
    assert [f["properties"]["license"]["url"] for f in geo["features"]] == [MIT, MIT]

    # Another licence is one setting away, and every output follows it.
    settings.DATA_LICENSE, settings.DATA_LICENSE_URL = "CC-BY-4.0", "https://spdx.org/licenses/CC-BY-4.0.html"
    cache.clear()  # as after a deploy that changes it (README: clear the cache)
    assert (
        client.get(reverse("api:plan-detail", kwargs={"slug": plans[0].slug})).json()["license"]["id"]
        == "CC-BY-4.0"
    )
    rows = list(csv.DictReader(io.StringIO(body(client.get(reverse("downloads:csv"))).decode("utf-8-sig"))))
    assert {row["license"] for row in rows} == {"CC-BY-4.0"}


def test_the_licence_is_in_the_catalogue(client, plans):
    from rdflib import Graph, URIRef
    from rdflib.namespace import DCTERMS

    graph = Graph().parse(data=client.get(reverse("catalog-ttl")).content.decode(), format="turtle")
    catalog = URIRef("http://127.0.0.1:8000" + reverse("catalog-jsonld"))
    assert graph.value(catalog, DCTERMS.license) == URIRef(MIT)
    distributions = set(graph.subjects(DCTERMS.format, None))
    assert distributions and all(graph.value(d, DCTERMS.license) == URIRef(MIT) for d in distributions)
