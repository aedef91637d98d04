"""Full-text search (plans/search.py) on the database in use: run with and without DATABASE_URL."""

import pytest
from django.db import connection
from django.utils import timezone

from plans import search
from plans.models import Plan
from tests.conftest import CORPUS, needs_corpus


@pytest.fixture
def published(plan_factory):
    def make(**kwargs):
        kwargs.setdefault("status", Plan.Status.PUBLISHED)
        kwargs.setdefault("published_at", timezone.now())
        return plan_factory(**kwargs)

    return make


def titles(qs):
    return [p.title for p in qs]


def ranked(q, qs=None):
    qs = search.search(qs if qs is not None else Plan.objects.all(), q)
    return list(qs.order_by("-search_rank", "pk"))


def test_it_finds_a_plan_first_by_a_phrase_from_its_answers(published):
    published(title="Solar kiosks", background="Households buy solar lamps on credit from kiosks.")
    published(title="Informal waste pickers", challenge_statement="Waste pickers sell plastic to recyclers.")
    published(
        title="Plastic markets",
        challenge_statement="Who buys plastic? Recyclers and markets.",
        background="Plastic, plastic everywhere; pickers and recyclers.",
    )

    results = ranked('"waste pickers sell plastic"')

    assert titles(results) == ["Informal waste pickers"]
    assert titles(ranked("waste pickers plastic"))[0] == "Informal waste pickers"


def test_it_ranks_the_plan_that_matches_best_first(published):
    published(title="Water", background="Rain falls.")
    published(title="Rainwater harvesting", background="Rainwater harvesting tanks for rainwater in schools.")

    assert titles(ranked("rainwater harvesting"))[0] == "Rainwater harvesting"


def test_it_finds_a_french_plan_by_french_words(published):
    published(title="Waste to energy", background="Turning household waste into energy.")
    published(
        title="Valorisation des déchets ménagers",
        language="fr",
        challenge_statement="La gestion des déchets ménagers à Cotonou reste un défi pour les municipalités.",
    )

    assert titles(ranked("déchets ménagers")) == ["Valorisation des déchets ménagers"]
    assert titles(ranked("municipalités Cotonou")) == ["Valorisation des déchets ménagers"]


def test_it_covers_children_and_tags(published):
    plan = published(title="Plan with children")
    plan.insights.create(text="Fishermen trust cooperatives")
    plan.barriers.create(text="Bureaucratic bottleneck")
    plan.partnerships.create(name="Zanzibar Seaweed Union", description="co-design")
    plan.learning_questions.create(question="How do mangroves recover?")
    plan.methods.add("Participatory mapping")
    plan.datasources.add("Drone imagery")
    plan.thematic_areas.add("blue economy")
    published(title="Other plan")

    for words in ["cooperatives", "bottleneck", "seaweed", "mangroves", "participatory", "drone", "economy"]:
        assert titles(ranked(words)) == ["Plan with children"], words


def test_it_follows_edits_and_deletions(published):
    plan = published(title="Before", background="alpha")
    assert titles(ranked("alpha")) == ["Before"]

    plan.background = "omega"
    plan.save()
    assert ranked("alpha") == []
    assert titles(ranked("omega")) == ["Before"]

    insight = plan.insights.create(text="zeta insight")
    assert titles(ranked("zeta")) == ["Before"]
    insight.delete()
    assert ranked("zeta") == []

    plan.methods.add("Gamma method")
    assert titles(ranked("gamma")) == ["Before"]
    plan.methods.clear()
    assert ranked("gamma") == []

    plan.delete()
    assert ranked("omega") == []


def test_it_batches_reindexing_until_the_block_ends(published):
    plan = published(title="Batch", background="first")
    with search.batch():
        plan.background = "second"
        plan.save()
        assert titles(ranked("first")) == ["Batch"]  # not yet rebuilt
    assert ranked("first") == []
    assert titles(ranked("second")) == ["Batch"]


def test_it_searches_only_the_given_queryset(published, plan_factory):
    published(title="Public sanitation", background="sanitation")
    plan_factory(title="Draft sanitation", background="sanitation", status=Plan.Status.DRAFT)

    assert titles(ranked("sanitation", Plan.objects.published())) == ["Public sanitation"]


