"""import_plans / export_plans over small real files (tests/fixtures/archive/real, copied from the corpus)
and handmade bad inputs (tests/fixtures/archive/bad)."""

import importlib.util
import io
import shutil
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.urls import reverse

from plans import search
from plans.archive import importer
from plans.archive.dump import PREFETCH, dump
from plans.archive.load import Loader
from plans.archive.write import write
from plans.models import (
    Barrier,
    BlogLink,
    ExtraAnswer,
    Insight,
    Lab,
    LearningQuestion,
    Partnership,
    Plan,
)
from plans.parts import CHILDREN
from tests.conftest import FIXTURES, NORMALISE, needs_corpus

REAL = FIXTURES / "archive" / "real"
BAD = FIXTURES / "archive" / "bad"
OPENING = REAL / "youth_entrepreneurship.md"
CLOSING_V1 = REAL / "closing_viet_nam_governmentpublic_sector_innovation.md"
CLOSING_V2 = REAL / "100__fish_use_completed.md"
HYBRID = REAL / "promoting_circular_economy_in_philippine_cities.md"
FRENCH = REAL / "nous_avons__t__confront_s___un_probl_me_d_inad_quation_des__quipements_de_b_.md"
SPANISH = (
    REAL
    / "dise_ar_y_probar_productos_clim_ticos_para_mejorar_la_toma_de_decisiones_locales_en_respuesta_al_c_.md"
)
HEADER_ONLY = REAL / "facilitating_community_ownership_of_development_initiatives.md"
SIX_PARTNERS = REAL / "inclusive_and_innovative_approaches_to_increase_waste_collection_service_subscr_.md"


