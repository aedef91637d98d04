"""Full-text search over plans, on PostgreSQL and on SQLite.

One index row per plan (`plans_searchindex`) holds the title and one plain-text body made of every answer,
the children (insights, barriers, partners, learning questions, evidence, other answers) and the tag and
SDG names:

- PostgreSQL: a table with a `tsvector` column (title weighted A, body B) under a GIN index, queried with
  `websearch_to_tsquery`, ranked with `ts_rank_cd` and highlighted with `ts_headline`;
- SQLite: an FTS5 virtual table, ranked with `bm25()` and highlighted with `snippet()`.

Both use language-neutral tokenising (PostgreSQL's 'simple' configuration, FTS5's unicode61), so a French
or Spanish plan is found by its own words. The table is created by migration 0003_search.

Keeping it current: `update_index(plan_ids)` rebuilds the rows of those plans. Signal receivers below call
it after every save or delete of a plan, a child row, a tag assignment or a tag rename (admin edits,
publishing). Bulk writers (the importer) wrap their work in `with search.batch():`, which collects the
plan ids and rebuilds each plan once at the end; `bulk_create` sends no signals, so they call
`update_index` themselves for what they wrote that way.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import connection, models
from django.db.models.expressions import RawSQL
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe

from plans.catalogue import TEXT_ANSWER_FIELDS

TABLE = "plans_searchindex"
# Private-use characters mark the highlighted words in snippets: they cannot occur in the indexed text,
# so the snippet can be escaped first and the marks turned into <mark> afterwards.
START, STOP = "\ue000", "\ue001"

PLAN_TEXT_FIELDS = (*TEXT_ANSWER_FIELDS, "country")


def plain(text: str) -> str:
    """Archive answers hold raw HTML and entities: index and show the words only."""
    return html.unescape(strip_tags(text or "")).replace(START, "").replace(STOP, "")


def document(plan) -> tuple[str, str]:
    """(title, body) of one plan, from a plan fetched with `_prefetch()`."""
    parts = [getattr(plan, name) for name in PLAN_TEXT_FIELDS]
    if plan.lab_id:
        parts.append(plan.lab.name)
    parts += [i.text for i in plan.insights.all()]
    parts += [b.text for b in plan.barriers.all()]
    for p in plan.partnerships.all():
        parts += [p.name, p.description]
    for q in plan.learningquestions.all():
        parts += [q.question, q.methods_usage, q.data_gaps]
    for e in plan.evidences.all():
        parts.append(e.text)
    for a in plan.extraanswers.all():
        parts.append(a.answer)
    parts += [t.name for t in plan.methods.all()]
    parts += [t.name for t in plan.datasources.all()]
    parts += [t.name for t in plan.thematic_areas.all()]
    parts += [s.name for s in plan.sdgs.all()]
    body = "\n".join(plain(p) for p in parts if p and p.strip())
    return plain(plan.title), body


def _prefetch(qs):
    return qs.select_related("lab").prefetch_related(
        "insights",
        "barriers",
        "partnerships",
        "learningquestions",
        "evidences",
        "extraanswers",
        "methods",
        "datasources",
        "thematic_areas",
        "sdgs",
    )


def update_index(plan_ids: Iterable[int]) -> None:
    """(Re)build the index rows of these plans; ids of deleted plans lose their row."""
    from plans.models import Plan

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
            cursor.executemany(
                f"INSERT INTO {TABLE} (plan_id, title, body, document) VALUES (%s, %s, %s, "
                "setweight(to_tsvector('simple', %s), 'A') || setweight(to_tsvector('simple', %s), 'B'))",
                [(pk, title, body, title, body) for pk, title, body in rows],
            )
        else:
            cursor.execute(f"DELETE FROM {TABLE} WHERE rowid IN ({marks})", ids)
            cursor.executemany(f"INSERT INTO {TABLE} (rowid, title, body) VALUES (%s, %s, %s)", rows)


def rebuild() -> int:
    """Rebuild the whole index; returns the number of plans indexed."""
    from plans.models import Plan

    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE}")
    ids = list(Plan.objects.values_list("pk", flat=True))
    update_index(ids)
    return len(ids)


# ------------------------------------------------------------------ querying

_TOKEN = re.compile(r'(-?)"([^"]*)"|(\S+)')
_WORD = re.compile(r"\w+")


def fts5_query(q: str) -> str:
    """Translate web-search syntax (words, "phrases", -excluded, OR) into a safe FTS5 query: every word
    is quoted, so nothing the user types is FTS5 syntax."""
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
    if not include:
        return ""
    query = " AND ".join(include)
    for term in exclude:
        query = f"({query}) NOT {term}"
    return query


HEADLINE_OPTIONS = (
    f'StartSel={START}, StopSel={STOP}, MaxWords=35, MinWords=15, MaxFragments=2, FragmentDelimiter=" … "'
)


def search(queryset: models.QuerySet, q: str, *, snippets: bool = True) -> models.QuerySet:
    """Plans of `queryset` matching the web-search query `q`, annotated with `search_rank` (higher is
    better) and, unless `snippets=False`, `search_snippet` (plain text with private-use highlight marks:
    render it with `highlight()` or the `|highlight` template filter). An empty or wordless query matches
    nothing.

    A snippet costs far more than a match: lists ask for none here and call `snippets()` for the one page
    they show (a query matching thousands of plans would otherwise build thousands of snippets)."""
    q = (q or "").strip()
    if connection.vendor == "postgresql":
        tsq = "websearch_to_tsquery('simple', %s)"
        match = RawSQL(f"SELECT plan_id FROM {TABLE} WHERE document @@ {tsq}", [q])
        rank = RawSQL(
            f"SELECT ts_rank_cd(document, {tsq}, 1) FROM {TABLE} s WHERE s.plan_id = plans_plan.id",
            [q],
            output_field=models.FloatField(),
        )
        snippet = RawSQL(
            f"SELECT ts_headline('simple', s.body, {tsq}, %s) FROM {TABLE} s WHERE s.plan_id = plans_plan.id",
            [q, HEADLINE_OPTIONS],
            output_field=models.TextField(),
        )
    else:
        fts = fts5_query(q)
        if not fts:  # nothing searchable typed: no match, but the same annotations for callers
            return queryset.none().annotate(
                search_rank=models.Value(0.0, output_field=models.FloatField()),
                search_snippet=models.Value("", output_field=models.TextField()),
            )
        match = RawSQL(f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s", [fts])
        # bm25() in a subquery correlated on the plan re-runs the whole MATCH for every row (0.6 s for 4,000
        # matches at 10,000 plans). `LIMIT -1` keeps SQLite from flattening the inner query, so it is
        # computed once and looked up through an automatic index (15 ms for the same query).
        rank = RawSQL(
            f"SELECT r.rank FROM (SELECT rowid AS plan_id, -bm25({TABLE}, 10.0, 1.0) AS rank FROM {TABLE} "
            f"WHERE {TABLE} MATCH %s LIMIT -1) r WHERE r.plan_id = plans_plan.id",
            [fts],
            output_field=models.FloatField(),
        )
        snippet = RawSQL(
            f"SELECT snippet({TABLE}, 1, %s, %s, ' … ', 32) FROM {TABLE} "
            f"WHERE {TABLE} MATCH %s AND rowid = plans_plan.id",
            [START, STOP, fts],
            output_field=models.TextField(),
        )
    queryset = queryset.filter(pk__in=match).annotate(search_rank=rank)
    return queryset.annotate(search_snippet=snippet) if snippets else queryset


def snippets(q: str, plan_ids: Iterable[int]) -> dict[int, str]:
    """{plan id: snippet} for these plans (one page of results), in one query."""
    ids = [int(i) for i in plan_ids]
    q = (q or "").strip()
    if not ids or not q:
        return {}
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT plan_id, ts_headline('simple', body, websearch_to_tsquery('simple', %s), %s) "
                f"FROM {TABLE} WHERE plan_id IN ({marks})",
                [q, HEADLINE_OPTIONS, *ids],
            )
        else:
            fts = fts5_query(q)
            if not fts:
                return {}
            cursor.execute(
                f"SELECT rowid, snippet({TABLE}, 1, %s, %s, ' … ', 32) FROM {TABLE} "
                f"WHERE {TABLE} MATCH %s AND rowid IN ({marks})",
                [START, STOP, fts, *ids],
            )
        return dict(cursor.fetchall())


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
    from plans.models import Plan

    if isinstance(instance, Plan):
        update_index([instance.pk])
    elif pk_set:  # changed from the tag's or the SDG's side
        update_index(pk_set)


def _tag_renamed(sender, instance, created=False, raw=False, **kwargs):
    if not created and not raw:
        update_index(instance.tagged_items.values_list("content_object_id", flat=True))


def _connect():
    from plans import models as m

    post_save.connect(_plan_saved, sender=m.Plan, dispatch_uid="search-plan-saved")
    post_delete.connect(_plan_deleted, sender=m.Plan, dispatch_uid="search-plan-deleted")
    for child in (m.Insight, m.Barrier, m.Partnership, m.LearningQuestion, m.Evidence, m.ExtraAnswer):
        post_save.connect(_child_changed, sender=child, dispatch_uid=f"search-{child.__name__}-saved")
        post_delete.connect(_child_changed, sender=child, dispatch_uid=f"search-{child.__name__}-deleted")
    for through in (m.TaggedMethod, m.TaggedDatasource, m.TaggedThematicArea):
        m2m_changed.connect(_m2m_changed, sender=through, dispatch_uid=f"search-{through.__name__}-m2m")
        post_delete.connect(_through_changed, sender=through, dispatch_uid=f"search-{through.__name__}-del")
    m2m_changed.connect(_m2m_changed, sender=m.Plan.sdgs.through, dispatch_uid="search-sdgs-m2m")
    for tag in (m.MethodTag, m.DatasourceTag, m.ThematicAreaTag):
        post_save.connect(_tag_renamed, sender=tag, dispatch_uid=f"search-{tag.__name__}-renamed")


_connect()
