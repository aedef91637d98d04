"""A one-term search's page order read from PostgreSQL's RUM index (`search.ranked_ids`, migration 0039) is
the order `PlanFilter.sorted()` gives by `ts_rank` in SQL, over the real corpus, whatever the limit (ties at
the boundary included) and with other filters; without the RUM index, or on SQLite, it does not apply.

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


def test_it_builds_the_rum_index_again_after_an_import_that_set_it_aside(rum):
    # The corpus's import wrote more rows than the (empty) table held: the index was dropped and rebuilt.
    assert search.has_rum()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = %s",
            ["plans_searchindex_ranking"],
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


def test_it_keeps_only_the_plans_of_the_other_filters(rum):
    for query in ["q=water&language=en", "q=innovation&year=2021&year=2022", "q=youth&kind=opening"]:
        assert same_order(query, from_the_index(query, 1001), in_sql_order(query, 1001)), query


@pytest.mark.parametrize("query", ["q=waste+management", "q=%22circular+economy%22", "q=farmers+-women"])
def test_it_leaves_several_terms_to_sql(corpus, query):
    assert from_the_index(query, 20) is None


def test_it_leaves_the_order_to_sql_without_the_rum_index(corpus):
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # rolled back with the test
            cursor.execute("DROP INDEX plans_searchindex_ranking")
            cursor.execute("CREATE INDEX plans_searchindex_ranking ON plans_searchindex USING GIN (ranking)")
    search._RUM.clear()
    try:
        assert from_the_index("q=water", 20) is None
    finally:
        search._RUM.clear()


def test_it_shows_the_same_page_either_way(corpus, client):
    html = client.get("/plans/", {"q": "innovation", "page": "3"}).content.decode()
    titles = Plan.objects.in_bulk(in_sql_order("q=innovation", 60)[40:60])
    assert all(plan.title.split()[0] in html for plan in titles.values())


def test_it_never_lists_a_draft_that_matches_best(rum, plan_factory, client):
    draft = plan_factory(title="Water water water", challenge_statement="Water, water and water.")

    found = from_the_index("q=water", 1001)

    assert found and draft.pk not in found
    assert "Water water water" not in client.get("/plans/", {"q": "water"}).content.decode()


@pytest.mark.django_db(transaction=True)
def test_it_ranks_a_word_once_for_all_its_pages_until_the_version_moves(plan_factory, monkeypatch):
    from plans import postings

    search._RUM.clear()
    if connection.vendor != "postgresql" or not search.has_rum():
        pytest.skip("needs PostgreSQL with the RUM extension (postgresql-15-rum, installed by .ci/run)")
    postings.forget()
    published = {"status": Plan.Status.PUBLISHED, "complete": True}
    made = [plan_factory(title=f"Water plan {n}", **published) for n in range(3)]
    computed = []
    real = search._ranked_ids
    monkeypatch.setattr(search, "_ranked_ids", lambda *args: computed.append(1) or real(*args))
    plans = Plan.objects.published()

    first = search.ranked_ids(plans, "water", 100)
    assert search.ranked_ids(plans, "water", 100) == first and len(computed) == 1
    assert sorted(first) == sorted(p.pk for p in made)

    newer = plan_factory(title="Water plan 3", **published)
    assert newer.pk in search.ranked_ids(plans, "water", 100) and len(computed) == 2
