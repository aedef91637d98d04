"""The search index written by migration 0019 (its own frozen copy of the analysis) and by plans/search.py
(the analysis in use, faster: whole texts folded at once, binary tsvectors written by COPY on PostgreSQL) are
the same rows, on the database in use; and no migration calls the search module, whose code will change."""

import ast
import importlib
import itertools

import pytest
from django.db import connection

from plans import search
from plans.models import Plan
from tests.conftest import CORPUS, REPO, needs_corpus

pytestmark = pytest.mark.django_db

frozen = importlib.import_module("plans.migrations.0019_search_stems")

# Texts where folding a whole text at once could part from folding word by word: accents written as
# combining marks, compatibility characters (½, ①, ™, ligatures), scripts without case, underscores, words
# over 255 characters, more words than PostgreSQL's highest position, a word more often than the 256
# positions PostgreSQL keeps, and stems of several words ("mujer", "mujeres").
EDGE_CASES = [
    ("Café ™ x", "cafe\u0301s e\u0301 ½ ① Brand™ naïve ǆungla ﬁnance Straße ΣΊΣΥΦΟΣ", "fr"),
    ("Ünïcödé — “quoted” ‘text’…", "Ωμέγα ﷺ ¨ a\u0308b x_y__z 3_4 " + "a" * 300 + " end", "es"),
    ("Mujeres", "mujeres mujer jóvenes joven " * 80 + "fin", "es"),
    ("Long", " ".join(f"w{n % 500}" for n in range(17_000)) + " farmers farmer", "en"),
    ("Farmers", "farmers farmer farming policies policy households " * 300, "en"),
    ("Leer", "", "de"),
    ("", "   ", "en"),
    ("日本語のテキスト", "Русский текст: общины, фермеры. 中文 العربية", ""),
]


def corpus_rows() -> list[tuple[str, str, str]]:
    """Every archive file as raw text (markup, entities and all), in each language in turn."""
    files = sorted(CORPUS.glob("*.md"))
    languages = itertools.cycle(["en", "fr", "es", ""])
    return [(f.name, f.read_text(encoding="utf-8"), next(languages)) for f in files]


def tables(name: str, as_migration_0019: bool = False) -> search.Tables:
    """Tables like the search index's. On PostgreSQL, one table with the title, body, document and ranking
    vector, as migration 0019 wrote them; or a table for each (`{name}`, `{name}_text`, `{name}_ranking`),
    as the search module writes them."""
    found = search.Tables(name, f"{name}_text", f"{name}_ranking")
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(frozen.SQLITE_TABLE.format(table=name))
            return found
        cursor.execute(f"CREATE TEMPORARY TABLE {name} (LIKE {search.TABLE} INCLUDING ALL)")
        if as_migration_0019:
            cursor.execute(
                f"ALTER TABLE {name} ADD COLUMN title text NOT NULL, ADD COLUMN body text NOT NULL, "
                "ADD COLUMN ranking tsvector NOT NULL"
            )
            return found
        for table, like in ((found.text, search.TEXT_TABLE), (found.ranking, search.RANKING_TABLE)):
            cursor.execute(f"CREATE TEMPORARY TABLE {table} (LIKE {like} INCLUDING ALL)")
    return found


def written(texts: list[tuple[str, str, str]]) -> tuple[list, list]:
    """The rows the migration's analysis and the search module's write for these texts."""
    rows = [(pk, *text) for pk, text in enumerate(texts, start=1)]
    ids = [row[0] for row in rows]
    by_migration = tables("index_by_migration", as_migration_0019=True).index
    by_search = tables("index_by_search")
    frozen.write(connection, ids, rows, table=by_migration)
    search._write(ids, rows, by_search)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # tsvectors compare equal when they hold the same lexemes with the same positions and weights
            cursor.execute(
                f"SELECT m.plan_id, m.title = t.title AND m.body = t.body, m.document = s.document, "
                f"m.ranking = r.ranking FROM {by_migration} m FULL JOIN {by_search.index} s USING (plan_id) "
                f"FULL JOIN {by_search.text} t USING (plan_id) "
                f"FULL JOIN {by_search.ranking} r USING (plan_id) ORDER BY 1"
            )
            found = cursor.fetchall()
            return [(pk, True, True, True) for pk in ids], found
        columns = "rowid, title, body, title_words, title_stems, body_words, body_stems"
        cursor.execute(f"SELECT {columns} FROM {by_migration} ORDER BY rowid")
        expected = cursor.fetchall()
        cursor.execute(f"SELECT {columns} FROM {by_search.index} ORDER BY rowid")
        return expected, cursor.fetchall()


