"""Full-text search over plans, on PostgreSQL and on SQLite.

One index row per plan (`plans_searchindex`) holds the title and one plain-text body made of every answer,
the children (insights, barriers, partners, learning questions, evidence, other answers) and the tag and
SDG names:

- PostgreSQL: a table with a `tsvector` column (title weighted A, body B) under a GIN index, queried with
  `websearch_to_tsquery`, ranked with `ts_rank` over a small `ranking` vector (title and the plan's opening,
  see RANKING);
- SQLite: an FTS5 virtual table, ranked with `bm25()`.

Excerpts of a page of results, with the query's words highlighted, are cut in Python from the stored body
(`snippets()`), the same way on both databases.

Both use language-neutral tokenising (PostgreSQL's 'simple' configuration, FTS5's unicode61), so a French
or Spanish plan is found by its own words. The table is created by migration 0003_search.

Keeping it current: `update_index(plan_ids)` rebuilds the rows of those plans. Signal receivers below
(connected by `PlansConfig.ready()`) call it after every save or delete of a plan, a child row, a tag
assignment or a tag rename (admin edits, publishing). Bulk writers (the importer) wrap their work in
`with search.batch():`, which collects the plan ids and rebuilds each plan once at the end; `bulk_create`
sends no signals, so they call `update_index` themselves for what they wrote that way.
"""

from __future__ import annotations

import html
import re
import threading
import unicodedata
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from itertools import islice

import nh3
from django.db import connection, models, transaction
from django.db.models.expressions import RawSQL
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from plans.catalogue import TEXT_ANSWER_FIELDS
from plans.models import Lab, Plan
from plans.parts import CHILDREN, TAG_VOCABULARIES, VOCABULARIES, VOCABULARY_NAMES, vocabulary
from plans.sanitise import flatten

TABLE = "plans_searchindex"
# Private-use characters mark the highlighted words in snippets: they cannot occur in the indexed text,
# so the snippet can be escaped first and the marks turned into <mark> afterwards.
START, STOP = "\ue000", "\ue001"

PLAN_TEXT_FIELDS = (*TEXT_ANSWER_FIELDS, "country")


def plain(text: str) -> str:
    """Archive answers hold raw HTML and entities: index and show the words only. Tags are stripped by nh3
    (Rust; the sanitiser's own library), which also drops script and style contents; Django's strip_tags
    took a tenth of the import's time."""
    text = text or ""
    if "<" in text:
        text = nh3.clean(flatten(text), tags=set())  # flattened: nh3 is quadratic in nesting depth
    return html.unescape(text).replace(START, "").replace(STOP, "")


def document(plan) -> tuple[str, str]:
    """(title, body) of one plan, from a plan fetched with `_prefetch()`."""
    parts = [getattr(plan, name) for name in PLAN_TEXT_FIELDS]
    if plan.lab_id:
        parts.append(plan.lab.name)
    for child in CHILDREN:  # plans/parts.py says which fields of which rows hold words
        for row in getattr(plan, child.related_name).all() if child.indexed_fields else ():
            parts += [getattr(row, name) for name in child.indexed_fields]
    parts += [tag.name for v in VOCABULARIES for tag in getattr(plan, v.name).all()]
    body = "\n".join(plain(p) for p in parts if p and p.strip())
    return plain(plan.title), body


def _prefetch(qs):
    """What `document()` reads: every part of a plan but its reviewed children (blog links)."""
    children = [c.related_name for c in CHILDREN if c.indexed_fields]
    return qs.select_related("lab").prefetch_related(*children, *VOCABULARY_NAMES)


# PostgreSQL: what is matched (every word of the plan) and what is ranked. Ranking reads a small vector of
# the title and the opening of the plan (its name and challenge statement): ranking each match's whole
# document detoasted ~8 KB per plan and took half a second for a query matching 19,000 of 100,000 plans;
# over the opening it takes about a quarter of that, and plans that mention the words only further down
# follow, newest first. SQL expressions over the columns `title` and `body`.
DOCUMENT = "setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', body), 'B')"
RANKING = (
    "setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', left(body, 1000)), 'B')"
)


