"""Search in the plans' languages over the real corpus (../shared/corpus, English, French and Spanish): a word
finds its inflections and its forms typed without accents, each language's stems find only the plans of that
language, and the plans found are the ones a reference computed here in Python finds, on the database in use
(the suite runs on SQLite and on PostgreSQL, so both agree with the same reference)."""

import functools
import io

import pytest
import snowballstemmer
from django.core.management import call_command
from django.db import transaction

from plans import search
from plans.models import Plan
from tests.conftest import CORPUS, needs_corpus

pytestmark = [needs_corpus, pytest.mark.corpus, pytest.mark.django_db]

# Only true inflections and accents: irregular forms (woman/women) are no stemmer's business.
FAMILIES = [
    ("farmer", "farmers"),
    ("community", "communities"),
    ("household", "households"),
    ("policy", "policies"),
    ("communauté", "communautés", "communaute", "communautes"),
    ("déchet", "déchets", "dechets", "dechet"),
    ("femme", "femmes"),
    ("jeune", "jeunes"),
    ("mujer", "mujeres"),
    ("economía", "economia", "economías"),
    ("joven", "jóvenes", "jovenes"),
    ("residuo", "residuos"),
    ("comunidad", "comunidades"),
]


@functools.cache
def stemmer(language: str):
    """snowballstemmer's own stemmer, cached per word (the reference stems the corpus's words once)."""
    return functools.cache(snowballstemmer.stemmer(search.STEMMERS[language]).stemWord)


@pytest.fixture(scope="module")
def corpus(django_db_setup, django_db_blocker):
    """The corpus imported once for this module's tests, which only read it, in a transaction rolled back
    after the last of them. Returns {plan id: (folded words, their stems, language)} of every plan's
    indexed text, for the reference (no stems for a language without a stemmer)."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("import_plans", str(CORPUS), stdout=io.StringIO(), stderr=io.StringIO())
        texts = {}
        for plan in search._prefetch(Plan.objects.all()):
            words = set(search.terms("\n".join(search.document(plan)[:2])))
            stem = stemmer(plan.language) if plan.language in search.STEMMERS else None
            texts[plan.pk] = (words, {stem(w) for w in words} if stem else set(), plan.language)
        yield texts
        transaction.set_rollback(True)


def found(q: str) -> set[int]:
    return set(search.search(Plan.objects.all(), q).values_list("pk", flat=True))


def reference(corpus, word: str) -> set[int]:
    """The plans a lone word should find, from the plans' words and snowballstemmer alone: its folded form
    anywhere, or, in a plan of a stemmed language, a word whose stem is the word's stem, the word itself or
    its stem's stem (Snowball stems "mujer" to "muj" but "mujeres" to "mujer")."""
    [term] = search.terms(word)
    plans = set()
    for pk, (words, stems, language) in corpus.items():
        if term in words:
            plans.add(pk)
        elif stems:
            stem = stemmer(language)
            if {stem(term), term, stem(stem(term))} & stems:
                plans.add(pk)
    return plans


@pytest.mark.parametrize("family", FAMILIES, ids=lambda family: family[0])
def test_it_finds_nine_tenths_of_a_word_familys_plans_by_each_of_its_forms(corpus, family):
    by_form = {form: found(form) for form in family}
    union = set().union(*by_form.values())

    assert len(union) >= 3, family  # the corpus has this family: the measure means something
    for form, plans in by_form.items():
        assert len(plans) >= 0.9 * len(union), (form, len(plans), len(union))


@pytest.mark.parametrize("word", [form for family in FAMILIES for form in family])
def test_it_finds_the_plans_the_reference_finds(corpus, word):
    assert found(word) == reference(corpus, word)


def test_it_applies_french_stems_to_french_plans_only(corpus):
    """French stemming turns "farmer" into "farm": on English plans it must not, or "farmer" would find the
    plans about farms. "Digital AgroEnergy" (English) speaks of a farm and never of farmers."""
    assert snowballstemmer.stemmer("french").stemWord("farmer") == "farm"
    [farm_plan] = Plan.objects.filter(title__startswith="Digital AgroEnergy", language="en")
    words = corpus[farm_plan.pk][0]
    assert "farm" in words and not {"farmer", "farmers"} & words

    assert farm_plan.pk in found("farm")
    assert farm_plan.pk not in found("farmer")


@pytest.mark.parametrize("word", ["rivadavia", "farmitech", "makedonski", "metamorphosis"])
def test_it_keeps_rare_words_precise(corpus, word):
    """A word of one plan finds that plan only."""
    assert len(found(word)) == 1
    assert found(word) == {pk for pk, (words, _stems, _language) in corpus.items() if word in words}


def test_it_highlights_the_inflected_form_that_matched(corpus):
    """The plan says "farm"; searched for "farms", its excerpt marks "farm"."""
    [plan] = Plan.objects.filter(title__startswith="Digital AgroEnergy", language="en")
    assert plan.pk in found("farms")

    snippet = search.snippets("farms", [plan.pk])[plan.pk]

    assert f"{search.START}farm{search.STOP}" in snippet.lower()
