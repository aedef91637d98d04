"""A one-term search's page order read from PostgreSQL's RUM index (`search.ranked_ids`, migration 0039) is
the order `PlanFilter.sorted()` gives by `ts_rank` in SQL, over the real corpus, whatever the limit (ties at
the boundary included) and with other filters; without the RUM index it does not apply. On SQLite, every
search's order is made from the bm25 ranks read from the index alone: exactly the order SQL gives.

"The same order" is position by position the same rank, to float precision: `ts_rank` sums a plan's
occurrences in an order of its own, and gives two copies of one text ranks that differ in their last digit
(0.18176407 and 0.18176405), which the RUM distance ties; such plans may then come newest first."""

import io
import math

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.http import QueryDict

from plans import filters, search
from plans.models import Plan
from tests.conftest import CORPUS, needs_corpus

pytestmark = [needs_corpus, pytest.mark.corpus, pytest.mark.django_db]

WORDS = ["water", "innovation", "farmers", "communautés", "mujeres", "jovenes", "accelerator", "energy"]
WORDS += ["waste", "digital", "youth", "climate", "water OR energy", "gender OR women", "déchets"]


@pytest.fixture(scope="module")
def corpus(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("import_plans", str(CORPUS), stdout=io.StringIO(), stderr=io.StringIO())
        yield
        transaction.set_rollback(True)


def in_sql_order(query: str, limit: int) -> list[int]:
    filterset = filters.PlanFilter(QueryDict(query), queryset=Plan.objects.published())
    return list(filterset.sorted().values_list("pk", flat=True)[:limit])


def same_order(query: str, found: list[int], expected: list[int]) -> bool:
    """The same plans' ranks at each position (to float precision)."""
    filterset = filters.PlanFilter(QueryDict(query), queryset=Plan.objects.published())
    rank = dict(filterset.qs.values_list("pk", "search_rank"))
    return len(found) == len(expected) and all(
        math.isclose(rank[a], rank[b], rel_tol=1e-6) for a, b in zip(found, expected, strict=True)
    )


def from_the_index(query: str, limit: int) -> list[int] | None:
    data = QueryDict(query)
    unsearched = filters.PlanFilter(filters.without(data, "q"), queryset=Plan.objects.published()).qs
    return search.ranked_ids(unsearched, data["q"], limit)


@pytest.fixture
def rum(corpus):
    search._RUM.clear()
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL with the RUM extension (postgresql-15-rum, installed by .ci/run)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'rum'")
        if cursor.fetchone() is None:
            pytest.skip("needs PostgreSQL with the RUM extension (postgresql-15-rum, installed by .ci/run)")


@pytest.fixture
def from_index(corpus):
    """Where `ranked_ids` applies to a one-word search: on SQLite, and on PostgreSQL with RUM."""
    search._RUM.clear()
    if connection.vendor == "postgresql" and not search.has_rum():
        pytest.skip("needs PostgreSQL with the RUM extension (postgresql-15-rum, installed by .ci/run)")


def test_it_builds_the_rum_index_again_after_an_import_that_set_it_aside(rum):
    # The corpus's import wrote more rows than the (empty) table held: the index was dropped and rebuilt.
    assert search.has_rum()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = %s",
            [search.RANKING_INDEX],
        )
        assert cursor.fetchone() == (True,)


def test_it_orders_a_one_term_search_as_ts_rank_does(rum):
    identical = 0
    for word in WORDS:
        query = f"q={word}"
        everything = in_sql_order(query, 1001)
        assert everything, word
        for limit in (1, 20, 21, 100, 1001):
            assert same_order(query, from_the_index(query, limit), everything[:limit]), (word, limit)
        identical += from_the_index(query, 1001) == everything
    assert identical >= len(WORDS) - 2  # the same plans in the same places but for a few float ties


def test_it_computes_each_match_s_distance_once_in_the_index_s_order(rum):
    include, exclude = search._terms("water")
    lexemes = " | ".join(f"'{t}'" for t in sorted(search._lexemes(include, exclude)))
    with transaction.atomic(), connection.cursor() as cursor:  # planned as `_ranked_ids` reads it
        cursor.execute("SET LOCAL cursor_tuple_fraction = 0.01")
        sql = f"EXPLAIN (VERBOSE) DECLARE ranking NO SCROLL CURSOR FOR {search.RANKING_SQL}"
        cursor.execute(sql, [search._query(include, exclude), lexemes])
        plan = [row[0].strip() for row in cursor.fetchall()]

    scan = plan.index(next(line for line in plan if "Index Scan using" in line))
    assert search.RANKING_INDEX in plan[scan]  # in the index's order, no sort
    assert plan[scan + 1].startswith("Output:") and plan[scan + 1].count("<=>") == 1


def test_it_reads_the_order_of_ties_from_an_index_without_sorting(rum):
    sql, params = search.tie_order().values_list("pk", flat=True).query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")  # a plan needing a sort shows it whatever its cost
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "Index Only Scan using plan_places_published" in plan and "Sort" not in plan, plan


def test_it_keeps_only_the_plans_of_the_other_filters(rum):
    for query in ["q=water&language=en", "q=innovation&year=2021&year=2022", "q=youth&kind=opening"]:
        assert same_order(query, from_the_index(query, 1001), in_sql_order(query, 1001)), query


SEVERAL_TERMS = ["q=waste+management", "q=%22circular+economy%22", "q=farmers+-women"]


@pytest.mark.parametrize("query", SEVERAL_TERMS)
def test_it_leaves_several_terms_to_sql_on_postgresql(corpus, query):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite orders every search by its ranks read from the index")
    assert from_the_index(query, 20) is None


def test_it_leaves_the_order_to_sql_without_the_rum_index(corpus):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite orders every search by its ranks read from the index")
    with connection.cursor() as cursor:  # rolled back with the test
        cursor.execute(f"DROP INDEX {search.RANKING_INDEX}")
        cursor.execute(f"CREATE INDEX {search.RANKING_INDEX} ON {search.RANKING_TABLE} USING GIN (ranking)")
    search._RUM.clear()
    try:
        assert from_the_index("q=water", 20) is None
    finally:
        search._RUM.clear()


def test_it_orders_every_search_on_sqlite_as_sql_does(corpus):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL reads one-term searches from its RUM index (the tests above)")
    queries = [f"q={word}" for word in WORDS] + SEVERAL_TERMS
    queries += ["q=water&language=en", "q=innovation&year=2021&year=2022", "q=youth+-energy&kind=opening"]
    for query in queries:
        everything = in_sql_order(query, 1001)
        assert everything, query
        for limit in (1, 20, 21, 1001):  # bm25 in SQL and in the index alone: the very same order
            assert from_the_index(query, limit) == everything[:limit], (query, limit)
    assert from_the_index("q=-water", 20) is None  # excluded words only: unranked, left to SQL


def test_it_shows_the_same_page_either_way(corpus, client):
    html = client.get("/plans/", {"q": "innovation", "page": "3"}).content.decode()
    titles = Plan.objects.in_bulk(in_sql_order("q=innovation", 60)[40:60])
    assert all(plan.title.split()[0] in html for plan in titles.values())


def test_it_never_lists_a_draft_that_matches_best(from_index, plan_factory, client):
    draft = plan_factory(title="Water water water", challenge_statement="Water, water and water.")

    found = from_the_index("q=water", 1001)

    assert found and draft.pk not in found
    assert "Water water water" not in client.get("/plans/", {"q": "water"}).content.decode()
