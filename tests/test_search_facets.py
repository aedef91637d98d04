"""Facet counts computed together (`filters.tallies`: one query over the matching plans for every facet)
equal the counts of each facet taken on its own, as the ORM counts them, over the real corpus
(../shared/corpus) with searches and filters; the suite runs on SQLite and on PostgreSQL, so both agree
with the same reference."""

import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import transaction
from django.http import QueryDict
from django.utils import translation

from plans import filters
from plans.models import SDG, Plan
from tests.conftest import CORPUS, needs_corpus

pytestmark = [needs_corpus, pytest.mark.corpus, pytest.mark.django_db]

QUERIES = [
    "",
    "q=water",
    "q=farmers",
    "q=communautés",
    "q=-water",
    "q=waste+management",
    "q=%22circular+economy%22",
    "language=fr",
    "q=youth&language=es&language=en",
    "year=2021&year=2022&kind=opening",
]


@pytest.fixture(scope="module")
def corpus(django_db_setup, django_db_blocker):
    """The corpus imported once for this module's tests, which only read it, in a transaction rolled back
    after the last of them."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("import_plans", str(CORPUS), stdout=io.StringIO(), stderr=io.StringIO())
        yield
        transaction.set_rollback(True)


def reference(name: str, plans) -> Counter:
    """One facet counted on its own: a plan's column, or the tags its assignments point to."""
    if name in filters.PLAN_COLUMNS:
        values = plans.values_list(filters.PLAN_COLUMNS[name], flat=True)
        return Counter(v for v in values if v not in (None, ""))
    tagged = filters.PlanFilter.base_filters[name]
    ids = list(plans.values_list("pk", flat=True))
    rows = tagged.through.objects.filter(**{f"{tagged.plan_column}__in": ids})
    return Counter(rows.values_list(f"{tagged.column}_id", flat=True))


@pytest.mark.parametrize("query", QUERIES)
def test_it_counts_every_facet_together_as_each_on_its_own(corpus, query):
    plans = filters.PlanFilter(QueryDict(query), queryset=Plan.objects.published()).qs

    together = filters.tallies(filters.FACETS, plans)

    assert sum(map(len, together.values())) > 0 or not plans.exists()
    for name in filters.FACETS:
        assert together[name] == reference(name, plans), name


def shown_as(name: str, counted: Counter) -> dict[str, int]:
    """Reference counts keyed as a facet shows its values: tags by slug, SDGs by number, years as text."""
    if name in filters.TAG_MODELS:
        slugs = dict(filters.TAG_MODELS[name][0].objects.values_list("pk", "slug"))
        return {slugs[pk]: n for pk, n in counted.items()}
    if name == "sdgs":
        numbers = dict(SDG.objects.values_list("pk", "number"))
        return {str(numbers[pk]): n for pk, n in counted.items()}
    return {str(value): n for value, n in counted.items()}


@pytest.mark.parametrize("query", [*QUERIES, "q=water&methods=ethnography&sdgs=13&country=COL&year=2021"])
def test_it_counts_each_facet_over_the_other_filters(corpus, query):
    data = QueryDict(query)
    published = Plan.objects.published()

    found = filters.facets(data, published, every=True)
    top = filters.facets(data, published)  # as the pages count them: the top values, and how many more

    for name in filters.FACETS:
        others = filters._query_dict(filters.filter_params(data, without=name))
        plans = filters.PlanFilter(others, queryset=published).qs
        shown = {v.value: v.count for v in (*found[name].values, *found[name].more)}
        # A chosen value that some plan carries stays shown when the other filters leave it none.
        carried = shown_as(name, reference(name, published))
        chosen = {v: 0 for v in data.getlist(name) if v in carried}
        assert shown == {**chosen, **shown_as(name, reference(name, plans))}, name
        assert {v.value for v in found[name].values if v.selected} == chosen.keys(), name
        assert top[name].values == found[name].values and top[name].more == [], name
        assert top[name].more_count == len(found[name].more), name