def test_it_writes_the_rows_the_migration_wrote_for_unusual_texts():
    expected, found = written(EDGE_CASES)
    assert found == expected


@needs_corpus
@pytest.mark.corpus
def test_it_writes_the_rows_the_migration_wrote_for_the_archive():
    expected, found = written(corpus_rows())
    assert found == expected


def test_it_analyses_a_text_as_the_migration_did():
    for title, body, language in EDGE_CASES:
        for text in (title, body):
            assert search.analyse(text, language) == frozen.analyse(text, language)


def test_it_keeps_migrations_off_the_search_module():
    """plans.search changes with the analysis; a migration that called it would write a different index on a
    database migrated later (imports inside functions count too)."""
    found = {}
    for path in sorted((REPO / "plans" / "migrations").glob("0*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            if any(name == "plans.search" or name.startswith("plans.search.") for name in names):
                found.setdefault(path.name, []).append(node.lineno)
    assert found == {}


@pytest.mark.django_db(transaction=True)
def test_it_moves_the_ranking_vectors_and_the_texts_to_tables_of_their_own_and_back(plan_factory):
    """Migration 0040 moves PostgreSQL's ranking vectors, kept in their rows, with an index of the kind 0039
    made (RUM with the extension, else GIN), and 0041 the titles and bodies; backwards, they return to the
    search index's columns. The search index's table keeps the plans' documents only."""
    from django.db.migrations.executor import MigrationExecutor

    if connection.vendor != "postgresql":
        pytest.skip("SQLite ranks with FTS5's bm25(): it has no ranking vectors")
    ids = [plan_factory(title=f"Water plan {n}", status="published").pk for n in range(3)]
    mine = f"WHERE plan_id IN ({', '.join(map(str, ids))}) ORDER BY 1"  # (flushes leave others' rows)

    def read(sql: str) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()

    def index_kind(name: str) -> list[tuple]:
        return read(
            f"SELECT am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam WHERE c.relname = '{name}'"
        )

    kind = "rum" if read("SELECT 1 FROM pg_extension WHERE extname = 'rum'") else "gin"
    vectors = read(f"SELECT plan_id, ranking::text FROM {search.RANKING_TABLE} {mine}")
    assert len(vectors) == 3 and all("water" in vector for _pk, vector in vectors)
    texts = read(f"SELECT plan_id, title, body FROM {search.TEXT_TABLE} {mine}")
    assert [title for _pk, title, _body in texts] == [f"Water plan {n}" for n in range(3)]
    try:
        MigrationExecutor(connection).migrate([("plans", "0039_search_ranking_rum")])
        assert read(f"SELECT plan_id, ranking::text FROM {search.TABLE} {mine}") == vectors
        assert read(f"SELECT plan_id, title, body FROM {search.TABLE} {mine}") == texts
        assert index_kind("plans_searchindex_ranking") == [(kind,)]
        assert not read(
            f"SELECT 1 FROM pg_class WHERE relname IN ('{search.RANKING_TABLE}', '{search.TEXT_TABLE}')"
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert read(f"SELECT plan_id, ranking::text FROM {search.RANKING_TABLE} {mine}") == vectors
    assert read(f"SELECT plan_id, title, body FROM {search.TEXT_TABLE} {mine}") == texts
    assert index_kind(search.RANKING_INDEX) == [(kind,)] and not index_kind("plans_searchindex_ranking")
    storage = f"SELECT attstorage FROM pg_attribute WHERE attrelid = '{search.RANKING_TABLE}'::regclass"
    assert read(f"{storage} AND attname = 'ranking'") == [("m",)]  # MAIN: in the row, compressed
    columns = f"SELECT attname FROM pg_attribute WHERE attrelid = '{search.TABLE}'::regclass AND attnum > 0"
    assert read(f"{columns} AND NOT attisdropped ORDER BY attnum") == [("plan_id",), ("document",)]
    assert search.snippets("water", ids)  # excerpts from the texts' table
    search._RUM.clear()
    if kind == "rum":
        assert sorted(search.ranked_ids(Plan.objects.published(), "water", 10)) == ids
