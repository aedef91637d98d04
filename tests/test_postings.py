"""The facet bitmaps a process keeps (`plans.postings`): counted as SQL counts, kept per content version,
read again when a write moves it, never kept from inside a transaction."""

import random
from array import array
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pyroaring import BitMap

from plans import filters, postings, search
from plans.models import SDG, Plan


def test_it_makes_a_bitmap_of_ids():
    assert postings.bits([]) == 0
    assert postings.bits([0, 3, 3, 9]) == 0b1000001001
    assert postings.bits([70_001]).bit_length() == 70_002


@pytest.mark.django_db
def test_it_counts_the_plans_given_not_the_plans_that_carry_a_value(plan_factory):
    published = plan_factory(status=Plan.Status.PUBLISHED, year=2021, language="fr", complete=True)
    draft = plan_factory(year=2021, language="fr")
    for plan in (published, draft):
        plan.methods.add("Ethnography")
        plan.sdgs.add(SDG.objects.get(number=5))

    tally = filters.tallies(filters.FACETS, Plan.objects.published())

    method = published.methods.get().pk
    assert tally["methods"] == {method: 1}
    assert tally["sdgs"] == {SDG.objects.get(number=5).pk: 1}
    assert tally["year"] == {2021: 1}
    assert tally["language"] == {"fr": 1}
    assert filters.counts("methods", Plan.objects.all()) == {method: 2}
    assert filters.counts("methods", Plan.objects.none()) == {}


@pytest.mark.django_db
def test_it_leaves_out_empty_values(plan_factory):
    plan_factory(status=Plan.Status.PUBLISHED, complete=True, lab=None, country="", language="")

    tally = filters.tallies(("country", "language"), Plan.objects.all())

    assert tally == {"country": {}, "language": {}}


@pytest.mark.django_db
def test_it_reads_them_again_inside_a_transaction(plan_factory):
    plan = plan_factory(status=Plan.Status.PUBLISHED, complete=True, year=2020)
    first = postings.current()

    Plan.objects.filter(pk=plan.pk).update(year=2019)  # no signal, no new version: a transaction sees its own

    assert postings.current() is not first
    assert filters.counts("year", Plan.objects.all()) == {2019: 1}


@pytest.mark.django_db(transaction=True)
def test_it_keeps_them_until_a_write_moves_the_content_version(plan_factory):
    plan = plan_factory(status=Plan.Status.PUBLISHED, complete=True, year=2020)
    first = postings.current()
    assert postings.current() is first

    plan.methods.add("Ethnography")  # the tag assignment moves the version (plans/cache.py)

    second = postings.current()
    assert second is not first
    assert second.tally("methods", postings.of(Plan.objects.all())) == {plan.methods.get().pk: 1}
    assert postings.current() is second


def bitmap_reads(queries) -> list[str]:
    return [q["sql"] for q in queries if "GROUP BY 1" in q["sql"]]  # `read_bits`'s aggregate


@pytest.mark.django_db(transaction=True)
def test_it_patches_a_kept_bitmap_with_the_plans_a_write_changed(plan_factory, reviewer):
    published = [plan_factory(status=Plan.Status.PUBLISHED, complete=True) for _ in range(3)]
    submitted = plan_factory(status=Plan.Status.SUBMITTED, complete=True)
    draft = plan_factory()
    public = Plan.objects.published()
    assert postings.of(public) == postings.bits(p.pk for p in published)

    submitted.publish(by=reviewer)  # in, and one out: each moves the content version
    published[0].withdraw(by=reviewer, reason="Outdated")
    draft.title = "Still a draft"
    draft.save()
    with CaptureQueriesContext(connection) as queries:
        patched = postings.of(public)

    assert (
        patched
        == postings.bits([published[1].pk, published[2].pk, submitted.pk])
        == postings.read_bits(*postings.sql_of(public))
    )
    # Read for the changed plans only: the SQL restricted to their ids, never the whole selection again.
    (read,) = bitmap_reads(queries.captured_queries)
    assert " IN (" in read
    assert postings.of(public) == patched  # kept again