def test_it_highlights_matches_in_an_escaped_snippet(published):
    published(title="Snippets", background="Use <script>alert(1)</script> & the biogas digesters here.")

    [plan] = ranked("biogas")
    html = search.highlight(search.snippets("biogas", [plan.pk])[plan.pk])

    assert "<mark>biogas</mark>" in html
    assert "<script>" not in html


@pytest.mark.parametrize("q", ['"', "-", "OR", 'AND "', "NEAR(", "*", "col:umn", "^x", ")"])
def test_it_survives_query_syntax_typed_by_users(published, q):
    published(title="Anything", background="column near and or")

    assert isinstance(ranked(q), list)


def test_it_excludes_words_prefixed_with_a_minus(published):
    published(title="Solar mini-grids", background="solar grids in villages")
    published(title="Solar lamps", background="solar lamps for schools")

    assert titles(ranked("solar -lamps")) == ["Solar mini-grids"]


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("-water", ["Market stalls", "Waste pickers"]),
        ("-water -waste", ["Market stalls"]),
        ('-"water kiosks"', ["Market stalls", "Waste pickers"]),
        ("-kiosks", ["Market stalls", "Waste pickers"]),
    ],
)
def test_it_finds_the_plans_without_the_words_of_an_only_negative_query(published, q, found):
    """Only excluded words: every plan of the queryset without them, on SQLite as on PostgreSQL (SQLite
    found nothing, PostgreSQL these plans), in the list's order since nothing is ranked."""
    published(title="Water kiosks", background="kiosks sell water")
    published(title="Waste pickers", background="cooperatives of pickers")
    published(title="Market stalls", background="stalls in Hanoi")
    draft = Plan.objects.create(title="Draft on markets", status=Plan.Status.DRAFT)

    matches = search.search(Plan.objects.published(), q)
    assert sorted(titles(matches)) == found
    assert {p.search_rank for p in matches} == {0.0}
    assert draft not in search.search(Plan.objects.published(), q)


def test_it_lists_the_plans_without_a_word_on_the_public_list(client, published):
    published(title="Water kiosks", background="kiosks sell water")
    published(title="Market stalls", background="stalls in Hanoi")

    html = client.get("/plans/", {"q": "-water"}).content.decode()
    assert "Market stalls" in html and "Water kiosks" not in html


@pytest.mark.corpus
@needs_corpus
def test_it_finds_real_plans_first_by_a_phrase_of_their_own(db):
    import random

    from django.core.management import call_command

    call_command("import_plans", str(CORPUS), verbosity=0)
    candidates = [
        p
        for p in Plan.objects.exclude(challenge_statement="").order_by("pk")
        if len(search.plain(p.challenge_statement).split()) >= 20
    ]
    misses = []
    for plan in random.Random(5).sample(candidates, 25):
        # Words as typed (hyphenated words whole: PostgreSQL indexes "de-risk" as one word and two parts).
        words = [w.strip(".,;:!?()[]\"'“”‘’") for w in search.plain(plan.challenge_statement).split()][5:12]
        results = ranked('"' + " ".join(words) + '"')
        # Near-duplicate files exist in the archive: the plan must be first or tied with an identical text.
        top = [p for p in results if p.search_rank == results[0].search_rank] if results else []
        if plan.pk not in {p.pk for p in top}:
            misses.append((plan.title, words))
    assert misses == []


def test_it_cuts_an_excerpt_around_the_first_match_far_into_a_plan(published):
    filler = " ".join(f"word{i}" for i in range(400))
    plan = published(title="Long", background=f"{filler} the Biogas digesters work. {filler}")

    snippet = search.snippets("biogas", [plan.pk])[plan.pk]

    assert snippet.startswith("… ") and snippet.endswith(" …")
    assert f"{search.START}Biogas{search.STOP} digesters" in snippet
    assert len(snippet.split()) <= 34
    assert snippet.startswith("… word393 word394") and "word392" not in snippet  # eight words lead in


def test_it_excerpts_the_opening_when_only_the_title_matches(published):
    plan = published(title="Mangroves", background="Coastal protection starts with roots.")

    snippet = search.snippets("mangroves", [plan.pk])[plan.pk]

    assert snippet.startswith("Coastal protection starts with roots.")
    assert search.START not in snippet