def run(*args, **options) -> tuple[str, str, int]:
    """Run import_plans; returns (stdout, stderr, exit status)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_plans", *map(str, args), stdout=out, stderr=err, **options)
    except CommandError:
        return out.getvalue(), err.getvalue(), 1
    return out.getvalue(), err.getvalue(), 0


def exported(plan: Plan) -> str:
    return write(dump(Plan.objects.prefetch_related(*PREFETCH).get(pk=plan.pk)))


def compare(a: str, b: str) -> tuple[bool, str]:
    spec = importlib.util.spec_from_file_location("normalise", NORMALISE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.compare(a, b)


def counts() -> dict[str, int]:
    return {
        m.__name__: m.objects.count()
        for m in (Plan, Insight, Barrier, Partnership, LearningQuestion, BlogLink, ExtraAnswer, Lab)
    }


# ------------------------------------------------------------------ templates and languages


@needs_corpus
@pytest.mark.django_db
@pytest.mark.parametrize("path", sorted(REAL.glob("*.md")), ids=lambda p: p.name[:40])
def test_it_exports_each_fixture_equivalent_to_its_source(path):
    _out, err, code = run(path)
    assert code == 0, err
    ok, message = compare(path.read_text(encoding="utf-8"), exported(Plan.objects.get(source_file=path.name)))
    assert ok, f"{path.name}: {message}"


@pytest.mark.django_db
def test_it_fills_an_opening_plan():
    out, _err, code = run(OPENING)
    assert code == 0 and out.startswith("imported 1, updated 0, failed 0 in ")
    plan = Plan.objects.get(source_file=OPENING.name)
    assert (plan.form_version, plan.kind, plan.status) == ("opening", "opening", "published")
    assert plan.published_at == datetime(plan.year, 1, 1, tzinfo=UTC)
    assert plan.lab.name == f"Accelerator Lab {plan.country}"
    assert plan.plan_name and plan.challenge_statement and plan.background
    assert plan.learning_questions.count() >= 1
    assert all(set(q.stages) <= {"sense", "explore", "test", "grow"} for q in plan.learning_questions.all())
    assert plan.partnerships.exists()
    assert plan.methods.exists() or plan.datasources.exists()
    assert plan.latitude is not None and plan.longitude is not None


@pytest.mark.django_db
def test_it_fills_a_first_form_closing_report():
    run(CLOSING_V1)
    plan = Plan.objects.get(source_file=CLOSING_V1.name)
    assert plan.form_version == "closing_v1" and plan.kind == "closing"
    assert plan.insights.count() == 1 and plan.barriers.count() == 1
    assert plan.partners_academic.startswith("We worked with 2 national universities")
    assert plan.why_data and plan.why_methods
    assert plan.extra_answers.filter(answer="1 blogs pending approval").exists()
    assert plan.evidence.get().image_url.endswith("98eff71712dfdb59953f20ff479eb2d3.jpg")


@pytest.mark.django_db
def test_it_fills_a_second_form_closing_report():
    run(CLOSING_V2)
    plan = Plan.objects.get(source_file=CLOSING_V2.name)
    assert plan.form_version == "closing_v2"
    assert plan.handover_options == ["not_scaled"]
    assert plan.insights.count() == 5
    partner = plan.partnerships.get()
    assert partner.name == "Tototo (Think Sea Corp)"
    assert partner.description.startswith("Tototo (Think Sea Corp) is a Japanese company")
    assert (partner.sector, partner.is_new_and_unusual) == ("unknown", "unknown")


@pytest.mark.django_db
def test_it_fills_a_hybrid_plan():
    run(HYBRID)
    plan = Plan.objects.get(source_file=HYBRID.name)
    assert plan.form_version == "hybrid" and plan.kind == "hybrid"
    assert plan.plan_name and plan.learning_questions.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "language"), [(FRENCH, "fr"), (SPANISH, "es")])
def test_it_reads_localised_headings(path, language):
    run(path)
    plan = Plan.objects.get(source_file=path.name)
    assert plan.language == language
    assert not plan.extra_answers.filter(prompt="").exists()  # every heading was recognised


@pytest.mark.django_db
def test_it_imports_a_header_only_plan():
    _out, err, code = run(HEADER_ONLY)
    assert code == 0, err
    plan = Plan.objects.get(source_file=HEADER_ONLY.name)
    assert plan.country == "Nigeria" and plan.archive_layout["sections"] == []


@pytest.mark.django_db
def test_it_imports_six_partners():
    run(SIX_PARTNERS)
    assert Plan.objects.get(source_file=SIX_PARTNERS.name).partnerships.count() == 6


@pytest.mark.django_db
def test_it_imports_as_draft_when_asked():
    run(OPENING, status="draft")
    plan = Plan.objects.get(source_file=OPENING.name)
    assert plan.status == "draft" and plan.published_at is None


# ------------------------------------------------------------------ re-import


@pytest.mark.django_db
def test_it_changes_nothing_when_the_same_file_is_imported_again():
    run(REAL)
    before = counts()
    stamps = dict(Plan.objects.values_list("pk", "updated_at"))
    out, _err, code = run(REAL)
    assert code == 0 and out.startswith("imported 0, updated 0, failed 0")
    assert counts() == before
    assert dict(Plan.objects.values_list("pk", "updated_at")) == stamps


@pytest.mark.django_db
def test_it_lets_a_changed_file_win_only_where_it_changed(tmp_path):
    source = tmp_path / OPENING.name
    shutil.copy(OPENING, source)
    run(source)
    plan = Plan.objects.get(source_file=OPENING.name)
    plan.value_proposition = "Edited in the admin."
    plan.save()
    Insight.objects.create(plan=plan, position=9, text="An insight added in the admin.")
    old_background = plan.background
    source.write_text(
        source.read_text(encoding="utf-8").replace(old_background[:40], "Changed in the file: "),
        encoding="utf-8",
    )
    out, _err, _code = run(source)
    assert out.startswith("imported 0, updated 1, failed 0")
    plan.refresh_from_db()
    assert plan.background.startswith("Changed in the file: ")
    assert plan.value_proposition == "Edited in the admin."
    assert plan.insights.filter(text="An insight added in the admin.").exists()
    assert Plan.objects.filter(source_file=OPENING.name).count() == 1


@pytest.mark.django_db
def test_it_keeps_the_review_of_a_blog_link_on_reimport(tmp_path, reviewer):
    source = tmp_path / "blog.md"
    source.write_text(
        OPENING.read_text(encoding="utf-8").split("## ")[0]
        + "## Learnings on your challenge\n\n> Please paste the link(s) to the blog(s) that articulate the "
        "learnings on your frontier challenge.\n[https://blog.example/a](https://blog.example/a)\n",
        encoding="utf-8",
    )
    run(source)
    link = BlogLink.objects.get()
    assert link.status == "pending"
    BlogLink.objects.filter(pk=link.pk).update(status="approved", reviewed_by=reviewer)
    source.write_text(source.read_text(encoding="utf-8") + "\nAnd a sentence.\n", encoding="utf-8")
    run(source)
    assert BlogLink.objects.get().status == "approved"


# ------------------------------------------------------------------ export


@needs_corpus
@pytest.mark.django_db
def test_it_exports_edits_made_in_the_admin():
    run(CLOSING_V2)
    plan = Plan.objects.get(source_file=CLOSING_V2.name)
    plan.why_methods = "Because it was practical, and fast."
    plan.save()
    Insight.objects.create(plan=plan, position=10, text="6. A sixth insight.")
    Partnership.objects.create(plan=plan, position=5, name="New Partner Ltd", description="Printing.")
    BlogLink.objects.create(plan=plan, position=3, url="https://blog.example/new")
    text = exported(plan)
    for expected in (
        "Because it was practical, and fast.",
        "6. A sixth insight.",
        "New Partner Ltd",
        "[https://blog.example/new](https://blog.example/new)",
    ):
        assert expected in text
    assert text.index("6. A sixth insight.") < text.index("## Data and Methods")
    assert text.index("New Partner Ltd") < text.index("## End")


@needs_corpus
@pytest.mark.django_db
def test_it_round_trips_a_challenge_type_set_in_the_admin(tmp_path):
    """The archive never carried the big-bet/exploratory choice, but a plan that has one keeps it through
    export and re-import; the instruction text under the prompt stays an answer of its own."""
    run(OPENING, HYBRID)
    for source, value in ((OPENING, "big_bet"), (HYBRID, "exploratory")):
        Plan.objects.filter(source_file=source.name).update(challenge_type=value)
    texts = {p.source_file: exported(p) for p in Plan.objects.all()}
    assert "Big bet" in texts[OPENING.name] and "Exploratory" in texts[HYBRID.name]
    for name, text in texts.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    extras = sorted(ExtraAnswer.objects.values_list("answer", flat=True))
    Plan.objects.all().delete()
    run(tmp_path)
    assert dict(Plan.objects.values_list("source_file", "challenge_type")) == {
        OPENING.name: "big_bet",
        HYBRID.name: "exploratory",
    }
    assert sorted(ExtraAnswer.objects.values_list("answer", flat=True)) == extras


@needs_corpus
@pytest.mark.django_db
def test_it_keeps_a_challenge_type_set_before_the_archive_carried_it(tmp_path):
    """Plans imported before the challenge type was read have no snapshot of it: re-importing a changed
    file must not blank the value set in the admin since."""
    run(OPENING)
    plan = Plan.objects.get()
    layout = plan.archive_layout
    del layout["snapshot"]["plan.challenge_type"]
    Plan.objects.filter(pk=plan.pk).update(challenge_type="big_bet", archive_layout=layout)
    changed = tmp_path / OPENING.name
    changed.write_text(OPENING.read_text(encoding="utf-8") + "\nOne more closing line.\n", encoding="utf-8")
    _out, err, code = run(changed)
    assert code == 0, err
    assert Plan.objects.get().challenge_type == "big_bet"


@pytest.mark.django_db
def test_it_round_trips_the_challenge_type_of_an_admin_authored_plan(plan_factory, tmp_path):
    from plans.archive.mapping import read
    from plans.archive.parse import parse

    plan = plan_factory(title="Authored", challenge_type="exploratory", challenge_statement="Markets.")
    content, _layout = read(parse(exported(plan))[0])
    assert content["plan"]["challenge_type"] == "exploratory"
    assert content["extra_answers"] == []


@pytest.mark.django_db
def test_it_exports_the_other_plans_when_one_layout_is_broken(plan_factory, tmp_path):
    good = plan_factory(title="Good plan")
    broken = plan_factory(title="Broken plan", archive_layout={"v": 1, "sections": 5})
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError):
        call_command("export_plans", "--out", str(tmp_path), stdout=out, stderr=err)
    assert [p.name for p in tmp_path.iterdir()] == [f"{good.slug}.md"]
    assert broken.slug in err.getvalue()
    assert out.getvalue().startswith("exported 1 plans to ") and "(1 failed)" in out.getvalue()


@pytest.mark.django_db
def test_it_never_overwrites_a_plan_that_only_carries_the_file_name(plan_factory, lab_b):
    """A plan of another lab given the file name of an archive file (typed or copied in the admin) is not
    the plan that file updates on re-import: the importer wrote no fingerprint into it."""
    squatter = plan_factory(title="Lab B's own plan", lab=lab_b, source_file=OPENING.name)
    _out, err, code = run(OPENING)
    assert code == 1 and OPENING.name in err
    squatter.refresh_from_db()
    assert (squatter.title, squatter.lab, squatter.archive_layout) == ("Lab B's own plan", lab_b, {})
    assert Plan.objects.count() == 1


@pytest.mark.django_db
def test_it_exports_an_admin_authored_plan_with_its_template(plan_factory, tmp_path):
    plan = plan_factory(title="Authored here", form_version="closing_v2", background="", why_data="Surveys.")
    Insight.objects.create(plan=plan, text="First insight.")
    text = exported(plan)
    assert text.startswith("# Authored here\n")
    assert "## Learnings on your challenge" in text and "## Data and Methods" in text
    assert "> What are the top key insights" in text and "Surveys." in text
    call_command("export_plans", "--out", str(tmp_path), stdout=io.StringIO())
    assert (tmp_path / f"{plan.slug}.md").read_text(encoding="utf-8") == text


@pytest.mark.django_db
def test_it_exports_files_named_like_their_source(tmp_path):
    run(CLOSING_V1, OPENING, status="draft")
    out = io.StringIO()
    call_command("export_plans", "--out", str(tmp_path), "--status", "draft", stdout=out)
    assert out.getvalue().startswith("exported 2 plans")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([CLOSING_V1.name, OPENING.name])


# ------------------------------------------------------------------ bad input


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.md", ":1: empty file"),
        ("binary.md", "binary data"),
        ("no_header.md", ":1: no header"),
        ("truncated_group.md", ":16: truncated group"),
        ("latin1.md", ":1: not valid UTF-8"),
    ],
)
def test_it_reports_a_bad_file_and_writes_nothing(name, message):
    before = counts()
    out, err, code = run(BAD / name, OPENING)
    assert code == 1
    assert f"{BAD / name}" in err and message in err
    assert "Traceback" not in err
    assert out.startswith("imported 1, updated 0, failed 1 in ")
    assert counts()["Plan"] == before["Plan"] + 1  # the good file is still imported


@pytest.mark.django_db
def test_it_warns_about_a_stray_closing_div_and_imports_the_plan():
    _out, err, code = run(BAD / "stray_div.md")
    assert code == 0
    assert f"{BAD / 'stray_div.md'}:16: warning: </div> without" in err
    plan = Plan.objects.get(source_file="stray_div.md")
    assert plan.background == "Some background."


@needs_corpus
@pytest.mark.django_db
def test_it_keeps_an_unknown_heading_verbatim():
    path = BAD / "unknown_heading.md"
    _out, err, code = run(path)
    assert code == 0 and "warning: unknown heading 'Annexe technique' kept verbatim" in err
    plan = Plan.objects.get(source_file=path.name)
    extra = plan.extra_answers.get(section="Annexe technique")
    assert "> Behavioral insights: a line that looks like a prompt" in extra.answer
    assert compare(path.read_text(encoding="utf-8"), exported(plan))[0]


@pytest.mark.django_db
def test_it_refuses_a_file_above_the_size_limit(tmp_path):
    big = tmp_path / "big.md"
    big.write_text(OPENING.read_text(encoding="utf-8") + "x" * (5 * 1024 * 1024), encoding="utf-8")
    _out, err, code = run(big)
    assert code == 1 and f"{big}:1: file is larger than the 2 MB limit" in err
    assert not Plan.objects.exists()


@pytest.mark.django_db
def test_it_refuses_the_same_file_name_in_two_folders(tmp_path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        shutil.copy(OPENING, tmp_path / folder / OPENING.name)
    _out, err, code = run(tmp_path / "a", tmp_path / "b")
    assert code == 1
    assert f"{tmp_path / 'b' / OPENING.name}:1: same file name as {tmp_path / 'a' / OPENING.name}" in err
    assert Plan.objects.count() == 1


@pytest.mark.django_db
def test_it_writes_nothing_on_a_dry_run():
    out, _err, code = run(REAL, dry_run=True)
    assert code == 0 and out.startswith(f"dry run: imported {len(list(REAL.glob('*.md')))}, updated 0")
    assert not Plan.objects.exists()


@pytest.mark.django_db
def test_it_reports_on_a_dry_run_what_a_real_run_would_do(tmp_path):
    """Unchanged files are unchanged, a changed one updated, a file that differs in blank lines only
    unchanged, a new one imported: the same summary as the real run, and nothing written."""
    for path in (OPENING, CLOSING_V1, CLOSING_V2):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    run(tmp_path)
    (tmp_path / CLOSING_V1.name).write_text(
        CLOSING_V1.read_text(encoding="utf-8").replace("\n\n", "\n\n\n", 3), encoding="utf-8"
    )
    (tmp_path / CLOSING_V2.name).write_text(
        CLOSING_V2.read_text(encoding="utf-8") + "\nA late answer.\n", encoding="utf-8"
    )
    (tmp_path / HYBRID.name).write_bytes(HYBRID.read_bytes())
    before = counts(), list(Plan.objects.values_list("pk", "updated_at", "archive_layout"))
    dry, _err, code = run(tmp_path, dry_run=True)
    assert code == 0
    assert (counts(), list(Plan.objects.values_list("pk", "updated_at", "archive_layout"))) == before
    real, _err, _code = run(tmp_path)
    summary = "imported 1, updated 1, failed 0"
    assert dry.startswith(f"dry run: {summary}") and real.startswith(summary)
    assert "(2 unchanged)" in dry and "(2 unchanged)" in real


# ------------------------------------------------------------------ download view


@pytest.mark.django_db
def test_it_downloads_a_published_plan_for_anonymous_users(client):
    run(CLOSING_V1)
    plan = Plan.objects.get(source_file=CLOSING_V1.name)
    response = client.get(reverse("plans:archive", kwargs={"slug": plan.slug}))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{CLOSING_V1.name}"'
    assert response.content.decode().startswith("# Closing Viet Nam Government/Public Sector Innovation\n")


@pytest.mark.django_db
def test_it_hides_a_draft_plan_from_anonymous_users(client):
    run(CLOSING_V1, status="draft")
    plan = Plan.objects.get(source_file=CLOSING_V1.name)
    assert client.get(reverse("plans:archive", kwargs={"slug": plan.slug})).status_code == 404


@pytest.mark.django_db
def test_it_downloads_a_draft_plan_for_a_superuser(client, superuser):
    run(CLOSING_V1, status="draft")
    plan = Plan.objects.get(source_file=CLOSING_V1.name)
    client.force_login(superuser)
    assert client.get(reverse("plans:archive", kwargs={"slug": plan.slug})).status_code == 200


@pytest.mark.django_db
def test_it_round_trips_an_admin_authored_plan_through_its_export(plan_factory, tmp_path):
    from plans.archive.mapping import read
    from plans.archive.parse import parse
    from plans.models import Evidence

    plan = plan_factory(
        complete=False,  # exactly the rows below
        title="Authored opening plan",
        form_version="opening",
        plan_name="Cleaner markets",
        challenge_statement="Our challenge is that markets are dirty.",
        tweet_summary="Clean markets!",
        section_markers=True,
    )
    Partnership.objects.create(
        plan=plan,
        position=0,
        name="City hall",
        sector="government",
        description="Permits.",
        is_new_and_unusual="no",
    )
    Partnership.objects.create(plan=plan, position=1, name="Traders union", description="Outreach.")
    LearningQuestion.objects.create(plan=plan, position=0, question="What works?", stages=["sense", "test"])
    LearningQuestion.objects.create(plan=plan, position=1, question="For whom?", data_gaps="Census is old.")
    Evidence.objects.create(plan=plan, position=0, kind="quantitative", text="40 % of waste is organic.")
    Evidence.objects.create(plan=plan, position=1, kind="qualitative", image_url="https://img.example/a.jpg")
    text = exported(plan)
    assert "****" in text and text.count("## Learning questions") == 2
    content, _layout = read(parse(text)[0])
    assert content["plan"]["plan_name"] == "Cleaner markets"
    assert content["plan"]["tweet_summary"] == "Clean markets!"
    assert [(p["name"], p["sector"]) for p in content["partners"]] == [
        ("City hall", "government"),
        ("Traders union", "unknown"),
    ]
    assert [(q["question"], q["stages"], q["data_gaps"]) for q in content["learning_questions"]] == [
        ("What works?", ["sense", "test"], ""),
        ("For whom?", [], "Census is old."),
    ]
    assert [(e["kind"], e["text"], e["image_url"]) for e in content["evidence"]] == [
        ("quantitative", "40 % of waste is organic.", ""),
        ("qualitative", "", "https://img.example/a.jpg"),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("form", ["closing_v1", "closing_v2"])
def test_it_round_trips_an_admin_authored_closing_report(plan_factory, form):
    from plans.archive.mapping import read
    from plans.archive.parse import parse

    plan = plan_factory(
        complete=False,  # exactly the rows below
        title="Authored closing report",
        form_version=form,
        handover_options=["policy", "other"],
        time_sense=10,
        time_explore=20,
        time_test=30,
        time_grow=40,
        partners_un="UNICEF.",
    )
    Insight.objects.create(plan=plan, position=0, text="Insight one.")
    Barrier.objects.create(plan=plan, position=0, text="Barrier one.")
    BlogLink.objects.create(plan=plan, position=0, url="https://blog.example/b")
    content, _layout = read(parse(exported(plan))[0])
    assert content["plan"]["form_version"] == form
    assert content["insights"] == [{"text": "Insight one."}]
    assert content["blog_links"] == [{"url": "https://blog.example/b"}]
    if form == "closing_v1":
        assert content["plan"]["partners_un"] == "UNICEF."
    else:
        assert content["plan"]["handover_options"] == ["policy", "other"]
    # Barriers and the time split are not questions of the second form: exported all the same.
    assert content["barriers"] == [{"text": "Barrier one."}]
    assert [content["plan"][f] for f in ("time_sense", "time_explore", "time_test", "time_grow")] == [
        10,
        20,
        30,
        40,
    ]


HANDMADE = FIXTURES / "archive" / "handmade" / "spec_edge_cases.md"


@pytest.mark.django_db
def test_it_follows_the_spec_beyond_the_corpus():
    """BOM, CRLF, a title on line two, an empty tag value, an SDG typo, ## título / Les partenaires /
    Ailette, 18 blank lines, double-escaped entities, a link over two lines, a filled time split, a
    partner sector that is no choice, a group of images, and a file ending on a bare heading."""
    _out, err, code = run(HANDMADE)
    assert code == 0, err
    plan = Plan.objects.get(source_file=HANDMADE.name)
    assert plan.title == "Ailette & título: a plan written to the spec, not from the corpus"
    assert plan.form_version == "hybrid" and plan.plan_name == "Un nombre"
    assert (plan.time_sense, plan.time_explore, plan.time_test, plan.time_grow) == (25, 25, 25, 25)
    assert [i.text for i in plan.insights.all()] == [
        "First insight,\nwith a line break.",
        "Second &amp;nbsp; insight.",
    ]
    assert plan.blog_links.get().url == "https://blog.example/one\r\nhttps://blog.example/two".replace(
        "\r", ""
    )
    assert sorted(s.number for s in plan.sdgs.all()) == [10, 13]
    assert [t.name for t in plan.datasources.all()] == ["Drone & Satellite data"]
    assert [t.name for t in plan.methods.all()] == ["Drone & Satellite data"]
    partner = plan.partnerships.get()
    assert (partner.name, partner.is_new_and_unusual) == ("Universidad", "yes")
    assert plan.extra_answers.filter(answer="Academia y ONGs").exists()
    assert plan.evidence.filter(kind="supporting").count() == 2
    assert plan.lab.name == "Accelerator Lab East Timor"


@needs_corpus
@pytest.mark.django_db
def test_it_exports_the_spec_edge_cases_equivalent_to_their_source():
    run(HANDMADE)
    plan = Plan.objects.get(source_file=HANDMADE.name)
    ok, message = compare(HANDMADE.read_bytes().decode("utf-8"), exported(plan))
    assert ok, message


@pytest.mark.django_db
def test_it_leaves_a_plan_alone_when_only_blank_lines_changed(tmp_path):
    source = tmp_path / OPENING.name
    shutil.copy(OPENING, source)
    run(source)
    stamp = Plan.objects.get().updated_at
    source.write_text(source.read_text(encoding="utf-8").replace("\n\n", "\n\n\n"), encoding="utf-8")
    out, _err, _code = run(source)
    assert out.startswith("imported 0, updated 0, failed 0") and "(1 unchanged)" in out
    assert Plan.objects.get().updated_at == stamp
    out, _err, _code = run(source)
    assert "(1 unchanged)" in out  # the new fingerprint was stored


@pytest.mark.django_db
def test_it_exports_partner_fields_and_a_time_split_filled_in_later():
    from plans.archive.mapping import read
    from plans.archive.parse import parse

    run(CLOSING_V1)
    plan = Plan.objects.get(source_file=CLOSING_V1.name)
    Plan.objects.filter(pk=plan.pk).update(time_sense=40, time_explore=30, time_test=20, time_grow=10)
    run(CLOSING_V2)
    report = Plan.objects.get(source_file=CLOSING_V2.name)
    Partnership.objects.filter(plan=report).update(sector="private", is_new_and_unusual="yes")
    content, _layout = read(parse(exported(plan))[0])
    assert [content["plan"][f] for f in ("time_sense", "time_explore", "time_test", "time_grow")] == [
        40,
        30,
        20,
        10,
    ]
    content, _layout = read(parse(exported(report))[0])
    assert [(p["name"], p["sector"], p["is_new_and_unusual"]) for p in content["partners"]] == [
        ("Tototo (Think Sea Corp)", "private", "yes")
    ]


@pytest.mark.django_db
def test_it_tags_a_plan_once_when_a_file_repeats_a_tag(tmp_path):
    source = tmp_path / OPENING.name
    text = OPENING.read_text(encoding="utf-8")
    source.write_text(
        text.replace("[[methods:Solutions Mapping]]", "[[methods:Solutions Mapping]]\n" * 2), "utf-8"
    )
    _out, _err, code = run(source)
    assert code == 0
    plan = Plan.objects.get(source_file=OPENING.name)
    assert list(plan.methods.values_list("name", flat=True)).count("Solutions Mapping") == 1


def test_it_archives_only_fields_each_child_model_has():
    """The archive's child fields come from plans/parts.py (partners and learning questions from the
    catalogue's prompts); the loader writes them back as model fields, so each must be one."""
    for child in CHILDREN:
        names = {f.name for f in child.model._meta.get_fields()}
        assert child.archived and set(child.archived) <= names, child.model_name


