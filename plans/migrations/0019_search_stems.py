"""Search by stems (plans/search.py, "analysis"): the index holds words analysed in Python.

SQLite: a new FTS5 table whose indexed columns are the analysed words and stems of the title and the body
(both kept unindexed for excerpts). PostgreSQL: same columns, new contents. Both are refilled from the
title, body and language each row already holds (text in, index rows out), so no model of today's code is
read against a schema of the past.

The analysis is written out here, as it was when this migration was made, rather than imported from
plans/search.py, which will change: a migration must do the same on every database it ever runs on.
plans/search.py analyses the same way (faster); tests/test_search_migration.py checks that both write the
same rows, and a change to the analysis comes with a migration of its own that rewrites the index."""

import re
import threading
import unicodedata
from collections import defaultdict

import snowballstemmer
from django.db import migrations

SQLITE_TABLE = (
    "CREATE VIRTUAL TABLE {table} USING fts5(title UNINDEXED, body UNINDEXED, "
    "title_words, title_stems, body_words, body_stems, tokenize = 'unicode61 remove_diacritics 0')"
)
OLD_SQLITE_TABLE = (
    "CREATE VIRTUAL TABLE {table} USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2')"
)
CHUNK = 500
TABLE = "plans_searchindex"

# ------------------------------------------------------------------ the analysis of 0019
# A word of the text (\w+) is case-folded and stripped of diacritics, split into the terms FTS5's unicode61
# would see ([^\W_]+, at most 255 characters), and, in a plan in English, French or Spanish, each term
# also gets its Snowball stem tagged with the language ("en" TAG "farmer").

STEMMERS = {"en": "english", "fr": "french", "es": "spanish"}
TAG = "\ue002"
WORD = re.compile(r"\w+")
TERM = re.compile(r"[^\W_]+")
MAX_TERM = 255
MAX_POSITION = 16383
RANKED_WORDS = 150
_stemmers = threading.local()


def folded(text):
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def stem(language, term):
    stemmers = _stemmers.__dict__
    if language not in stemmers:
        stemmers[language] = snowballstemmer.stemmer(STEMMERS[language])
    return language + TAG + stemmers[language].stemWord(term)


def analyse(text, language):
    """(folded terms, tagged stems) of a text; stems only in a language of STEMMERS."""
    words, stems = [], []
    for word in WORD.findall(text):
        found = [t for t in TERM.findall(folded(word)) if len(t) <= MAX_TERM]
        words += found
        if language in STEMMERS:
            stems += [stem(language, t) for t in found]
    return words, stems


def tsvector(*parts):
    """A tsvector literal of analysed texts, each (analysis, weight letter or ""), positions continuing from
    one text to the next with a gap; a stem at the positions of its word (PostgreSQL merges duplicates)."""
    lexemes = []
    offset = 0
    for (words, stems), weight in parts:
        positions = defaultdict(list)
        for number, word in enumerate(words, offset + 1):
            positions[word].append(f"{min(number, MAX_POSITION)}{weight}")
        offset += len(words) + 1
        formatted = {word: ",".join(at) for word, at in positions.items()}
        lexemes += [f"'{word}':{at}" for word, at in formatted.items()]
        lexemes += [f"'{s}':{formatted[word]}" for word, s in dict(zip(words, stems, strict=False)).items()]
    return " ".join(lexemes)


def index_row(vendor, pk, title, body, language):
    analysed_title, analysed_body = analyse(title, language), analyse(body, language)
    if vendor == "postgresql":
        opening = tuple(column[:RANKED_WORDS] for column in analysed_body)
        document = tsvector((analysed_title, ""), (analysed_body, ""))
        ranking = tsvector((analysed_title, "A"), (opening, "B"))
        return pk, title, body, document, ranking
    return pk, title, body, *(" ".join(column) for column in (*analysed_title, *analysed_body))


def write(connection, ids, rows, table=TABLE):
    """Replace the index rows of `ids` with those analysed from `rows` of (plan id, title, body,
    language)."""
    marks = ", ".join(["%s"] * len(ids))
    analysed = [index_row(connection.vendor, *row) for row in rows]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DELETE FROM {table} WHERE plan_id IN ({marks})", ids)
            if analysed:
                cursor.execute(
                    f"INSERT INTO {table} (plan_id, title, body, document, ranking) "
                    "SELECT * FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::tsvector[], "
                    "%s::tsvector[])",
                    [list(column) for column in zip(*analysed, strict=True)],
                )
        else:
            cursor.execute(f"DELETE FROM {table} WHERE rowid IN ({marks})", ids)
            cursor.executemany(
                f"INSERT INTO {table} (rowid, title, body, title_words, title_stems, body_words, body_stems) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                analysed,
            )


# ------------------------------------------------------------------ the migration


def reanalyse(schema_editor, source):
    """Write the analysed row of every plan of `source` (a table of plan id, title, body) into the
    index."""
    key = "plan_id" if schema_editor.connection.vendor == "postgresql" else "rowid"
    last = -1
    with schema_editor.connection.cursor() as cursor:
        while True:
            cursor.execute(
                f"SELECT s.{key}, s.title, s.body, p.language FROM {source} s "
                f"JOIN plans_plan p ON p.id = s.{key} WHERE s.{key} > %s ORDER BY s.{key} LIMIT {CHUNK}",
                [last],
            )
            rows = cursor.fetchall()
            if not rows:
                return
            write(schema_editor.connection, [row[0] for row in rows], rows)
            last = rows[-1][0]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("ALTER TABLE plans_searchindex RENAME TO plans_searchindex_old")
        schema_editor.execute(SQLITE_TABLE.format(table="plans_searchindex"))
        reanalyse(schema_editor, "plans_searchindex_old")
        schema_editor.execute("DROP TABLE plans_searchindex_old")
    elif vendor == "postgresql":
        reanalyse(schema_editor, "plans_searchindex")


def backward(apps, schema_editor):
    """Back to the 'simple' configuration of 0003 and 0010."""
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("ALTER TABLE plans_searchindex RENAME TO plans_searchindex_new")
        schema_editor.execute(OLD_SQLITE_TABLE.format(table="plans_searchindex"))
        schema_editor.execute(
            "INSERT INTO plans_searchindex (rowid, title, body) "
            "SELECT rowid, title, body FROM plans_searchindex_new"
        )
        schema_editor.execute("DROP TABLE plans_searchindex_new")
    elif vendor == "postgresql":
        schema_editor.execute(
            "UPDATE plans_searchindex SET "
            "document = setweight(to_tsvector('simple', title), 'A') "
            "|| setweight(to_tsvector('simple', body), 'B'), "
            "ranking = setweight(to_tsvector('simple', title), 'A') "
            "|| setweight(to_tsvector('simple', left(body, 1000)), 'B')"
        )


class Migration(migrations.Migration):
    dependencies = [("plans", "0018_user_preference")]
    operations = [migrations.RunPython(forward, backward)]