def test_it_highlights_words_the_way_the_index_matches_them():
    text = "L'équipement des BIOGAS: pas -excluded ici."

    snippet = search.excerpt(text, search.query_words('equipement "biogas" -pas OR'))

    assert f"{search.START}équipement{search.STOP}" in snippet
    assert f"{search.START}BIOGAS{search.STOP}" in snippet
    assert f"{search.START}pas" not in snippet


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("water first, then more", "\ue000water\ue001 first, then more"),  # no word before it
        # Long words before the match: the lead's window widens, and never starts inside a word.
        (
            " ".join(["x" * 90] * 9) + " watering can",
            "… " + " ".join(["x" * 90] * 8) + " \ue000watering\ue001 can",
        ),
        ("a" * 300 + " b, water", "a" * 300 + " b, \ue000water\ue001"),  # a window inside a word
        # Whole written words: "_" joins one, whose parts the index reads as two.
        ("waterfalls water_supply", "waterfalls \ue000water_supply\ue001"),
        ("Agua, WATER; waters", "Agua, \ue000WATER\ue001; \ue000waters\ue001"),
    ],
)
def test_it_starts_an_excerpt_eight_words_before_the_first_whole_word_match(text, expected):
    assert search.excerpt(text, search.query_words("water"), language="en") == expected


def test_it_excerpts_with_the_words_earlier_texts_taught_it(monkeypatch):
    # The process learns each written word's forms once per language (search._Vocabulary), bounded.
    monkeypatch.setattr(search, "_VOCABULARIES", {})
    monkeypatch.setattr(search._Vocabulary, "MOST", 3)
    water = search.query_words("water")

    assert search.excerpt("Rain fills the tanks", water, language="en") == "Rain fills the tanks"
    assert search.excerpt("Tanks of WATERS", water, language="en") == "Tanks of \ue000WATERS\ue001"
    assert search.excerpt("Tanks of waters", water, language="") == "Tanks of waters"  # no stemmer: words
    assert search.excerpt("tanks fill", search.query_words("tank"), language="en") == "\ue000tanks\ue001 fill"
    assert len(search._VOCABULARIES["en"].known) <= 3 + 2  # forgotten past the bound, then learnt again
    assert search.excerpt("Tanks of waters", water, language="en") == "Tanks of \ue000waters\ue001"


@pytest.mark.parametrize(
    ("taught", "text", "expected"),
    [
        # "water" is known: the words before it are read, and "WATERS" among them is learnt and found first.
        (
            "water",
            "Rain WATERS the tanks, then water",
            "Rain \ue000WATERS\ue001 the tanks, then \ue000water\ue001",
        ),
        # Known words inside longer ones are no match; the first whole word is.
        ("water", "waterfalls, waterwater and water", "waterfalls, waterwater and \ue000water\ue001"),
        ("waters water", "waterss waters", "waterss \ue000waters\ue001"),
        # A word not known before, after the first known match: highlighted among the words shown.
        ("water", "water one Waters", "\ue000water\ue001 one \ue000Waters\ue001"),
        ("", "no match at all here", "no match at all here"),
    ],
)
def test_it_finds_the_first_match_from_the_words_it_knows_and_those_before_them(
    taught, text, expected, monkeypatch
):
    monkeypatch.setattr(search, "_VOCABULARIES", {})
    water = search.query_words("water")
    search.excerpt(taught, water, language="en")

    assert search.excerpt(text, water, language="en") == expected


def test_it_learns_a_text_s_opening_again_when_its_words_were_forgotten(monkeypatch):
    monkeypatch.setattr(search, "_VOCABULARIES", {})
    filler = " ".join(f"w{i}" for i in range(30))
    text = f"Rain WATERS tanks {filler} then water and"
    search.excerpt("tanks x1 x2 x3", search.query_words("tank"), language="en")
    # Reads "Rain WATERS " and the words shown after "tanks", up to w28: 35 words known.
    search.excerpt(text, search.query_words("tank"), language="en")
    # Reading on, from "tanks" to the end, goes past the bound and forgets every word known, those of
    # the opening too; the opening is learnt again.
    monkeypatch.setattr(search._Vocabulary, "MOST", 34)
    search.excerpt(text, search.query_words("and"), language="en")

    water = search.excerpt(text, search.query_words("water"), language="en")

    assert water.startswith("Rain \ue000WATERS\ue001 tanks w0")