def imported_state() -> tuple[list, list, list]:
    """Every plan as its export, stored layout and clean HTML, its children's clean HTML, by file; the labs;
    the search index."""
    plans = []
    for plan in Plan.objects.prefetch_related(*PREFETCH).order_by("source_file"):
        children = [
            [row.answers_html for row in getattr(plan, c.related_name).all()]
            for c in CHILDREN
            if c.answer_fields
        ]
        plans.append((plan.source_file, write(dump(plan)), plan.archive_layout, plan.answers_html, children))
    return plans, sorted(Lab.objects.values_list("name", "iso3")), index_rows()


def index_rows() -> list[tuple]:
    """The search index's rows, by file name (vectors as text on PostgreSQL)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT p.source_file, t.title, t.body, s.document::text, r.ranking::text "
                "FROM plans_searchindex s JOIN plans_plan p ON p.id = s.plan_id "
                "JOIN plans_searchtext t ON t.plan_id = s.plan_id "
                "JOIN plans_searchranking r ON r.plan_id = s.plan_id ORDER BY 1"
            )
        else:
            cursor.execute(
                "SELECT p.source_file, s.title, s.body, s.title_words, s.title_stems, s.body_words, "
                "s.body_stems FROM plans_searchindex s JOIN plans_plan p ON p.id = s.rowid ORDER BY 1"
            )
        return cursor.fetchall()


@pytest.mark.django_db
def test_it_reads_files_ahead_in_another_process_with_the_same_result(tmp_path, monkeypatch):
    """With many files, a forked process reads and maps them while this one writes: the plans, their stored
    layouts and clean HTML, and every message (in order, with FILE:LINE) are those of reading them here."""
    for path in [*REAL.glob("*.md"), *BAD.glob("*.md")]:
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "again").mkdir()
    shutil.copy(OPENING, tmp_path / "again" / OPENING.name)  # refused: the same file name
    forks = []
    get_context = importer.mp.get_context
    monkeypatch.setattr(
        importer.mp, "get_context", lambda method: forks.append(method) or get_context(method)
    )
    results = []
    for read_ahead_from in (1, 10**9):
        monkeypatch.setattr(importer, "READ_AHEAD_FROM", read_ahead_from)
        with transaction.atomic():  # rolled back: the second run starts from the same empty database
            out, err, code = run(tmp_path)
            results.append((out.split(" in ")[0], err, code, imported_state()))
            transaction.set_rollback(True)
    assert forks == ["fork"]  # the first run only
    assert results[0] == results[1]
    out, err, code, (plans, _labs, rows) = results[0]
    assert len(rows) == len(plans) == 20
    assert out == "imported 20, updated 0, failed 6" and code == 1
    assert f"{tmp_path / 'truncated_group.md'}:16: truncated group" in err
    assert f"{tmp_path / 'stray_div.md'}:16: warning: </div> without" in err
    assert f"{tmp_path / OPENING.name}:1: same file name as {tmp_path / 'again' / OPENING.name}" in err


def test_it_raises_an_error_of_the_reading_process_and_leaves_no_process_behind(tmp_path, monkeypatch):
    """An unexpected error while reading ahead stops the import with that error, not with a silent end of
    the files; and a reader stopped early (the importer failed) does not outlive the import."""
    for path in REAL.glob("*.md"):
        shutil.copy(path, tmp_path / path.name)
    files = importer.collect([str(tmp_path)])
    monkeypatch.setattr(importer, "READ_AHEAD_FROM", 1)
    prepare = importer.prepare

    def failing(path, known_sha):
        if path == files[3]:
            raise RuntimeError(f"cannot read {path.name}")
        return prepare(path, known_sha)

    monkeypatch.setattr(importer, "prepare", failing)
    read = []
    with pytest.raises(RuntimeError, match=f"cannot read {files[3].name}"):
        for path, _found in importer.prepared(files, {}):
            read.append(path)
    assert read == files[:3]
    assert importer.mp.active_children() == []

    stopped = importer.prepared(files, {})
    assert next(stopped)[0] == files[0]
    stopped.close()  # as when the importer raises between two files
    assert importer.mp.active_children() == []


@pytest.mark.django_db
def test_it_indexes_plans_analysed_ahead_as_it_would_analyse_them_itself(tmp_path, monkeypatch):
    """The reading process analyses a new plan's words for the search index from what it knew when it
    started; a lab that an earlier file of the same import creates under another spelling of the country
    makes that guess wrong, and the plan is analysed again, with its lab's real name."""
    for path in REAL.glob("*.md"):
        shutil.copy(path, tmp_path / path.name)
    text = CLOSING_V1.read_text(encoding="utf-8")
    assert "[[country:Vietnam]]" in text
    (tmp_path / "zz_viet_nam.md").write_text(
        text.replace("[[country:Vietnam]]", "[[country:Viet Nam]]"), "utf-8"
    )
    monkeypatch.setattr(importer, "READ_AHEAD_FROM", 1)
    analysed_here = []
    index_row = search.index_row
    monkeypatch.setattr(search, "index_row", lambda *row: analysed_here.append(row[0]) or index_row(*row))
    results = []
    for ahead in (True, False):
        if not ahead:
            monkeypatch.setattr(Loader, "index_ahead", lambda self, p: None)
        analysed_here.clear()
        with transaction.atomic():
            out, _err, code = run(tmp_path)
            assert code == 0 and out.startswith("imported 19,")
            results.append(index_rows())
            if ahead:  # only the plan whose lab was guessed wrong, in this process
                assert Plan.objects.filter(pk__in=analysed_here).get().source_file == "zz_viet_nam.md"
                body = next(row[2] for row in results[0] if row[0] == "zz_viet_nam.md")
                assert "Accelerator Lab Vietnam" in body and "Accelerator Lab Viet Nam" not in body
            transaction.set_rollback(True)
    assert len(analysed_here) == 19
    assert results[0] == results[1]


@pytest.mark.django_db
def test_it_refreshes_the_planners_statistics_after_a_large_import(monkeypatch):
    called = []
    monkeypatch.setattr(importer, "refresh_statistics", lambda: called.append(True))
    monkeypatch.setattr(importer, "STATISTICS_AFTER", 3)
    run(OPENING, FRENCH)
    assert not called  # two plans: too few to change a plan
    run(CLOSING_V1, CLOSING_V2, HYBRID)
    assert called == [True]