@pytest.mark.django_db(transaction=True)
def test_it_reads_a_kept_bitmap_whole_after_a_published_plan_is_deleted(plan_factory):
    kept, gone = (plan_factory(status=Plan.Status.PUBLISHED, complete=True) for _ in range(2))
    public = Plan.objects.published()
    postings.of(public)

    gone.delete()  # no modified_at left to find it by: a deletion moves the shared version
    with CaptureQueriesContext(connection) as queries:
        found = postings.of(public)

    assert found == postings.bits([kept.pk])
    (read,) = bitmap_reads(queries.captured_queries)
    assert " IN (" not in read


@pytest.mark.django_db(transaction=True)
def test_it_reads_a_kept_bitmap_whole_when_more_than_plans_changed(plan_factory):
    plan = plan_factory(status=Plan.Status.PUBLISHED, complete=True)
    plan.methods.add("Ethnography")
    tagged = Plan.objects.published().filter(methods__name="Ethnography")
    postings.of(tagged)

    plan.methods.get().delete()  # a tag deleted: every plan's pages may change (the shared version moves)
    with CaptureQueriesContext(connection) as queries:
        found = postings.of(tagged)

    assert found == 0
    (read,) = bitmap_reads(queries.captured_queries)
    assert " IN (" not in read


@pytest.mark.django_db(transaction=True)
def test_it_does_not_keep_what_a_transaction_read(plan_factory):
    plan_factory(status=Plan.Status.PUBLISHED, complete=True, year=2020)
    with transaction.atomic():
        inside = postings.current()

    assert postings.current() is not inside
    assert postings.current() is postings.current()


@pytest.mark.django_db
def test_it_counts_the_statistics_json_lists_as_sql_did(plan_factory):
    from django.http import QueryDict

    from plans.models import LearningQuestion
    from plans.presentation import statistics

    a = plan_factory(status=Plan.Status.PUBLISHED, complete=True, handover_options=["programming", "other"])
    b = plan_factory(status=Plan.Status.PUBLISHED, complete=True, handover_options=["programming"])
    draft = plan_factory(handover_options=["programming", "other"])
    LearningQuestion.objects.filter(plan__in=[a, b, draft]).delete()
    for plan, stages in [
        (a, ["sense", "explore"]),
        (a, ["sense"]),
        (b, ["sense", "sense"]),
        (draft, ["test"]),
    ]:
        LearningQuestion.objects.create(plan=plan, position=LearningQuestion.objects.count(), stages=stages)

    figures = statistics(filters.PlanFilter(QueryDict(""), queryset=Plan.objects.published()))

    stages = {row["label"]: row["count"] for row in figures["stages"]}
    assert (stages["Sense"], stages["Explore"], stages["Test"], stages["Grow"]) == (3, 1, 0, 0)
    assert sorted(row["count"] for row in figures["handover"]) == [1, 2]


@pytest.mark.django_db(transaction=True)
def test_it_reads_again_only_the_plans_a_write_changed(plan_factory, monkeypatch):
    first = plan_factory(status=Plan.Status.PUBLISHED, complete=True, year=2020)
    first.methods.add("Ethnography")
    other = plan_factory(status=Plan.Status.PUBLISHED, complete=True, year=2021)
    other.thematic_areas.add("Youth")  # a new tag moves every plan's version: made before
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Plan.objects.filter(pk=other.pk).update(modified_at=an_hour_ago)  # changed before the margin
    kept = postings.current()
    read = []
    monkeypatch.setattr(
        postings, "_read", lambda only=None, _read=postings._read: read.append(only) or _read(only)
    )

    first.year = 2022  # a plan's save moves the content version and its modified_at, not every plan's
    first.save()
    first.methods.remove(*first.methods.all())
    first.thematic_areas.add("Youth")
    plan_factory(status=Plan.Status.PUBLISHED, complete=True, year=2020, language="es")
    updated = postings.current()

    assert read and all(only is not None and other.pk not in only for only in read)
    assert updated is not kept
    everything = Plan.objects.all()
    for name in filters.FACETS:
        assert filters.counts(name, everything) == postings._read().tally(name, postings.of(everything)), name
    assert updated.tally("methods", postings.bits([first.pk])) == {}
    for name, values in updated.values.items():  # the counts' Roaring copies hold the bitmaps' plans
        assert {v: postings.roaring(b) for v, b in values.items()} == updated.sets[name], name