def test_it_reads_a_text_only_up_to_the_words_an_excerpt_shows(monkeypatch):
    monkeypatch.setattr(search, "_VOCABULARIES", {})
    water = search.query_words("water")
    text = "Tanks of water " + " ".join(f"word{i}" for i in range(100))
    search.excerpt("water", water, language="en")  # an earlier text taught it "water"

    excerpt = search.excerpt(text, water, language="en")

    known = search._VOCABULARIES["en"].known
    assert excerpt.endswith("word28 …")  # 32 words: three before the match, the match, 28 after it
    assert {"Tanks", "water", "word0", "word28"} <= known and "word29" not in known
    assert search._VOCABULARIES["en"].read[len(text), hash(text)] == len("Tanks of ")  # read up to "water"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Rain fills the tanks. " * 100 + "Then WATERS flow.",  # the match is far into the text
            "… fills the tanks. Rain fills the tanks. Then \ue000WATERS\ue001 flow …",
        ),
        ("water one waters", "\ue000water\ue001 one \ue000waters\ue001"),
        ("no match at all here", "no match at all here"),
    ],
)
def test_it_excerpts_a_text_met_again_by_the_words_it_read_in_it(text, expected, monkeypatch):
    monkeypatch.setattr(search, "_VOCABULARIES", {})
    water = search.query_words("water")

    excerpts = [search.excerpt(text, water, language="en") for _ in range(3)]

    assert excerpts == [expected] * 3
    # No word of it was known at first: it was read whole, and later excerpts of it read none of its words.
    assert search._VOCABULARIES["en"].read[len(text), hash(text)] == len(text)


def test_it_forgets_the_texts_it_read_past_a_bound(monkeypatch):
    monkeypatch.setattr(search, "_VOCABULARIES", {})
    monkeypatch.setattr(search._Vocabulary, "TEXTS", 2)
    water = search.query_words("water")

    for n in range(5):
        search.excerpt(f"text {n} of rain", water, language="en")

    assert 0 < len(search._VOCABULARIES["en"].read) <= 2 + 1


def test_it_finds_plans_by_the_new_name_of_a_renamed_lab(published):
    from plans.models import Lab

    lab = Lab.objects.create(name="Lab Zanzibar", country="Tanzania")
    published(title="Seaweed farms", lab=lab)

    lab.name = "Lab Pemba"
    lab.save()

    assert titles(ranked("Pemba", Plan.objects.published())) == ["Seaweed farms"]
    assert titles(ranked("Zanzibar", Plan.objects.published())) == []


@pytest.mark.parametrize(
    ("q", "title"),
    [
        ("farmer", "Farmers' cooperatives"),
        ("communaute", "Les communautés et leurs déchets"),
        ("dechet", "Les communautés et leurs déchets"),
        ("mujer", "Mujeres jóvenes emprendedoras"),
        ("joven", "Mujeres jóvenes emprendedoras"),
        ("economia", "La economía circular"),
    ],
)
def test_it_finds_the_other_forms_of_a_word_in_the_plans_language(published, q, title):
    published(title="Farmers' cooperatives", background="Farmers sell together.")
    published(title="Les communautés et leurs déchets", language="fr", background="Le tri des déchets.")
    published(title="Mujeres jóvenes emprendedoras", language="es", background="Mujeres de la costa.")
    published(title="La economía circular", language="es", background="Economías locales.")

    assert titles(ranked(q)) == [title]


def test_it_stems_a_plan_in_its_own_language_only(published):
    """French stemming turns "farmer" into "farm": an English plan about a farm is not found by "farmer",
    and a plan in a language without a stemmer only by its words as written (accents aside)."""
    published(title="City farm", background="A farm on the roof.")
    published(title="Agricultores", language="pt", background="Agricultores familiares.")

    assert ranked("farmer") == []
    assert titles(ranked("farms")) == ["City farm"]
    assert ranked("agricultor") == []
    assert titles(ranked("agricultóres")) == ["Agricultores"]