def update_index(plan_ids: Iterable[int]) -> None:
    """(Re)build the index rows of these plans; ids of deleted plans lose their row."""
    ids = sorted({int(i) for i in plan_ids})
    if not ids:
        return
    if _batch.ids is not None:
        _batch.ids.update(ids)
        return
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = [(p.pk, *document(p)) for p in _prefetch(Plan.objects.filter(pk__in=chunk))]
        _write(chunk, rows)


def _write(ids: list[int], rows: list[tuple[int, str, str]]) -> None:
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DELETE FROM {TABLE} WHERE plan_id IN ({marks})", ids)
            # One statement for all rows, each text sent once, as three arrays (unnest zips them back).
            if rows:
                import psycopg  # the PostgreSQL driver, installed wherever this branch runs

                pks, titles, bodies = (list(column) for column in zip(*rows, strict=True))
                # Bound by the server (Django's cursors quote values into the SQL text in Python, which
                # took longer than sending several megabytes of text).
                with psycopg.Cursor(connection.connection) as raw:
                    raw.execute(
                        f"INSERT INTO {TABLE} (plan_id, title, body, document, ranking) "
                        f"SELECT plan_id, title, body, {DOCUMENT}, {RANKING} "
                        "FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS r (plan_id, title, body)",
                        [pks, titles, bodies],
                    )
        else:
            cursor.execute(f"DELETE FROM {TABLE} WHERE rowid IN ({marks})", ids)
            cursor.executemany(f"INSERT INTO {TABLE} (rowid, title, body) VALUES (%s, %s, %s)", rows)