@pytest.mark.django_db(transaction=True)
def test_it_reads_everything_again_when_a_tag_is_renamed(plan_factory, monkeypatch):
    plan = plan_factory(status=Plan.Status.PUBLISHED, complete=True)
    plan.methods.add("Ethnography")
    postings.current()
    read = []
    monkeypatch.setattr(
        postings, "_read", lambda only=None, _read=postings._read: read.append(only) or _read(only)
    )

    tag = plan.methods.get()
    tag.name = "Ethnographic research"
    tag.save()
    postings.current()

    assert read == [None]


def test_it_lists_the_ids_of_a_bitmap_in_order():
    for ids in ([], [0], [1, 2, 3], [5, 64, 65, 1_000, 99_999]):
        assert postings.members(postings.bits(ids)) == ids


@pytest.mark.parametrize(
    "ids",
    [
        [],
        [0],
        [65_535, 65_536],
        list(range(4_096)),  # a container's most ids kept as ids
        list(range(4_097)),  # one more: kept as bits
        list(range(65_536)),  # a full container
        [3, *range(70_000, 75_000), 200_000],  # a sparse, a dense, an empty and a sparse container
        random.Random(5).sample(range(100_000), 50_000),
    ],
    ids=["none", "zero", "chunk edge", "4096", "4097", "full", "mixed", "random"],
)
def test_it_makes_a_roaring_bitmap_of_a_bitmap_s_ids(ids):
    made = postings.roaring(postings.bits(ids))
    assert list(made) == sorted(ids)
    assert made.intersection_cardinality(postings.roaring(postings.bits(ids[::2]))) == len(ids[::2])