def test_it_matches_phrases_and_excluded_words_by_their_stems(published):
    published(title="Pickers", background="Waste pickers sell plastic.")
    published(title="Lamps", background="Solar lamps for schools.")
    published(title="Grids", background="Solar grids for villages.")

    assert titles(ranked('"waste picker sells"')) == ["Pickers"]
    assert titles(ranked("solar -lamp")) == ["Grids"]
    assert sorted(titles(search.search(Plan.objects.all(), "-lamp"))) == ["Grids", "Pickers"]


def test_it_highlights_the_forms_that_matched_by_their_stem(published):
    plan = published(title="Jeunes", language="fr", background="Les communautés rurales et la communauté.")

    snippet = search.snippets("communaute", [plan.pk])[plan.pk]

    assert snippet.count(search.START) == 2
    assert f"{search.START}communautés{search.STOP}" in snippet


def test_it_costs_a_tsvector_match_so_that_common_words_read_the_index(db):
    """Migration 0036: PostgreSQL's planner read every row's vector (out of TOAST) for a word in most plans;
    the match is costed high enough that the GIN index wins (3.2 s -> 0.13 s at 100,000 plans)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite's FTS5 always reads its own index")
    with connection.cursor() as cursor:
        function = "ts_match_vq(tsvector, tsquery)"
        cursor.execute("SELECT procost FROM pg_proc WHERE oid = %s::regprocedure", [function])
        assert cursor.fetchone()[0] == 200


@pytest.mark.corpus
@needs_corpus
def test_it_ranks_every_match_as_ts_rank_over_its_ranking_vector(db):
    """PostgreSQL reads the ranking vectors of the matches that hold a word of the query only; every other
    match takes the rank `ts_rank` gives a vector without them (0, or 1e-20 for several terms): the ranks
    of every match of every kind of query are those of `ts_rank` over each vector."""
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite ranks with FTS5's bm25()")
    call_command("import_plans", str(CORPUS), verbosity=0)
    ranks = set()
    queries = ["water", "innovation", "waste management", '"circular economy"', "solar -lamps", "mujeres"]
    for q in [*queries, "water OR energy", "farmers -women", '"local government" budget', "accelerator"]:
        found = dict(search.search(Plan.objects.all(), q).values_list("pk", "search_rank"))
        include, exclude = search._terms(q)
        with connection.cursor() as cursor:
            sql = (
                f"SELECT plan_id, ts_rank(r.ranking, %s::tsquery) FROM {search.TABLE} "
                f"JOIN {search.RANKING_TABLE} r USING (plan_id)"
            )
            cursor.execute(f"{sql} WHERE document @@ %s::tsquery", [search._query(include, exclude)] * 2)
            expected = dict(cursor.fetchall())
        assert found == {pk: expected[pk] for pk in found} and found, q
        ranks |= set(found.values())
    assert len(ranks) > 100


@pytest.mark.django_db(transaction=True)
def test_it_ranks_a_word_once_for_all_its_pages_until_the_version_moves(plan_factory, monkeypatch):
    from plans import postings

    # Not beside the corpus tests: their module's import stays in a transaction, where nothing is kept.
    search._RUM.clear()
    if connection.vendor == "postgresql" and not search.has_rum():
        pytest.skip("needs PostgreSQL with the RUM extension (postgresql-15-rum, installed by .ci/run)")
    postings.forget()
    published = {"status": Plan.Status.PUBLISHED, "complete": True}
    made = [plan_factory(title=f"Water plan {n}", **published) for n in range(3)]
    computed = []
    way = "_ranked_ids" if connection.vendor == "postgresql" else "_scored_ids"
    real = getattr(search, way)
    monkeypatch.setattr(search, way, lambda *args: computed.append(1) or real(*args))
    plans = Plan.objects.published()

    first = search.ranked_ids(plans, "water", 100)
    assert search.ranked_ids(plans, "water", 100) == first and len(computed) == 1
    assert sorted(first) == sorted(p.pk for p in made)

    newer = plan_factory(title="Water plan 3", **published)
    assert newer.pk in search.ranked_ids(plans, "water", 100) and len(computed) == 2
