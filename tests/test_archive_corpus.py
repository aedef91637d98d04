"""The whole development corpus (../shared/corpus, 882 real plans): every file must come back equivalent
under ../shared/tools/normalise.py, after parse → write and after import → export through the database."""

import functools
import importlib.util
import io

import pytest
from django.core.management import call_command
from django.db import transaction

from plans.archive.parse import decode, parse
from plans.archive.write import write
from tests.conftest import CORPUS, NORMALISE, needs_corpus

pytestmark = [needs_corpus, pytest.mark.corpus]


def corpus_files():
    return sorted(p for p in CORPUS.glob("*.md") if p.name != "README.md")


def normaliser():
    spec = importlib.util.spec_from_file_location("normalise", NORMALISE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def compare():
    """normalise.py's compare, normalising each distinct text once: every file is compared twice (after
    parse → write and after import → export), and both outputs are usually the same text."""
    module = normaliser()
    module.normalise_text = functools.cache(module.normalise_text)
    return module.compare


@pytest.fixture(scope="module")
def imported(django_db_setup, django_db_blocker):
    """The corpus imported once for the tests that only read it, in a transaction rolled back after the last
    of them (each test runs in a savepoint inside it). Returns import_plans' output."""
    with django_db_blocker.unblock(), transaction.atomic():
        out = io.StringIO()
        call_command("import_plans", str(CORPUS), stdout=out, stderr=io.StringIO())
        yield out.getvalue()
        transaction.set_rollback(True)


def test_it_writes_back_every_corpus_file_after_parsing(compare):
    files = corpus_files()
    for n, path in enumerate(files, 1):
        source = decode(path.read_bytes())
        document, _warnings = parse(source)
        ok, message = compare(source, write(document))
        assert ok, f"{path.name}: {message} (after {n - 1} equivalent files)"
    print(f"parse-write {len(files)}/{len(files)}")


@pytest.mark.django_db
def test_it_round_trips_the_whole_corpus_through_the_database(imported, compare, tmp_path):
    files = corpus_files()
    assert imported.startswith(f"imported {len(files)}, updated 0, failed 0 in ")
    call_command("export_plans", "--out", str(tmp_path), stdout=io.StringIO())
    for n, path in enumerate(files, 1):
        exported = tmp_path / path.name
        assert exported.exists(), f"{path.name}: not exported"
        ok, message = compare(path.read_text(encoding="utf-8"), exported.read_text(encoding="utf-8"))
        assert ok, f"{path.name}: {message} (after {n - 1} equivalent files)"
    print(f"round-trip {len(files)}/{len(files)}")


@pytest.mark.django_db
def test_it_changes_nothing_when_the_corpus_is_imported_again(imported):
    from plans.models import ExtraAnswer, Insight, Plan

    before = (Plan.objects.count(), Insight.objects.count(), ExtraAnswer.objects.count())
    stamps = dict(Plan.objects.values_list("pk", "updated_at"))
    out = io.StringIO()
    call_command("import_plans", str(CORPUS), stdout=out, stderr=io.StringIO())
    assert out.getvalue().startswith("imported 0, updated 0, failed 0")
    assert (Plan.objects.count(), Insight.objects.count(), ExtraAnswer.objects.count()) == before
    assert dict(Plan.objects.values_list("pk", "updated_at")) == stamps


@pytest.mark.django_db
def test_it_holds_one_tag_per_idea_after_importing_the_corpus(imported):
    """No vocabulary holds two tags that differ only in case, accents, spacing or punctuation (issue 16)."""
    from plans.parts import TAG_VOCABULARIES
    from plans.tag_keys import tag_key

    for vocabulary in TAG_VOCABULARIES:
        names = list(vocabulary.tag_model.objects.values_list("name", flat=True))
        assert names, vocabulary.name
        assert len({tag_key(name) for name in names}) == len(names), vocabulary.name


@pytest.mark.django_db
def test_it_gives_every_corpus_lab_and_plan_a_country_code(imported):
    """Every lab gets its ISO 3166 alpha-3 code (one lab per country), each plan its country's code."""
    from plans.models import Lab, Plan

    assert Lab.objects.exists()
    assert list(Lab.objects.filter(iso3="").values_list("name", flat=True)) == []
    codes = list(Lab.objects.values_list("iso3", flat=True))
    assert len(codes) == len(set(codes))
    assert not Plan.objects.exclude(country="").filter(country_code="").exists()