@pytest.mark.parametrize("query", QUERIES)
def test_it_counts_the_statistics_json_lists_as_python_does(corpus, query):
    from plans.models import LearningQuestion
    from plans.presentation import statistics

    filterset = filters.PlanFilter(QueryDict(query), queryset=Plan.objects.published())
    ids = set(filterset.qs.values_list("pk", flat=True))
    stages = Counter(
        stage
        for listed in LearningQuestion.objects.filter(plan_id__in=ids).values_list("stages", flat=True)
        if isinstance(listed, list)
        for stage in set(listed)
    )
    handover = Counter(
        option
        for listed in Plan.objects.filter(pk__in=ids).values_list("handover_options", flat=True)
        if isinstance(listed, list)
        for option in set(listed)
    )

    figures = statistics(filterset)

    assert [row["count"] for row in figures["stages"]] == [
        stages[k] for k in ("sense", "explore", "test", "grow")
    ]
    assert sorted(row["count"] for row in figures["handover"]) == sorted(handover.values())
    assert sum(stages.values()) > 0 or not ids


@pytest.mark.parametrize(
    "query", [q for q in QUERIES if "q=" not in q] + ["methods=ethnography", "country=KEN"]
)
@pytest.mark.parametrize("sort", ["newest", "title"])
def test_it_finds_a_lists_first_plans_in_its_whole_order_as_sql_orders_them(corpus, query, sort):
    from django.utils.http import urlencode

    from plans import postings

    base = Plan.objects.published()
    filterset = filters.PlanFilter(QueryDict(f"{query}&sort={sort}"), queryset=base)
    whole = filters.PlanFilter(QueryDict(urlencode({"sort": sort})), queryset=base)

    for limit in (1, 20, 1001):
        found = postings.first(whole.sorted(), filterset.qs, limit)
        assert found == list(filterset.sorted().values_list("pk", flat=True)[:limit]), (query, sort, limit)


@pytest.mark.parametrize("query", [*QUERIES, "q=water&methods=ethnography&year=2021"])
def test_it_charts_the_statistics_over_the_plans_every_filter_selects(corpus, query, client):
    # The page counts through the selection its facets share (`filters.selection`), read from the search
    # index and the bitmaps; the reference is the ORM's filter set.
    plans = filters.PlanFilter(QueryDict(query), queryset=Plan.objects.published()).qs
    figures = client.get(f"/stats/?{query}").context

    assert figures["total"] == plans.count()
    methods = shown_as("methods", reference("methods", plans))
    charted = {row["value"]: row["count"] for row in figures["methods"]}
    assert len(charted) == min(15, len(methods))
    assert charted.items() <= methods.items()  # the most used, with their counts
    left_out = [n for slug, n in methods.items() if slug not in charted]
    assert min(charted.values(), default=0) >= max(left_out, default=0)
    sdgs = shown_as("sdgs", reference("sdgs", plans))
    assert {str(row["value"]): row["count"] for row in figures["sdgs"] if row["count"]} == sdgs


def test_it_renders_a_facet_with_its_chosen_values_and_its_link_to_every_value():
    values = [
        filters.FacetValue("youth", "Youth <& jobs>", 12, True),
        filters.FacetValue("water", "Water", 3, False),
    ]
    facet = filters.Facet("methods", "methods", values=values, more_count=2, query="?q=a&b")

    with translation.override("fr"):
        html = str(facet.render())

    assert '<details class="facet" data-facet="methods" open>' in html  # a value is chosen
    assert '<summary>Methods <span class="facet__count">(1)</span></summary>' in html
    assert "Youth &lt;&amp; jobs&gt;" in html and 'value="youth" checked' in html
    assert '<a href="values/methods/?q=a&amp;b">Tout afficher (2 autres valeurs)</a>' in html
    assert "<details" not in str(filters.Facet("methods", "Methods").render(first=True))  # no value: none
    closed = filters.Facet("year", "Year", values=[filters.FacetValue("2021", "2021", 4, False)])
    assert '<details class="facet" data-facet="year">' in str(closed.render())
    assert '<details class="facet" data-facet="year" open>' in str(closed.render(first=True))
