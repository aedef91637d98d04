"""Backup and restore as README's production section documents them: `pg_dump -Fc` of the database and a tar
of MEDIA_ROOT, restored with `pg_restore` into an empty database and `tar -x`, keep every plan, child row,
tag, revision, event and uploaded file. The portable variant (`dumpdata`/`loaddata`) keeps them too."""

import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest
import reversion
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection
from psycopg import sql
from reversion.models import Revision, Version

from plans.models import SDG, Lab, Plan, PlanEvent
from plans.parts import CHILDREN, VOCABULARIES, child_models

PDF = b"%PDF-1.4\n% a chart\n"


def a_plan_with_everything(focal_point, reviewer, media):
    """A published plan with a row of every child kind, tags of every vocabulary, a revision, the events of
    its submission and publication, and an uploaded file."""
    plan = Plan.objects.create(title="Water kiosks in Hanoi", lab=focal_point.labs.get(), year=2023)
    with reversion.create_revision():
        reversion.set_user(focal_point)
        plan.challenge_statement = "Households ration drinking water."
        plan.save()
    for vocabulary in VOCABULARIES:
        if vocabulary.is_taggit:
            getattr(plan, vocabulary.name).add(f"{vocabulary.name} tag")
    # A transactional test may start after another one flushed the SDGs the migrations made.
    plan.sdgs.add(SDG.objects.get_or_create(number=6, defaults={"name": "Clean water and sanitation"})[0])
    plan.insights.create(text="Kiosks near schools sold most.")
    plan.barriers.create(text="Permits take months.")
    plan.partnerships.create(name="Hanoi Water Board", sector="government")
    plan.learning_questions.create(question="Who buys water?", stages=["sense"])
    plan.blog_links.create(url="https://example.org/blog", status="approved")
    plan.extra_answers.create(section="Bonus", prompt="Anything else?", answer="No.")
    evidence = plan.evidence.create(kind="quantitative", url="https://example.org/data.csv")
    evidence.file.save("chart.pdf", ContentFile(PDF), save=True)
    plan.submit(by=focal_point)
    plan.publish(by=reviewer)
    assert all(getattr(plan, c.related_name).exists() for c in CHILDREN)
    assert PlanEvent.objects.filter(plan=plan).count() == 2
    assert Version.objects.get_for_object(plan).exists()
    assert (media / evidence.file.name).read_bytes() == PDF
    return plan


def tables() -> list[str]:
    models = [Lab, Plan, *child_models(), PlanEvent, Revision, Version]
    for vocabulary in VOCABULARIES:
        models += [vocabulary.tag_model, vocabulary.through]
    return [model._meta.db_table for model in models]


def rows(cursor, table: str) -> list[tuple]:
    cursor.execute(sql.SQL("SELECT * FROM {} ORDER BY 1").format(sql.Identifier(table)).as_string(None))
    return cursor.fetchall()


def pg_tool(name: str) -> str:
    """The client tool of the server's major version (Debian installs them side by side)."""
    connection.ensure_connection()
    major = connection.connection.info.server_version // 10000
    versioned = Path(f"/usr/lib/postgresql/{major}/bin/{name}")
    return str(versioned) if versioned.exists() else shutil.which(name)


@pytest.mark.django_db(transaction=True)
def test_it_restores_a_pg_dump_into_an_empty_database(focal_point, reviewer, settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump/pg_restore back up PostgreSQL; this run uses SQLite (see the dumpdata test)")
    settings.MEDIA_ROOT = media = tmp_path / "media"
    a_plan_with_everything(focal_point, reviewer, media)
    db = connection.settings_dict
    server = {"host": db["HOST"] or "127.0.0.1", "port": db["PORT"] or 5432, "user": db["USER"]}
    if db["PASSWORD"]:
        server["password"] = db["PASSWORD"]
    source = psycopg.conninfo.make_conninfo(dbname=db["NAME"], **server)
    restored_name = f"{db['NAME']}_restored"
    restored = psycopg.conninfo.make_conninfo(dbname=restored_name, **server)
    dump, archive = tmp_path / "acclab.dump", tmp_path / "acclab-media.tar.gz"

    # The commands of README's production section.
    subprocess.run([pg_tool("pg_dump"), "-Fc", "--no-owner", "-d", source, "-f", dump], check=True)
    subprocess.run(["tar", "-C", media, "-czf", archive, "."], check=True)
    with psycopg.connect(
        psycopg.conninfo.make_conninfo(dbname="postgres", **server), autocommit=True
    ) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(restored_name))
        )
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(restored_name)))
        try:
            subprocess.run(
                [pg_tool("pg_restore"), "--no-owner", "--exit-on-error", "-d", restored, dump], check=True
            )
            new_media = tmp_path / "restored-media"
            new_media.mkdir()
            subprocess.run(["tar", "-C", new_media, "-xzf", archive], check=True)

            # Both read by plain psycopg (Django's connection leaves JSON undecoded).
            with psycopg.connect(restored) as copy, psycopg.connect(source) as original:
                for table in tables():
                    expected = rows(original.cursor(), table)
                    assert expected, f"{table} is empty: the test data must cover it"
                    assert rows(copy.cursor(), table) == expected, table
            evidence = Plan.objects.get().evidence.get()
            assert (new_media / evidence.file.name).read_bytes() == PDF
        finally:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(restored_name))
            )


# The documented portable variant: what dumpdata leaves out is rebuilt by `migrate` on the empty database;
# YAML because JSON cuts times to milliseconds and XML strips text.
DUMPDATA = "--format=yaml --natural-foreign -e contenttypes -e auth.permission -e sessions".split()

SDGS = Plan.sdgs.through._meta.db_table
VERSION = [
    "pk",
    "revision_id",
    "object_id",
    "content_type__app_label",
    "content_type__model",
    "serialized_data",
]


@pytest.mark.django_db(transaction=True)
def test_it_restores_a_dumpdata_backup_into_an_empty_database(focal_point, reviewer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    a_plan_with_everything(focal_point, reviewer, tmp_path / "media")
    # Content types get new ids in the new database (versions point to theirs by natural key), and so do
    # the rows of plain many-to-many tables (SDGs): those are compared without their ids.
    plain = [table for table in tables() if table not in {Version._meta.db_table, SDGS}]
    with connection.cursor() as cursor:
        before = {table: rows(cursor, table) for table in plain}
    versions = list(Version.objects.order_by("pk").values_list(*VERSION))
    sdgs = sorted(Plan.sdgs.through.objects.values_list("plan", "sdg"))
    backup = tmp_path / "acclab.yaml"
    call_command("dumpdata", *DUMPDATA, "-o", str(backup), verbosity=0)

    call_command("flush", "--no-input", verbosity=0)  # an empty database, its content types recreated
    assert not Plan.objects.exists()
    call_command("loaddata", str(backup), verbosity=0)

    with connection.cursor() as cursor:
        for table in plain:
            assert before[table], f"{table} is empty: the test data must cover it"
            assert rows(cursor, table) == before[table], table
    assert versions and sdgs
    assert list(Version.objects.order_by("pk").values_list(*VERSION)) == versions
    assert sorted(Plan.sdgs.through.objects.values_list("plan", "sdg")) == sdgs
    plan = Plan.objects.get()
    assert Version.objects.get_for_object(plan).get().revision.user == focal_point