def rebuild() -> int:
    """Rebuild the whole index (`manage.py rebuild_search_index`) in one transaction, so that searches use
    the old index until the new one is complete; returns the number of plans indexed."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {TABLE}")
        ids = list(Plan.objects.values_list("pk", flat=True))
        update_index(ids)
    return len(ids)


# ------------------------------------------------------------------ querying

_TOKEN = re.compile(r'(-?)"([^"]*)"|(\S+)')
_WORD = re.compile(r"\w+")


def _terms(q: str) -> tuple[list[str], list[str]]:
    """(included, excluded) terms of web-search syntax (words, "phrases", -excluded, OR), each a quoted
    phrase of its words (an OR group in parentheses), so that nothing the user types is query syntax."""
    include: list[str] = []
    exclude: list[str] = []
    pending_or = False
    for m in _TOKEN.finditer(q):
        negate, phrase, bare = m.group(1), m.group(2), m.group(3)
        if bare is not None:
            if bare == "OR" or bare.lower() == "or":
                pending_or = bool(include)
                continue
            negate = "-" if bare.startswith("-") and len(bare) > 1 else ""
            words = _WORD.findall(bare)
        else:
            words = _WORD.findall(phrase)
        if not words:
            continue
        term = '"' + " ".join(words) + '"'
        if negate:
            exclude.append(term)
        elif pending_or:
            include[-1] = f"({include[-1]} OR {term})"
            pending_or = False
        else:
            include.append(term)
    return include, exclude


def fts5_query(q: str) -> str:
    """A safe FTS5 query for the web-search query `q`; empty when it includes no word."""
    include, exclude = _terms(q)
    if not include:
        return ""
    query = " AND ".join(include)
    for term in exclude:
        query = f"({query}) NOT {term}"
    return query


def _matching(q: str) -> RawSQL:
    """Ids of the plans whose index row matches the web-search query `q` (with words to include)."""
    if connection.vendor == "postgresql":
        return RawSQL(
            f"SELECT plan_id FROM {TABLE} WHERE document @@ websearch_to_tsquery('simple', %s)", [q]
        )
    return RawSQL(f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s", [fts5_query(q)])


def search(queryset: models.QuerySet, q: str) -> models.QuerySet:
    """Plans of `queryset` matching the web-search query `q`, annotated with `search_rank` (higher is
    better). An empty or wordless query matches nothing; a query of excluded words only (`-water`) matches
    every plan without them, unranked, the same on both databases. Lists show an excerpt of the page they
    show with `snippets()`."""
    q = (q or "").strip()
    include, exclude = _terms(q)
    unranked = models.Value(0.0, output_field=models.FloatField())
    if not include:
        if not exclude:  # nothing searchable typed: no match, but the same annotation for callers
            return queryset.none().annotate(search_rank=unranked)
        return queryset.exclude(pk__in=_matching(" OR ".join(exclude))).annotate(search_rank=unranked)
    if connection.vendor == "postgresql":
        # No length normalisation: the ranking vector is bounded (title and 1,000 characters).
        rank = RawSQL(
            f"SELECT ts_rank(ranking, websearch_to_tsquery('simple', %s)) FROM {TABLE} s "
            "WHERE s.plan_id = plans_plan.id",
            [q],
            output_field=models.FloatField(),
        )
    else:
        # bm25() in a subquery correlated on the plan re-runs the whole MATCH for every row (0.6 s for 4,000
        # matches at 10,000 plans). `LIMIT -1` keeps SQLite from flattening the inner query, so it is
        # computed once and looked up through an automatic index (15 ms for the same query).
        rank = RawSQL(
            f"SELECT r.rank FROM (SELECT rowid AS plan_id, -bm25({TABLE}, 10.0, 1.0) AS rank FROM {TABLE} "
            f"WHERE {TABLE} MATCH %s LIMIT -1) r WHERE r.plan_id = plans_plan.id",
            [fts5_query(q)],
            output_field=models.FloatField(),
        )
    return queryset.filter(pk__in=_matching(q)).annotate(search_rank=rank)


@lru_cache(maxsize=50_000)
def fold(word: str) -> str:
    """A word as the indexes compare it: case-folded, without diacritics (FTS5's remove_diacritics)."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def query_words(q: str) -> set[str]:
    """The words a query looks for, folded: what an excerpt highlights (never the excluded `-words`)."""
    words = set()
    for m in _TOKEN.finditer(q or ""):
        negate, phrase, bare = m.group(1), m.group(2), m.group(3)
        text = phrase if bare is None else bare
        if negate or (bare is not None and (bare.startswith("-") and len(bare) > 1 or bare.lower() == "or")):
            continue
        words.update(fold(w) for w in _WORD.findall(text))
    return words


def excerpt(text: str, words: set[str], size: int = 32, before: int = 8) -> str:
    """About `size` words of `text` from a little before the first of `words` found, each of them marked
    with START and STOP; the opening of the text when none is there (a plan found by its title). Works the
    same on both databases, and reads a text only as far as its first match: PostgreSQL's ts_headline parsed
    every whole plan and took 12 ms for a page of 20."""
    lead: deque[tuple[int, int, bool]] = deque(maxlen=before)  # the words just before the first match
    spans: list[tuple[int, int, bool]] = []  # (start, end, is a match) from the first match on
    for m in _WORD.finditer(text):
        hit = fold(m.group()) in words
        if not spans and not hit:
            lead.append((m.start(), m.end(), False))
        else:
            spans.append((m.start(), m.end(), hit))
            if len(lead) + len(spans) >= size:
                break
    if spans:
        spans = [*lead, *spans]
    else:
        spans = [(m.start(), m.end(), False) for m in islice(_WORD.finditer(text), size)]
    if not spans:
        return ""
    begin, end = spans[0][0], spans[-1][1]
    out = ["… " if text[:begin].strip() else ""]
    cursor = begin
    for start, stop, hit in spans:
        if hit:
            out += [text[cursor:start], START, text[start:stop], STOP]
            cursor = stop
    out.append(text[cursor:end])
    out.append(" …" if text[end:].strip() else "")
    return " ".join("".join(out).split())


def snippets(q: str, plan_ids: Iterable[int]) -> dict[int, str]:
    """{plan id: excerpt of its text around the query's words} for these plans (one page of results), in
    one query."""
    ids = [int(i) for i in plan_ids]
    words = query_words(q)
    if not ids or not words:
        return {}
    key = "plan_id" if connection.vendor == "postgresql" else "rowid"
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {key}, body FROM {TABLE} WHERE {key} IN ({marks})", ids)
        return {pk: excerpt(body, words) for pk, body in cursor.fetchall()}


def highlight(snippet: str | None) -> SafeString:
    """Escape a snippet and turn its highlight marks into <mark> elements."""
    text = escape(snippet or "")
    return mark_safe(text.replace(START, "<mark>").replace(STOP, "</mark>"))  # noqa: S308 (escaped above)


# ------------------------------------------------------------------ keeping it current


class _Batch(threading.local):
    ids: set[int] | None = None


_batch = _Batch()


@contextmanager
def batch() -> Iterator[None]:
    """Collect the plans touched inside the block and rebuild each once at the end (for importers)."""
    if _batch.ids is not None:  # nested: the outer block flushes
        yield
        return
    _batch.ids = set()
    try:
        yield
        ids = _batch.ids
    finally:
        _batch.ids = None
    update_index(ids)


def _plan_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        update_index([instance.pk])


def _plan_deleted(sender, instance, **kwargs):
    update_index([instance.pk])


def _child_changed(sender, instance, raw=False, **kwargs):
    if not raw and instance.plan_id:
        update_index([instance.plan_id])


def _through_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        update_index([instance.content_object_id])


def _m2m_changed(sender, instance, action, reverse=False, pk_set=None, **kwargs):
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    if isinstance(instance, Plan):
        update_index([instance.pk])
    elif pk_set:  # changed from the tag's or the SDG's side
        update_index(pk_set)


def _tag_renamed(sender, instance, created=False, raw=False, **kwargs):
    if not created and not raw:
        update_index(instance.tagged_items.values_list("content_object_id", flat=True))


def _lab_saved(sender, instance, created=False, raw=False, **kwargs):
    # A plan's lab name is part of its indexed text: a renamed lab's plans are found by the new name.
    if not created and not raw:
        update_index(instance.plans.values_list("pk", flat=True))


def connect() -> None:
    """Connect the receivers that keep the index current (called by `PlansConfig.ready()`). Children and
    vocabularies come from `plans.parts`; reviewed children (blog links) are not indexed: a URL is not the
    plan's words, and a pending one must not make a plan findable."""
    post_save.connect(_lab_saved, sender=Lab, dispatch_uid="search-lab-saved")
    post_save.connect(_plan_saved, sender=Plan, dispatch_uid="search-plan-saved")
    post_delete.connect(_plan_deleted, sender=Plan, dispatch_uid="search-plan-deleted")
    for child in (c.model for c in CHILDREN if c.indexed_fields):
        post_save.connect(_child_changed, sender=child, dispatch_uid=f"search-{child.__name__}-saved")
        post_delete.connect(_child_changed, sender=child, dispatch_uid=f"search-{child.__name__}-deleted")
    for v in TAG_VOCABULARIES:
        m2m_changed.connect(_m2m_changed, sender=v.through, dispatch_uid=f"search-{v.through.__name__}-m2m")
        post_delete.connect(
            _through_changed, sender=v.through, dispatch_uid=f"search-{v.through.__name__}-del"
        )
        post_save.connect(
            _tag_renamed, sender=v.tag_model, dispatch_uid=f"search-{v.tag_model.__name__}-renamed"
        )
    m2m_changed.connect(_m2m_changed, sender=vocabulary("sdgs").through, dispatch_uid="search-sdgs-m2m")
