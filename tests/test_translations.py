"""The French and Spanish catalogues: complete, faithful to their placeholders, current with the code,
compiled, and actually served.

The compiled .mo files are committed (a fresh machine serves the translations without gettext's tools), so
the tests also check that each .mo says what its .po says.
"""

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import polib
import pytest
from django.utils.html import escape

REPO = Path(__file__).resolve().parent.parent
LANGUAGES = ["fr", "es"]
# The README's command: the same places left out as when the catalogues were made.
IGNORE = [".venv/*", "static/vendor/*", "tests/*", "bench/*"]
PERCENT = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")
BRACE = re.compile(r"\{[^{}]*\}")
TAG = re.compile(r"</?[a-zA-Z][^>]*>")


DOMAINS = ["django", "djangojs"]  # the templates' and Python's texts; the scripts' (static/js)


def catalogue(language: str, root: Path = REPO, domain: str = "django") -> polib.POFile:
    return polib.pofile(str(root / "locale" / language / "LC_MESSAGES" / f"{domain}.po"))


def markers(entry: polib.POEntry, text: str) -> Counter:
    """What a translation must carry over unchanged: format placeholders (as the entry's flags say the text
    is formatted) and HTML tags."""
    found = TAG.findall(text)
    if "python-format" in entry.flags:
        found += PERCENT.findall(text)
    if "python-brace-format" in entry.flags:
        found += BRACE.findall(text)
    return Counter(found)


def translations(entry: polib.POEntry) -> list[tuple[str, str]]:
    """(source, translation) pairs: the singular form against the msgid, the others against the plural."""
    if not entry.msgid_plural:
        return [(entry.msgid, entry.msgstr)]
    return [
        (entry.msgid if n == 0 else entry.msgid_plural, s) for n, s in sorted(entry.msgstr_plural.items())
    ]


def unfinished(po: polib.POFile) -> list[str]:
    return [e.msgid for e in po if not e.obsolete and (e.fuzzy or not e.translated())]


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_it_translates_every_entry(language, domain):
    po = catalogue(language, domain=domain)
    assert len(po) > (500 if domain == "django" else 2)
    assert unfinished(po) == []
    assert po.metadata["Language"] == language
    assert po.metadata["Plural-Forms"].startswith("nplurals=2;")
    assert not po.metadata_is_fuzzy
    for entry in po:
        for _source, text in translations(entry):
            assert text.strip(), entry.msgid


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_it_keeps_the_placeholders_and_tags_of_each_entry(language, domain):
    wrong = [
        (entry.msgid, text)
        for entry in catalogue(language, domain=domain)
        for source, text in translations(entry)
        if markers(entry, text) != markers(entry, source)
    ]
    assert wrong == []


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_it_commits_a_compiled_catalogue_that_matches_the_source(language, domain):
    path = REPO / "locale" / language / "LC_MESSAGES" / f"{domain}.mo"
    assert path.is_file()
    compiled = polib.mofile(str(path))
    served = {(e.msgctxt, e.msgid): e.msgstr_plural or e.msgstr for e in compiled if e.msgid}
    written = {(e.msgctxt, e.msgid): e.msgstr_plural or e.msgstr for e in catalogue(language, domain=domain)}
    assert served == written, "run: manage.py compilemessages -l fr -l es --ignore '.venv/*'"


@pytest.mark.skipif(
    not (shutil.which("xgettext") and shutil.which("msgmerge")),
    reason="GNU gettext (xgettext, msgmerge) is not installed; .ci/run installs it",
)
def test_it_has_nothing_left_to_translate_after_makemessages(tmp_path):
    # makemessages rewrites the catalogues it finds, so it runs on a copy of the project: the strings the
    # code marks today, merged into the committed catalogues, must all be translated already.
    copy = tmp_path / "project"
    shutil.copytree(
        REPO,
        copy,
        ignore=shutil.ignore_patterns(
            ".git",
            ".venv",
            "node_modules",
            "tests",
            "bench",
            "vendor",
            "test-artifacts",
            "media",
            "staticfiles",
            "__pycache__",
            ".ruff_cache",
            "db.sqlite3*",
        ),
    )
    languages = [arg for language in LANGUAGES for arg in ("-l", language)]
    ignores = [arg for pattern in IGNORE for arg in ("--ignore", pattern)]
    for domain in DOMAINS:
        subprocess.run(
            [
                sys.executable,
                "manage.py",
                "makemessages",
                "-d",
                domain,
                *languages,
                *ignores,
                "--no-obsolete",
            ],
            cwd=copy,
            check=True,
            capture_output=True,
        )
    left = {
        (language, domain): unfinished(catalogue(language, copy, domain))
        for language in LANGUAGES
        for domain in DOMAINS
    }
    assert left == dict.fromkeys(left, []), "run makemessages (-d django, -d djangojs) and translate these"


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_it_serves_the_public_pages_in_the_language_of_their_prefix(client, language):
    words = next(e.msgstr for e in catalogue(language) if e.msgid == "Search plans")
    assert words != "Search plans"

    html = client.get(f"/{language}/").content.decode()

    assert f'<html lang="{language}"' in html
    assert escape(words) in html
    assert escape(words) not in client.get("/").content.decode()