@pytest.mark.parametrize("share", [0.0, 0.01, 0.3, 0.5, 0.51, 0.9, 0.999, 1.0])
def test_it_counts_a_selection_of_most_plans_by_what_it_leaves_out_as_directly(share):
    # Values over 20,000 ids (some carried by no plan, some by every one), and stages counted by rows.
    rng = random.Random(int(share * 1000))
    universe = range(20_000)
    carriers = {f"v{n}": rng.sample(universe, rng.choice([0, 1, 50, 5_000, 19_000])) for n in range(40)}
    carriers["all"] = list(universe)
    layers = {("sense", k): rng.sample(universe, 10_000 // k) for k in (1, 2, 3)}
    found = postings.Postings(
        {"methods": {v: postings.bits(ids) for v, ids in carriers.items()}, "stages": {}},
        {
            "methods": {v: BitMap(ids) for v, ids in carriers.items()},
            "stages": {k: BitMap(i) for k, i in layers.items()},
        },
    )
    # An id no value holds too (past the last one), as a page's selection may have.
    chosen = set(rng.sample(universe, int(share * len(universe)))) | ({25_000} if share > 0.5 else set())

    tally = found.tally("methods", postings.bits(sorted(chosen)))
    rows = found.rows("stages", BitMap(chosen))

    assert tally == {v: n for v, ids in carriers.items() if (n := len(chosen.intersection(ids)))}
    assert rows == {"sense": sum(len(chosen.intersection(ids)) for ids in layers.values())} or not chosen
    # Past half of the ids, by what the selection leaves out (each value's size is then kept); below, not.
    assert bool(found._sizes) == (2 * len(chosen) > found._ids_end())


def test_it_refuses_a_negative_bitmap():
    with pytest.raises(ValueError):
        postings.roaring(~postings.bits([1]))


def test_it_tests_whether_an_id_is_in_a_bitmap():
    for ids in ([], [0], [1, 2, 3], [5, 64, 65, 1_000, 99_999]):
        contains = postings.membership(postings.bits(ids))
        # Ids past the bitmap's last byte are not in it, and each answer is a bool.
        assert [pk for pk in range(100_010) if contains(pk)] == ids
        assert contains(100_000) is False


@pytest.mark.django_db(transaction=True)
def test_it_keeps_a_lists_first_plans_for_its_pages_until_the_version_moves(plan_factory, monkeypatch):
    """`first()` is computed once per list and content version (every page shows a part of it), and again
    after a write: a plan published since is in it."""
    postings.forget()
    made = [plan_factory(status=Plan.Status.PUBLISHED, complete=True, year=2020) for _ in range(3)]
    computed = []
    real = postings._first
    monkeypatch.setattr(postings, "_first", lambda *args: computed.append(1) or real(*args))
    order = filters.ordered(Plan.objects.published(), "newest")
    chosen = Plan.objects.published().filter(year=2020)

    newest_first = [p.pk for p in made[::-1]]
    assert postings.first(order, chosen, 10) == postings.first(order, chosen, 10) == newest_first
    assert len(computed) == 1
    assert postings.first(order, chosen, 2) == [made[2].pk, made[1].pk] and len(computed) == 2  # another key

    newer = plan_factory(status=Plan.Status.PUBLISHED, complete=True, year=2020)
    assert postings.first(order, chosen, 10) == [newer.pk, *newest_first]
    assert len(computed) == 3
    with transaction.atomic():  # what a transaction reads is never kept
        postings.first(order, chosen, 10)
    assert len(computed) == 4


@pytest.mark.parametrize(
    ("query", "count"),
    [
        ("", 5),
        ("language=fr", 2),
        ("language=fr&language=es", 3),
        ("language=xx", 0),  # every value stale: nothing
        ("language=fr&language=xx", 2),  # the stale one ignored
        ("year=2021&kind=closing", 2),
        ("year=abc&year=2020", 2),
        ("year=99999999999", 0),
        ("country=VNM", 2),
        ("country=Viet Nam&language=en", 1),  # a name in an old link selects its code
        ("country=KEN&year=2020&kind=opening&language=en", 1),
        ("methods=ethnography&language=fr", 2),  # a tag: the ids are read
        ("q=water&language=fr", 2),  # a search: the ids are read
        ("sort=bogus&year=2021", 2),  # an invalid sort leaves the filters
    ],
)
@pytest.mark.django_db
def test_it_selects_by_the_plans_columns_from_bitmaps_as_sql_does(plan_factory, query, count):
    from django.http import QueryDict

    postings.forget()
    rows = [
        ("Viet Nam", 2021, "fr", "closing"),
        ("Kenya", 2020, "en", "opening"),
        ("Kenya", 2021, "es", "closing"),
        ("Viet Nam", 2020, "en", "opening"),
        ("Kenya", None, "fr", "opening"),
    ]
    for n, (country, year, language, kind) in enumerate(rows):
        for status in (Plan.Status.PUBLISHED, Plan.Status.DRAFT):
            plan = plan_factory(
                title=f"Water plan {n}",
                country=country,
                year=year,
                language=language,
                kind=kind,
                status=status,
            )
            plan.methods.add("Ethnography")
    filterset = filters.PlanFilter(QueryDict(query), queryset=Plan.objects.published())

    expected = postings.bits(filterset.qs.values_list("pk", flat=True))
    assert expected.bit_count() == count
    assert filters.selected_bits(filterset) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    "ids",
    [[], [1], [63], [64], [1, 62, 63, 64, 65, 127, 128], list(range(1, 300)), [5, 5, 70, 70, 640]],
    ids=["none", "one", "bit 63", "next word", "word edges", "dense", "repeated"],
)
def test_it_reads_a_bitmap_64_bits_at_a_time_as_from_its_ids(ids):
    """`read_bits` makes the bitmap in the database, one row per 64 ids (the 64th bit is a negative
    number in SQL); a repeated id sets its bit once, as `bits()` does."""
    values = " UNION ALL ".join(f"SELECT {pk}" for pk in ids) or "SELECT 1 WHERE 1 = 0"
    assert postings.read_bits(values, []) == postings.bits(ids)


@pytest.mark.django_db(transaction=True)
def test_it_keeps_the_tags_a_filter_selects_until_a_tag_changes(plan_factory):
    """A tag filter's tags are kept for the content version; a rename moves it, and the old slug then
    selects the renamed tag (its alias), the new one too."""
    from plans import vocabularies

    plan = plan_factory(status=Plan.Status.PUBLISHED, complete=True)
    plan.methods.add("Ethnography")
    tag = plan.methods.get()
    assert vocabularies.ids_for_slugs("methods", ["ethnography"]) == {tag.pk}
    assert vocabularies.ids_for_slugs("methods", ["deep-listening"]) == set()

    vocabularies.rename("methods", tag, "Deep listening")

    assert vocabularies.ids_for_slugs("methods", ["deep-listening"]) == {tag.pk}
    assert vocabularies.ids_for_slugs("methods", ["ethnography", "deep-listening"]) == {tag.pk}
    old_link = filters.PlanFilter({"methods": ["ethnography"]}, queryset=Plan.objects.published())
    assert old_link.qs.get() == plan


@pytest.mark.django_db
def test_it_tallies_a_statistics_page_s_selection_once(plan_factory, client, monkeypatch):
    for year in (2020, 2021):
        plan = plan_factory(status=Plan.Status.PUBLISHED, complete=True, year=year)
        plan.methods.add("Ethnography")
    tallied = []
    real = postings.Postings.tally
    monkeypatch.setattr(
        postings.Postings, "tally", lambda self, name, plans: tallied.append(name) or real(self, name, plans)
    )

    page = client.get("/stats/?year=2021&year=1700")  # a stale year among them: selects the same plans

    assert page.status_code == 200 and page.context["total"] == 1
    # The eight facets (the year's over every plan, the others over the plans of 2021), then the handover
    # outcomes: the charts of countries, methods, data sources and SDGs share the facets' tallies.
    assert sorted(tallied) == sorted([*filters.FACETS, postings.HANDOVER])
    assert {row["label"]: row["count"] for row in page.context["methods"]} == {"Ethnography": 1}


@pytest.mark.django_db(transaction=True)  # nothing is kept inside a transaction
def test_it_reads_the_goals_and_the_selection_s_copy_once_per_page(plan_factory, client, monkeypatch):
    plan = plan_factory(status=Plan.Status.PUBLISHED, complete=True, year=2021)
    # A transactional test before this one may have emptied the goals' table (their migration's rows).
    goals = [
        SDG.objects.get_or_create(number=n, defaults={"name": f"Goal {n}", "colour": "#000000"})[0]
        for n in (1, 2)
    ]
    plan.sdgs.set(goals)
    plan_factory(status=Plan.Status.PUBLISHED, complete=True, year=2020)
    client.get("/stats/?year=2021&year=1700")  # the goals read for this content version
    converted = []
    real = postings.roaring
    monkeypatch.setattr(postings, "roaring", lambda bitmap: converted.append(bitmap) or real(bitmap))

    with CaptureQueriesContext(connection) as queries:
        page = client.get("/stats/?year=2021&year=1600")  # computed afresh: another stale year

    assert page.status_code == 200
    assert {row["value"]: row["count"] for row in page.context["sdgs"]}.items() >= {1: 1, 2: 1}.items()
    assert not [q for q in queries.captured_queries if '"plans_sdg"' in q["sql"]]
    # Every plan (the year's facet) and the plans of 2021 (the others, the charts): one copy each.
    assert len(converted) == len(set(converted)) == 2


@pytest.mark.django_db(transaction=True)  # nothing is kept inside a transaction
def test_it_drops_what_was_used_least_recently():
    postings.forget()
    reads = []

    def read(n):
        return lambda: reads.append(n) or n

    for n in range(postings.VALUES_KEPT):
        postings.kept(("value", n), read(n))
    postings.kept(("value", 0), read(0))  # used again: now the most recent
    postings.kept(("value", "new"), read("new"))  # one too many: the least recently used goes

    assert postings.kept(("value", 0), read(0)) == 0
    assert postings.kept(("value", 1), read(1)) == 1
    assert reads == [*range(postings.VALUES_KEPT), "new", 1]


def many_published(lab, count: int, seed: int) -> list[Plan]:
    """`count` published plans in bulk, last changed long ago, with dates that tie and dates missing, and
    titles that tie and differ by case and accents (what the orders' collations decide)."""
    rng = random.Random(seed)
    start = timezone.now() - timedelta(days=400)
    words = ["Água", "agua", "Zinc", "zinc", "Éte", "ete", "Baobab"]
    return Plan.objects.bulk_create(
        Plan(
            title=f"{rng.choice(words)} {rng.randrange(5)}",
            slug=f"many-{seed}-{n}",
            lab=lab,
            year=2023,
            status=Plan.Status.PUBLISHED,
            published_at=rng.choice([None, start, start + timedelta(days=rng.randrange(300))]),
            modified_at=start,  # long before the orders are read: only the plans changed since are patched
        )
        for n in range(count)
    )


def whole_reads(queries, order) -> list[str]:
    """The queries that read `order` whole: in its order, not restricted to some ids."""
    sql = postings.sql_of(order)[0]
    ordered_by = sql[sql.index(" ORDER BY") :]
    return [q["sql"] for q in queries if q["sql"].endswith(ordered_by) and " IN (" not in q["sql"]]


def in_places_order(places) -> list[int]:
    """The plan ids that `places` places, sorted by their places."""
    return sorted((pk for pk in range(len(places)) if places[pk] >= 0), key=places.__getitem__)


ORDERS = {
    "newest": lambda: filters.ordered(Plan.objects.published(), "newest"),
    "title": lambda: filters.ordered(Plan.objects.published(), "title"),
    "search ties": lambda: search.tie_order(),
}


@pytest.mark.parametrize("name", ORDERS)
@pytest.mark.django_db(transaction=True)
def test_it_patches_a_kept_order_with_the_plans_a_write_changed(name, lab_a, plan_factory, reviewer):
    """After a publication, a withdrawal and edits, a kept order is patched: the changed plans are taken out
    and sorted back in by the database among a few of the others, never the whole order read again, and it
    equals the order read afresh."""
    postings.forget()
    order = ORDERS[name]()
    many = many_published(lab_a, 150, seed=1)
    submitted = plan_factory(status=Plan.Status.SUBMITTED, complete=True, title="agua 2")
    postings.order_ids(order)
    postings.places(order)

    submitted.publish(by=reviewer)
    many[10].withdraw(by=reviewer, reason="Outdated")
    many[20].title, many[20].published_at = "Zinc 0", many[20].published_at and timezone.now()
    many[20].save()
    many[30].title, many[30].published_at = "aaa", None
    many[30].save()
    with CaptureQueriesContext(connection) as queries:
        patched = postings.order_ids(order)
        places = postings.places(order)

    assert list(patched) == list(postings._read_order(*postings.sql_of(order)))
    assert submitted.pk in patched and many[10].pk not in patched and len(patched) == 150
    assert in_places_order(places) == list(patched)
    assert not whole_reads(queries.captured_queries, order)
    assert postings.order_ids(order) is patched  # kept again


@pytest.mark.django_db(transaction=True)
def test_it_patches_a_kept_order_as_the_database_orders_whatever_moves(lab_a, reviewer, monkeypatch):
    """Rounds of random changes (published, withdrawn, dates and titles edited): after each, the kept orders,
    patched, equal the orders read afresh, and their places, patched, sort the plans in the same order."""
    postings.forget()
    rng = random.Random(7)
    many = many_published(lab_a, 120, seed=2)
    orders = [make() for make in ORDERS.values()]
    for order in orders:
        postings.order_ids(order)
        postings.places(order)
    made = []  # places made again from a whole order, not patched
    real = postings._places
    monkeypatch.setattr(postings, "_places", lambda ids: made.append(1) or real(ids))
    for _round in range(4):
        for plan in rng.sample(many, 5):
            plan.refresh_from_db()
            if plan.status == Plan.Status.PUBLISHED and rng.random() < 0.3:
                plan.withdraw(by=reviewer, reason="Outdated")
                continue
            plan.status = Plan.Status.PUBLISHED
            plan.published_at = rng.choice([None, plan.published_at, timezone.now()])
            plan.title = rng.choice(["Água 1", "agua 1", "zinc", plan.title])
            plan.save()
        with CaptureQueriesContext(connection) as queries:
            patched = [(postings.order_ids(order), postings.places(order)) for order in orders]
        for order, (ids, places) in zip(orders, patched, strict=True):
            assert list(ids) == list(postings._read_order(*postings.sql_of(order)))
            assert in_places_order(places) == list(ids)
            assert not whole_reads(queries.captured_queries, order)
    assert made == []


@pytest.mark.django_db(transaction=True)
def test_it_reads_the_plans_moved_since_once_for_a_page(client, plan_factory, reviewer):
    """The postings, the published plans' bitmap and the list's order, kept from before a publication, are
    each patched with the plans moved since their reading: one query finds those for the page."""
    postings.forget()
    plan_factory(status=Plan.Status.PUBLISHED, complete=True)
    submitted = plan_factory(status=Plan.Status.SUBMITTED, complete=True)
    assert client.get("/plans/").status_code == 200

    submitted.publish(by=reviewer)
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/plans/")

    assert submitted.title in page.content.decode()
    assert len([q for q in queries.captured_queries if '"modified_at" >=' in q["sql"]]) == 1
    assert not whole_reads(queries.captured_queries, filters.ordered(Plan.objects.published(), "newest"))


def test_it_places_a_moved_plan_between_its_neighbours_until_no_number_is_left():
    found = postings._places(array("q", [3, 1, 2]))
    assert in_places_order(found) == [3, 1, 2]

    ids = [3, 1, 2]
    for new in range(4, 200):  # each plan published just after plan 3: between it and the last one placed
        ids.insert(1, new)
        patched = postings._patch_places(array("q", ids), found, [new])
        if patched is None:
            break
        found = patched
        assert in_places_order(found) == ids
    assert patched is None and 40 < new < 100  # a double has 52 bits: about fifty halvings
    # Moved away (withdrawn): no place; moved to the end: after the last.
    found = postings._patch_places(array("q", [3, 2, 1]), postings._places(array("q", [3, 1, 2])), [1])
    assert in_places_order(found) == [3, 2, 1]
    found = postings._patch_places(array("q", [3, 2]), found, [1])
    assert found[1] == -1 and in_places_order(found) == [3, 2]


@pytest.mark.django_db(transaction=True)
def test_it_patches_a_words_kept_matches_with_the_plans_a_write_changed(plan_factory, reviewer):
    postings.forget()
    kept = plan_factory(status=Plan.Status.PUBLISHED, complete=True, title="Zanzibarite pumps")
    renamed = plan_factory(status=Plan.Status.PUBLISHED, complete=True, title="Zanzibarite wells")
    new = plan_factory(status=Plan.Status.SUBMITTED, complete=True, title="Zanzibarite kiosks")
    public = Plan.objects.published()
    assert search.matching_bits(public, "zanzibarite") == postings.bits([kept.pk, renamed.pk])

    new.publish(by=reviewer)
    renamed.title = "Wells"
    renamed.save()
    with CaptureQueriesContext(connection) as queries:
        found = search.matching_bits(public, "zanzibarite")

    assert found == postings.bits([kept.pk, new.pk])
    # The index read again for the moved plans only.
    (read,) = [q for q in bitmap_reads(queries.captured_queries) if search.TABLE in q]
    assert " IN (" in read
