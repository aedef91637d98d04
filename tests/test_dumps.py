"""Dated full dumps: one ZIP per format with its dictionary and licence, checksums and a manifest; the last N
dates kept; an interrupted dump leaves the previous one the latest and no half file served; listed in the
catalogue as a dataset series and linked from the open-data page; run by a scheduled task."""

import datetime
import hashlib
import io
import json
import zipfile

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from frictionless import Package
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import RDF

from plans import dump_task, dumps

DCAT = Namespace("http://www.w3.org/ns/dcat#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
FORMATS = ["csv", "xlsx", "json", "geojson", "zip"]


@pytest.fixture
def root(settings, tmp_path):
    settings.DUMPS_ROOT = tmp_path / "dumps"
    return settings.DUMPS_ROOT


@pytest.fixture
def collection(plan_factory):
    plans = [
        plan_factory(title=f"Plan {n}", status="published", published_at=timezone.now()) for n in range(3)
    ]
    plan_factory(title="Draft", status="draft")
    return plans


def dump(day: str, **kwargs) -> dict:
    return dumps.write(datetime.date.fromisoformat(day), **kwargs)


def served(client, day: str, name: str) -> bytes:
    response = client.get(reverse("dump-file", kwargs={"day": day, "name": name}))
    assert response.status_code == 200, name
    return b"".join(response.streaming_content)


def test_the_command_writes_one_zip_per_format_with_checksums_and_a_manifest(
    client, root, collection, tmp_path
):
    out = io.StringIO()
    call_command("dump_collection", stdout=out)
    today = timezone.localdate().isoformat()
    assert f"dumped 3 plans in 5 files for {today}" in out.getvalue()
    manifest = json.loads(served(client, today, "manifest.json"))
    assert manifest["plans"] == 3 and manifest["license"]["id"] == "MIT"
    assert [f["format"] for f in manifest["files"]] == FORMATS
    sums = served(client, today, "SHA256SUMS").decode()
    for item in manifest["files"]:
        content = served(client, today, item["name"])
        assert hashlib.sha256(content).hexdigest() == item["sha256"] and len(content) == item["bytes"]
        assert f"{item['sha256']}  {item['name']}\n" in sums
        folder = tmp_path / item["format"]
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            assert archive.testzip() is None
            assert {"datapackage.json", "LICENSE.txt"} <= set(archive.namelist())
            archive.extractall(folder)
        report = Package(str(folder / "datapackage.json")).validate()
        assert report.valid, (item["format"], report.flatten(["rowNumber", "fieldName", "type", "note"]))
    # The dump holds the whole published collection, nothing else.
    with zipfile.ZipFile(io.BytesIO(served(client, today, manifest["files"][2]["name"]))) as archive:
        data = json.loads(archive.read("plans.json"))
    assert sorted(p["title"] for p in data["results"]) == ["Plan 0", "Plan 1", "Plan 2"]
    assert data["results"][0]["url"].startswith("http://127.0.0.1:8000/plans/")


def test_it_keeps_the_last_dates_and_replaces_a_day_written_again(root, collection):
    for day in ("2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"):
        dump(day, keep=3)
    assert sorted(m["date"] for m in dumps.manifests()) == ["2026-11-02", "2026-11-03", "2026-11-04"]
    first = dumps.latest()["generated_at"]
    dump("2026-11-04", keep=3)
    assert dumps.latest()["date"] == "2026-11-04" and dumps.latest()["generated_at"] > first
    assert sorted(p.name for p in root.iterdir()) == [".lock", "2026-11-02", "2026-11-03", "2026-11-04"]


def test_an_interrupted_dump_leaves_the_previous_one_the_latest_and_serves_no_half_file(
    client, root, collection, monkeypatch
):
    previous = dump("2026-11-01")
    real = dumps._formats

    def failing(plans, request):
        writers = real(plans, request)

        def broken(path):
            path.write_bytes(b"PK half a file")
            raise OSError("disk full")

        return [*writers[:2], ("json", "json", broken), *writers[3:]]

    monkeypatch.setattr(dumps, "_formats", failing)
    with pytest.raises(OSError, match="disk full"):
        dump("2026-11-02")
    assert dumps.latest() == previous
    assert sorted(p.name for p in root.iterdir()) == [".lock", "2026-11-01"]
    for day, name in [("2026-11-02", "acclab-plans-2026-11-02-csv.zip"), ("2026-11-02", "manifest.json")]:
        assert client.get(reverse("dump-file", kwargs={"day": day, "name": name})).status_code == 404
    assert "2026-11-02" not in client.get(reverse("plans:data")).content.decode()

    # A run killed outright leaves its temporary folder: never served, removed by the next run.
    partial = root / ".partial-killed"
    partial.mkdir()
    (partial / "manifest.json").write_text("{}")
    for day, name in [(".partial-killed", "manifest.json"), ("2026-11-01", ".lock"), ("2026-11-01", "../x")]:
        assert client.get(f"/dumps/{day}/{name}").status_code == 404
    monkeypatch.setattr(dumps, "_formats", real)
    dump("2026-11-03")
    assert not partial.exists() and dumps.latest()["date"] == "2026-11-03"


def test_a_dated_folder_without_its_manifest_is_not_served(client, root, collection):
    dump("2026-11-01")
    (root / "2026-11-02").mkdir()
    (root / "2026-11-02" / "acclab-plans-2026-11-02-csv.zip").write_bytes(b"PK")
    assert client.get("/dumps/2026-11-02/acclab-plans-2026-11-02-csv.zip").status_code == 404
    assert dumps.latest()["date"] == "2026-11-01"


def test_the_catalogue_lists_the_dumps_as_a_dataset_series(client, root, collection):
    dump("2026-11-01")
    dump("2026-11-02")
    graph = Graph().parse(data=client.get(reverse("catalog-ttl")).content.decode(), format="turtle")
    series = next(graph.subjects(RDF.type, DCAT.DatasetSeries))
    members = set(graph.subjects(DCAT.inSeries, series))
    site = "http://127.0.0.1:8000"
    assert members == {URIRef(f"{site}/dumps/2026-11-01/"), URIRef(f"{site}/dumps/2026-11-02/")}
    assert graph.value(series, DCAT.last) == URIRef(f"{site}/dumps/2026-11-02/")
    manifest = dumps.latest()
    for item in manifest["files"]:
        distribution = URIRef(f"{site}/dumps/2026-11-02/{item['name']}")
        assert (URIRef(f"{site}/dumps/2026-11-02/"), DCAT.distribution, distribution) in graph
        checksum = graph.value(distribution, SPDX.checksum)
        assert str(graph.value(checksum, SPDX.checksumValue)) == item["sha256"]


def test_the_open_data_page_links_the_latest_dump(client, root, collection):
    assert "No full dump has been written yet" in client.get(reverse("plans:data")).content.decode()
    dump("2026-11-01")
    dump("2026-11-02")
    html = client.get(reverse("plans:data")).content.decode()
    assert 'href="/dumps/2026-11-02/acclab-plans-2026-11-02-csv.zip"' in html
    assert "2026-11-01" not in html
    french = client.get("/fr" + reverse("plans:data")).content.decode()
    assert "acclab-plans-2026-11-02-archive.zip" in french and 'lang="fr"' in french


def test_the_scheduled_task_dumps_and_queues_the_next_night(root, collection, settings):
    # In tests tasks run at once (ImmediateBackend): the task writes the dump; it cannot queue for later.
    result = dump_task.dump_collection.enqueue()
    assert result.return_value == "ok" and dumps.latest()["plans"] == 3
    now = datetime.datetime(2026, 12, 5, 1, 0, tzinfo=datetime.UTC)
    assert dump_task.next_run(now) == datetime.datetime(2026, 12, 5, 2, 0, tzinfo=datetime.UTC)
    assert dump_task.next_run(now.replace(hour=3)) == datetime.datetime(
        2026, 12, 6, 2, 0, tzinfo=datetime.UTC
    )


def test_the_database_queue_holds_one_next_dump(db, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    assert dump_task.schedule() is True
    assert dump_task.schedule() is False  # never two chains
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "plans.dump_task.dump_collection" and queued.run_after > timezone.now()
