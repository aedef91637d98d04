"""Full-text search over plans, on PostgreSQL and on SQLite.

One index row per plan holds the title and one plain-text body made of every answer, the children
(insights, barriers, partners, learning questions, evidence, other answers) and the tag and SDG names:

- PostgreSQL: a table of `tsvector` documents (`plans_searchindex`) under a GIN index, queried with a
  `tsquery`, ranked with `ts_rank` over a small `ranking` vector (title and the plan's opening) kept in a
  table of its own (`plans_searchranking`, under a RUM index when the extension is there), the title and
  body in a third (`plans_searchtext`);
- SQLite: an FTS5 virtual table (`plans_searchindex`), ranked with `bm25()`.

Words are analysed in Python for both (see "analysis" below): each plan by its folded words and by their
Snowball stems in its language, each query in every language, so that a word finds its inflections and
forms typed without accents, and the same query finds the same plans on both databases. The vectors and
FTS5 columns hold those analysed words; the queries are built from them (`_query()`).

Excerpts of a page of results, with the words that matched highlighted, are cut in Python from the stored
body (`snippets()`), the same way on both databases. The table is created by migration 0003_search; its
analysed form by 0019_search_stems.

Keeping it current: `update_index(plan_ids)` rebuilds the rows of those plans. Signal receivers below
(connected by `PlansConfig.ready()`) call it after every save or delete of a plan, a child row, a tag
assignment or a tag rename (admin edits, publishing). Bulk writers (the importer) wrap their work in
`with search.batch():`, which collects the plan ids and rebuilds each plan once at the end; `bulk_create`
sends no signals, so they call `update_index` themselves for what they wrote that way.
"""

from __future__ import annotations

import html
import itertools
import re
import struct
import threading
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from operator import itemgetter

import nh3
import snowballstemmer
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
# PostgreSQL's ranking vectors, in a narrow table of their own, stored in its rows (migration 0040): a RUM
# scan fetches each match's row, and the ORDER BY's distance is computed from its vector. In the index's
# table, the vector (2.8 KB) was out of line, so each match read its row and its TOAST chunks (five pages a
# match, 15 ms for a word's first 1,500 when cached, 37-57 ms when not); here one page (6 and 15 ms). A
# wide row in the index's own table would have slowed every match read through the document's GIN index
# (a word in 17,000 plans: 16 -> 60 ms), as its plan ids sit in ten times as many pages.
RANKING_TABLE = "plans_searchranking"
RANKING_INDEX = "plans_searchranking_ranking"
# PostgreSQL's titles and bodies, which excerpts are cut from, in a table of their own too (migration 0041):
# a word's matches are read through the document's GIN index, a page of the index's table for each few
# matches, and a title in each row spread them over five times as many pages (a word in 17,000 of 100,000
# plans: 4,428 pages, 14.5 ms when cached, 64 when not; without them 870 pages, 6.4 ms).
TEXT_TABLE = "plans_searchtext"
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


def search_names(tag) -> list[str]:
    """The names a tag is found by: its own, its French and Spanish labels, its aliases."""
    aliases = [a.get("name", "") for a in getattr(tag, "aliases", None) or ()]
    return [tag.name, getattr(tag, "name_fr", ""), getattr(tag, "name_es", ""), *aliases]


def document(plan) -> tuple[str, str, str]:
    """(title, body, language) of one plan, from a plan fetched with `_prefetch()`."""
    parts = [getattr(plan, name) for name in PLAN_TEXT_FIELDS]
    if plan.lab_id:
        parts.append(plan.lab.name)
    for child in CHILDREN:  # plans/parts.py says which fields of which rows hold words
        for row in getattr(plan, child.related_name).all() if child.indexed_fields else ():
            parts += [getattr(row, name) for name in child.indexed_fields]
    # A curated tag is found by its labels and earlier names too: "economía circular" finds the plans
    # tagged "circular economy" (plans/vocabularies.py).
    parts += [n for v in VOCABULARIES for tag in getattr(plan, v.name).all() for n in search_names(tag)]
    body = "\n".join(plain(p) for p in parts if p and p.strip())
    return plain(plan.title), body, plan.language


def _prefetch(qs):
    """What `document()` reads: every part of a plan but its reviewed children (blog links)."""
    children = [c.related_name for c in CHILDREN if c.indexed_fields]
    return qs.select_related("lab").prefetch_related(*children, *VOCABULARY_NAMES)


# ------------------------------------------------------------------ analysis
#
# Words are analysed in Python, the same way for both databases, so that a query finds the same plans on
# each (PostgreSQL's own Snowball configurations and FTS5's tokeniser disagree on what a word is). Every
# word of a plan is indexed twice at the same place: folded (case and diacritics removed: names and rare
# words match exactly) and, for a plan in a language with a stemmer, as its stem tagged with that language
# ("en" + TAG + "farmer" for "Farmers"). A query's words are stemmed in each language and each stem finds
# only the plans of its language: French stemming turns "farmer" into "farm", which must not find English
# plans about farms.

# snowballstemmer's algorithm names for Plan.language; plans in other languages are found by their words.
STEMMERS = {"en": "english", "fr": "french", "es": "spanish"}
TAG = "\ue002"  # private use (a word character for FTS5, never in a folded word): joins language and stem
_TERM = re.compile(r"[^\W_]+")  # a word of folded text (FTS5's unicode61 splits on "_" too)
MAX_TERM = 255  # longer "words" (encoded data) are not indexed: PostgreSQL refuses lexemes over 2 KB
MAX_POSITION = 16383  # PostgreSQL's highest position; later words share it
_stemmers = threading.local()  # a Snowball stemmer keeps state between calls: one per thread


def folded(text: str) -> str:
    """Text as the index compares it: case-folded, without diacritics."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


fold = lru_cache(maxsize=50_000)(folded)  # one word at a time (excerpts)


class _Stems(dict):
    """{folded word: tagged stem} in one language of STEMMERS, filled on first use, shared by threads (a
    Snowball stemmer keeps state between calls: one per thread)."""

    def __init__(self, language: str):
        super().__init__()
        self.language = language

    def __missing__(self, term: str) -> str:
        if len(self) > 200_000:  # bounded: a long-running worker meets ever more words
            self.clear()
        stemmers = _stemmers.__dict__
        if self.language not in stemmers:
            stemmers[self.language] = snowballstemmer.stemmer(STEMMERS[self.language])
        found = self[term] = self.language + TAG + stemmers[self.language].stemWord(term)
        return found


_STEMS = {language: _Stems(language) for language in STEMMERS}


def stem(language: str, term: str) -> str:
    """The tagged stem of a folded word in a language of STEMMERS. The folded word is stemmed, so that a
    word typed without its accents ("economia") has the stem of the accented one ("economía")."""
    return _STEMS[language][term]


# Folding a whole text at once (C code: casefold, NFKD, one regular expression) finds the words that folding
# each word written (`\w+`) would: what separates two words is a character that is no word character, and
# folding keeps it one, except for the few listed by `_char()` (a combining accent written alone, "™" →
# "tm"), with which a text is folded word by word. The importer analyses megabytes: this is its cost.
_WORD = re.compile(r"\w+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_ASCII_SEPARATORS = bytes(c if chr(c).isalnum() else 32 for c in range(128)) + bytes(128)
_chars: dict[str, tuple[bool, frozenset[str]]] = {}  # character: (splits as written, combining marks)
_marks: dict[frozenset[str], re.Pattern] = {}


def _char(c: str) -> tuple[bool, frozenset[str]]:
    """(whether folding `c` keeps it a word character or a separator as it is, the combining marks of its
    decomposition) for a non-ASCII character."""
    found = _chars.get(c)
    if found is None:
        decomposed = unicodedata.normalize("NFKD", c.casefold())
        marks = frozenset(m for m in decomposed if unicodedata.combining(m))
        rest = "".join(m for m in decomposed if m not in marks)
        same = bool(_WORD.fullmatch(c)) or bool(rest) and not _WORD.search(rest)
        found = _chars[c] = (same, marks)
    return found


def _words(text: str) -> list[str]:
    """The folded words of a text, in order (words longer than MAX_TERM left out)."""
    low = text.casefold()
    if not low.isascii():
        found = [_char(c) for c in set(_NON_ASCII.findall(text))]
        if all(same for same, _ in found):
            low = unicodedata.normalize("NFKD", low)
            marks = frozenset().union(*(m for _, m in found))
            if marks:
                if marks not in _marks:
                    _marks[marks] = re.compile("[" + "".join(sorted(marks)) + "]")
                low = _marks[marks].sub("", low)
        else:  # rare: fold word by word
            low = " ".join(map(folded, _WORD.findall(text)))
        if not low.isascii():  # separators written in Unicode (quotes, dashes) are spaces to _TERM
            for c in set(_NON_ASCII.findall(low)):
                if not _TERM.match(c):
                    low = low.replace(c, " ")
    if low.isascii():  # bytes.translate and split() take a third of the time of _TERM.findall
        words = low.encode().translate(_ASCII_SEPARATORS).decode().split()
    else:
        words = _TERM.findall(low)
    if words and max(map(len, words)) > MAX_TERM:
        words = [w for w in words if len(w) <= MAX_TERM]
    return words


def analyse(text: str, language: str) -> tuple[list[str], list[str]]:
    """(folded words, tagged stems) of a text; stems only for a language of STEMMERS, one per word."""
    words = _words(text)
    stems = _STEMS.get(language)
    return words, list(map(stems.__getitem__, words)) if stems is not None else []


def terms(text: str) -> list[str]:
    """The indexed words of a text, folded, in order."""
    return _words(text)


# PostgreSQL's tsvector in its binary form (what `tsvectorsend` writes and `tsvectorrecv` reads): a count of
# lexemes, then each lexeme as UTF-8 ending in a zero byte, its count of positions and its positions (16
# bits: weight in the top two, position in the others), ascending. Written by COPY: the server reads it
# without parsing text (parsing the text form, and merging its duplicates, took as long as analysing).
_WEIGHTS = {"": 0, "D": 0, "C": 1 << 14, "B": 2 << 14, "A": 3 << 14}
_POSITION = 0x3FFF
MAX_POSITIONS = 256  # per lexeme: PostgreSQL keeps the first 256
_COUNTS = [struct.Struct(f">{n + 1}H") for n in range(MAX_POSITIONS + 1)]  # count and positions
_INT32 = struct.Struct(">i")


class _Lexemes(dict):
    """{word or tagged stem: its UTF-8 bytes and a zero byte}, filled on first use."""

    def __missing__(self, token: str) -> bytes:
        if len(self) > 400_000:  # bounded, as _Stems
            self.clear()
        found = self[token] = token.encode() + b"\0"
        return found


_LEXEMES = _Lexemes()


def _normal(at: list[int]) -> list[int]:
    """Positions as PostgreSQL keeps them: one for those that share the highest (keeping the highest
    weight), the first 256."""
    if at[-1] & _POSITION == MAX_POSITION:
        head = [p for p in at if p & _POSITION < MAX_POSITION]
        at = [*head, max(p for p in at if p & _POSITION == MAX_POSITION)]
    return at[:MAX_POSITIONS]


def tsvector(*parts: tuple[list[str], str], language: str = "") -> bytes:
    """A binary tsvector of texts given as (folded words, weight letter or ""), word positions continuing
    from one text to the next with a gap, so that no phrase spans two texts (as no FTS5 phrase spans two
    columns); each word also as its tagged stem in `language` (of STEMMERS) at the same positions, so that
    a phrase matches either. Lexemes are listed in no order (the server sorts them). Built for speed (the
    importer writes megabytes): a Python step per word written and per distinct word, the rest in C."""
    positions: defaultdict[str, list[int]] = defaultdict(list)
    offset = 0
    weighted = any(weight for _, weight in parts)
    for words, weight in parts:
        bits = _WEIGHTS[weight]
        end = offset + len(words)
        numbers: Iterable[int] = range(offset + 1 + bits, end + 1 + bits)  # weight bits: the top two
        if end > MAX_POSITION:  # later words share the highest position
            numbers = [min(number, MAX_POSITION) | bits for number in range(offset + 1, end + 1)]
        for number, word in zip(numbers, words, strict=True):
            positions[word].append(number)
        offset += len(words) + 1
    if not positions:
        return _INT32.pack(0)
    if offset > MAX_POSITION or max(map(len, positions.values())) > MAX_POSITIONS:
        for word, at in positions.items():
            positions[word] = _normal(at)
    counts = _COUNTS
    words = list(positions)
    packed = [counts[len(at)].pack(len(at), *at) for at in positions.values()]
    stems = _STEMS.get(language)
    if stems is not None:
        tagged = list(map(stems.__getitem__, words))
        first = dict(zip(tagged, packed, strict=True))  # a stem's positions, when it is one word's stem
        if len(first) < len(tagged):  # stems of several words ("farmer", "farmers"): positions merged
            several = {t for t, n in Counter(tagged).items() if n > 1}
            sources: defaultdict[str, list[int]] = defaultdict(list)
            for word, stem_of_word in zip(words, tagged, strict=True):
                if stem_of_word in several:
                    sources[stem_of_word] += positions[word]
            for stem_of_word, at in sources.items():
                at.sort(key=(lambda p: p & _POSITION) if weighted else None)
                if len(at) > MAX_POSITIONS or offset > MAX_POSITION:
                    at = _normal(at)
                first[stem_of_word] = counts[len(at)].pack(len(at), *at)
        words += first
        packed += first.values()
    out: list[bytes] = [b""] * (2 * len(words))
    out[::2] = map(_LEXEMES.__getitem__, words)
    out[1::2] = packed
    return _INT32.pack(len(words)) + b"".join(out)


RANKED_WORDS = 150  # words of the body in PostgreSQL's ranking vector (about 1,000 characters)


def index_row(pk: int, title: str, body: str, language: str) -> tuple:
    """The index row of a plan on the database in use, from its title, body and language."""
    if connection.vendor == "postgresql":
        # Ranking reads a small vector of the title and the opening of the plan (its name and challenge
        # statement): ranking each match's whole document detoasted ~8 KB per plan and took half a second
        # for a query matching 19,000 of 100,000 plans; over the opening it takes about a quarter of that,
        # and plans that mention the words only further down follow, newest first. Only the ranking
        # vector needs weights (title A, body B).
        title_words, body_words = _words(title), _words(body)
        document = tsvector((title_words, ""), (body_words, ""), language=language)
        ranking = tsvector((title_words, "A"), (body_words[:RANKED_WORDS], "B"), language=language)
        return pk, title, body, document, ranking
    analysed_title, analysed_body = analyse(title, language), analyse(body, language)
    return pk, title, body, *(" ".join(column) for column in (*analysed_title, *analysed_body))


def update_index(plan_ids: Iterable[int]) -> None:
    """(Re)build the index rows of these plans; ids of deleted plans lose their row."""
    ids = sorted({int(i) for i in plan_ids})
    if not ids:
        return
    if _batch.ids is not None:
        _batch.ids.update(ids)
        return
    with bulk_writes(len(ids)):
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = [(p.pk, *document(p)) for p in _prefetch(Plan.objects.filter(pk__in=chunk))]
            _write(chunk, rows)


RUM_INDEX = f"CREATE INDEX {RANKING_INDEX} ON {RANKING_TABLE} USING rum (ranking rum_tsvector_ops)"


@contextmanager
def bulk_writes(rows: int) -> Iterator[None]:
    """Around work that writes many index rows (an import, `update_index` of many plans): a RUM index
    (migration 0039) costs its upkeep row by row, 1.25 s of the server's CPU for the corpus's 882 plans,
    ten times what building it afresh costs (0.1 s), so for a write of more rows than a quarter of the
    table it is dropped, and built again after, all in one transaction. Searches wait for that
    transaction (the table is locked): a few seconds for an import of the corpus. A GIN index costs less
    to keep than to build, and stays."""
    if rows < 200 or connection.vendor != "postgresql" or not has_rum():
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT GREATEST(reltuples, 0) FROM pg_class WHERE relname = %s", [TABLE])
        if rows * 4 < cursor.fetchone()[0]:
            yield
            return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX {RANKING_INDEX}")
        yield
        cursor.execute(RUM_INDEX)


_COPY_HEADER = b"PGCOPY\n\xff\r\n\0" + bytes(8)  # signature, flags, no header extension
_COPY_END = b"\xff\xff"
_COPY_ROW = struct.Struct(">hiq")  # the number of fields; the plan id's length (8) and value


def _copy_row(pk: int, *fields: bytes) -> bytes:
    """One row of an index table in COPY's binary format: the plan id, then each field (its length, then
    its bytes)."""
    parts = [_COPY_ROW.pack(1 + len(fields), 8, pk)]
    for value in fields:
        parts += (_INT32.pack(len(value)), value)
    return b"".join(parts)


@dataclass(frozen=True)
class Tables:
    """Where index rows are written: on PostgreSQL, the documents that queries match (`index`), the texts
    excerpts are cut from (`text`) and the ranking vectors (`ranking`); on SQLite, the FTS5 table
    (`index`) holds them all."""

    index: str = TABLE
    text: str = TEXT_TABLE
    ranking: str = RANKING_TABLE


def _write(ids: list[int], rows: list[tuple[int, str, str, str]], tables: Tables = Tables()) -> None:
    """Replace the index rows of `ids` with `rows` of (plan id, title, body, language)."""
    store(ids, (index_row(*row) for row in rows), tables)


def store(ids: list[int], rows: Iterable[tuple], tables: Tables = Tables()) -> None:
    """Replace the index rows of `ids` with `rows` made by `index_row` (the importer analyses plans ahead,
    in its reading process: plans/archive/load.py)."""
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in (tables.index, tables.text, tables.ranking):
                cursor.execute(f"DELETE FROM {table} WHERE plan_id IN ({marks})", ids)
            # Streamed as each row is made: the server stores one (compresses it, adds its words to the
            # GIN index) while the next is analysed. The texts and the ranking vectors follow, in a COPY
            # each.
            texts, vectors = [], []
            with cursor.cursor.copy(
                f"COPY {tables.index} (plan_id, document) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.write(_COPY_HEADER)
                for pk, title, body, document, vector in rows:
                    copy.write(_copy_row(pk, document))
                    texts.append(_copy_row(pk, title.encode(), body.encode()))
                    vectors.append(_copy_row(pk, vector))
                copy.write(_COPY_END)
            for table, columns, data in (
                (tables.text, "title, body", texts),
                (tables.ranking, "ranking", vectors),
            ):
                with cursor.cursor.copy(
                    f"COPY {table} (plan_id, {columns}) FROM STDIN (FORMAT BINARY)"
                ) as copy:
                    copy.write(_COPY_HEADER + b"".join(data) + _COPY_END)
        else:
            cursor.execute(f"DELETE FROM {tables.index} WHERE rowid IN ({marks})", ids)
            cursor.executemany(
                f"INSERT INTO {tables.index} (rowid, title, body, title_words, title_stems, body_words, "
                "body_stems) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                list(rows),
            )


def rebuild() -> int:
    """Rebuild the whole index (`manage.py rebuild_search_index`) in one transaction, so that searches use
    the old index until the new one is complete; returns the number of plans indexed."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {TABLE}")
            if connection.vendor == "postgresql":
                cursor.execute(f"DELETE FROM {TEXT_TABLE}")
                cursor.execute(f"DELETE FROM {RANKING_TABLE}")
        ids = list(Plan.objects.values_list("pk", flat=True))
        update_index(ids)
    return len(ids)


# ------------------------------------------------------------------ querying

_TOKEN = re.compile(r'(-?)"([^"]*)"|(\S+)')

Phrase = tuple[str, ...]  # folded words, next to each other in that order


def _terms(q: str) -> tuple[list[list[Phrase]], list[Phrase]]:
    """(included, excluded) terms of web-search syntax (words, "phrases", -excluded, OR): each included
    term is a list of phrases of which one must match (more than one after OR). Nothing the user types is
    query syntax for the databases."""
    include: list[list[Phrase]] = []
    exclude: list[Phrase] = []
    pending_or = False
    for m in _TOKEN.finditer(q):
        negate, phrase, bare = m.group(1), m.group(2), m.group(3)
        if bare is not None:
            if bare.lower() == "or":
                pending_or = bool(include)
                continue
            negate = "-" if bare.startswith("-") and len(bare) > 1 else ""
            words = tuple(terms(bare))
        else:
            words = tuple(terms(phrase))
        if not words:
            continue
        if negate:
            exclude.append(words)
        elif pending_or:
            include[-1].append(words)
            pending_or = False
        else:
            include.append([words])
    return include, exclude


def _forms(language: str, term: str) -> set[str]:
    """The stems a query word looks for in plans of a language: its stem, the word itself as a stem, and
    its stem's stem. Snowball stems some singulars shorter than their plurals (Spanish "mujer" → "muj",
    "mujeres" → "mujer"; "joven" → "jov", "jóvenes" → "joven"): each form then still finds the other."""
    own = stem(language, term)
    return {own, language + TAG + term, stem(language, own.partition(TAG)[2])}


def _alternatives(phrase: Phrase) -> list[tuple[str, tuple[str, ...]]]:
    """What may match a phrase: ("words", its folded words), or ("stems", stems of one language). A lone
    word has every form of `_forms`; a longer phrase the stem of each word (forms of each word would
    multiply)."""
    found = [("words", phrase)]
    for language in STEMMERS:
        if len(phrase) == 1:
            found += [("stems", (form,)) for form in sorted(_forms(language, phrase[0]))]
        else:
            found.append(("stems", tuple(stem(language, t) for t in phrase)))
    return found


def _fts5_any(phrases: list[Phrase]) -> str:
    """An FTS5 expression true when one of the phrases matches: its words in the word columns, or its stems
    of one language in the stem columns (which hold only the stems of the plan's language)."""
    columns = {"words": "{title_words body_words}", "stems": "{title_stems body_stems}"}
    return (
        "("
        + " OR ".join(f'{columns[k]} : "{" ".join(t)}"' for p in phrases for k, t in _alternatives(p))
        + ")"
    )


def _tsquery_any(phrases: list[Phrase]) -> str:
    """The same as `_fts5_any` as a tsquery (words and tagged stems are distinct lexemes of one vector)."""
    return (
        "("
        + " | ".join(
            " <-> ".join(f"'{t}'" for t in tokens) for p in phrases for _, tokens in _alternatives(p)
        )
        + ")"
    )


def _query(include: list[list[Phrase]], exclude: list[Phrase]) -> str:
    """The database's query (FTS5 MATCH or tsquery) for terms with at least one to include."""
    if connection.vendor == "postgresql":
        return " & ".join([*map(_tsquery_any, include), *(f"!{_tsquery_any([p])}" for p in exclude)])
    query = " AND ".join(map(_fts5_any, include))
    for phrase in exclude:
        query = f"({query}) NOT {_fts5_any([phrase])}"
    return query


def _lexemes(include: list[list[Phrase]], exclude: list[Phrase]) -> set[str]:
    """Every lexeme (folded word or tagged stem) of the query of these terms."""
    phrases = [p for alternatives in include for p in alternatives] + exclude
    return {token for p in phrases for _, tokens in _alternatives(p) for token in tokens}


def fts5_query(q: str) -> str:
    """A safe FTS5 query for the web-search query `q`; empty when it includes no word."""
    include, exclude = _terms(q)
    return _query(include, exclude) if include else ""


def _matching(query: str) -> RawSQL:
    """Ids of the plans whose index row matches a query of `_query()`."""
    if connection.vendor == "postgresql":
        return RawSQL(f"SELECT plan_id FROM {TABLE} WHERE document @@ %s::tsquery", [query])
    return RawSQL(f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s", [query])


def search(queryset: models.QuerySet, q: str) -> models.QuerySet:
    """Plans of `queryset` matching the web-search query `q`, annotated with `search_rank` (higher is
    better). An empty or wordless query matches nothing; a query of excluded words only (`-water`) matches
    every plan without them, unranked, the same on both databases. Lists show an excerpt of the page they
    show with `snippets()`."""
    include, exclude = _terms((q or "").strip())
    unranked = models.Value(0.0, output_field=models.FloatField())
    if not include:
        if not exclude:  # nothing searchable typed: no match, but the same annotation for callers
            return queryset.none().annotate(search_rank=unranked)
        return queryset.exclude(pk__in=_matching(_query([exclude], []))).annotate(search_rank=unranked)
    query = _query(include, exclude)
    if connection.vendor == "postgresql":
        # No length normalisation: the ranking vector is bounded (title and 1,000 characters). Reading a
        # match's ranking vector is what ranking costs (about 50 us a match when it was out of line, in
        # TOAST: a second for a word in 20,000 plans). `ts_rank` gives every vector without a word of the
        # query the same rank (0, or 1e-20 under AND: what it gives a vector of one lexeme no query holds), so
        # only the matches whose ranking vector holds one (a third of them, found by the ranking's GIN
        # index) are ranked by reading it; the others take that rank. The same ranks, the same order.
        lexemes = " | ".join(f"'{t}'" for t in sorted(_lexemes(include, exclude)))
        rank = RawSQL(
            f"CASE WHEN plans_plan.id IN (SELECT plan_id FROM {RANKING_TABLE} WHERE ranking @@ %s::tsquery) "
            f"THEN (SELECT ts_rank(ranking, %s::tsquery) FROM {RANKING_TABLE} r "
            f"WHERE r.plan_id = plans_plan.id) ELSE ts_rank(%s::tsvector, %s::tsquery) END",
            [lexemes, query, f"'{TAG}'", query],
            output_field=models.FloatField(),
        )
    else:
        # bm25() in a subquery correlated on the plan re-runs the whole MATCH for every row (0.6 s for 4,000
        # matches at 10,000 plans). `LIMIT -1` keeps SQLite from flattening the inner query, so it is
        # computed once and looked up through an automatic index (15 ms for the same query). Weights:
        # title, body (not indexed), then the title's words and stems (10) and the body's (1).
        rank = RawSQL(
            f"SELECT r.rank FROM (SELECT rowid AS plan_id, -bm25({TABLE}, 0, 0, 10.0, 10.0, 1.0, 1.0) "
            f"AS rank FROM {TABLE} WHERE {TABLE} MATCH %s LIMIT -1) r WHERE r.plan_id = plans_plan.id",
            [query],
            output_field=models.FloatField(),
        )
    return queryset.filter(pk__in=_matching(query)).annotate(search_rank=rank)


def matching_bits(plans: models.QuerySet, q: str) -> int:
    """The bitmap of the plans of `search(plans, q)`: the bitmap of `plans` (kept per content version,
    `postings.of`) and that of the index's matches, read from the index alone."""
    from plans import postings

    include, exclude = _terms((q or "").strip())
    if not include and not exclude:
        return 0
    query = _query(include, exclude) if include else _query([exclude], [])
    # Kept per content version: a one-word search's ranking (`ranked_ids`) and its facets read them too.
    # After a publication or an edit, patched with the plans that moved (read whole: 10-13 ms of the first
    # search of a common word after every publication, at 100,000 plans).
    sql = _matching(query)
    found = postings.kept(
        ("matches", query),
        lambda: postings.read_bits(sql.sql, sql.params),
        lambda bitmap, moved: postings.patch_bits(sql.sql, sql.params, bitmap, moved),
    )
    return postings.of(plans) & (found if include else ~found)


_RUM: dict[tuple, bool] = {}  # {database: whether the ranking vector's index is a RUM index}


def has_rum() -> bool:
    """Whether the ranking vector has a RUM index (migration 0039, when the extension is installed)."""
    key = (connection.alias, connection.settings_dict["NAME"])
    if key not in _RUM:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam WHERE c.relname = %s",
                [RANKING_INDEX],
            )
            row = cursor.fetchone()
        _RUM[key] = row is not None and row[0] == "rum"
    return _RUM[key]


def rankable(q: str) -> bool:
    """Whether `ranked_ids` orders the search `q` (else the caller orders in SQL, and need not build the
    plans it would have read): on SQLite, any query with a word to look for; on PostgreSQL with RUM, one
    term and its alternatives, each one word."""
    include, exclude = _terms((q or "").strip())
    if connection.vendor != "postgresql":
        return bool(include)
    one_term = len(include) == 1 and not exclude and all(len(phrase) == 1 for phrase in include[0])
    return one_term and has_rum()


def ranked_ids(plans: models.QuerySet, q: str, limit: int) -> list[int] | None:
    """The ids of the first `limit` plans of `plans` (published plans, as the public pages list) that match
    the search `q`, in the order of relevance:
    `search_rank` descending, then newest, then id, as `PlanFilter.sorted()` orders `search(plans, q)`;
    None where this way does not apply (`rankable`), and the caller orders in SQL.

    On SQLite, every match's bm25 is read in one query of the index alone, then kept and ordered in Python
    (`_scored_ids`): the same ranks as `search()`'s, the same order. In SQL, the MATCH ran twice (the
    matches, their ranks) and the plans were joined and sorted: 36 ms a new word at 20,000 plans, against
    16 ms for reading the ranks; the facets' matches come from the same rows.

    On PostgreSQL, it applies with a RUM index on the ranking vector, to a query of one term and its
    alternatives, each one word ("water", "water OR energy"). Their RUM distance (`<=>`) orders matches
    as `ts_rank` does, the other way round, to float precision (compared over the corpus by the tests;
    not so for several terms or an excluded word): `ts_rank` may give two copies of one text ranks that
    differ in their last digit, which the distance ties and newest first then orders. The index gives
    the matches that hold a word of the query in that order without reading a vector (a word in half of
    100,000 plans: ~20 ms for the first thousand, against ~200 ms to rank the 17,000 that hold it). Those
    of `plans` are kept, ties ordered newest first (a plan whose ranking vector holds one of the words
    matches: its document holds every word of the ranking vector), then the other matches (rank 0),
    newest first. `plans` are read as their ids' bitmap (`postings.of`), which the process keeps for
    the content version: the same for every search of the whole list."""
    if not rankable(q):
        return None
    from plans import postings

    include, exclude = _terms(q.strip())

    # Every page of the search shows a part of the same ranking: kept for the content version.
    ranked = _ranked_ids if connection.vendor == "postgresql" else _scored_ids
    return postings.remembered(
        ("ranked", q.strip(), postings.sql_of(plans), limit),
        lambda: ranked(plans, q, include, exclude, limit),
    )


def _scored_ids(plans: models.QuerySet, q: str, include, exclude, limit: int) -> list[int]:
    from plans import postings

    query = _query(include, exclude)
    with connection.cursor() as cursor:  # the rank of `search()`, for every match
        cursor.execute(
            f"SELECT rowid, -bm25({TABLE}, 0, 0, 10.0, 10.0, 1.0, 1.0) FROM {TABLE} WHERE {TABLE} MATCH %s",
            [query],
        )
        rows = cursor.fetchall()
    # The matches' bitmap, which `matching_bits` would read for the facets with the same query.
    found = postings.kept(("matches", query), lambda: postings.bits(pk for pk, _rank in rows))
    chosen = postings.of(plans)
    if found & ~chosen:  # else every match is among `plans` (the whole list's search)
        among = postings.membership(chosen)
        rows = [row for row in rows if among(row[0])]
    # Best first, by rank alone (a sort in C); then the first `limit` and the rows that tie with the last
    # of them, ties newest first, then by id, as SQLite orders `-published_at, pk` (plans without a date
    # last). Sorting every match by both took 5 ms of a word in 13,000 of 20,000 plans, this 2.
    rows.sort(key=itemgetter(1), reverse=True)
    end = limit
    while end < len(rows) and rows[end][1] == rows[limit - 1][1]:
        end += 1
    places = postings.places(Plan.objects.published().order_by("-published_at", "pk"))
    return [pk for pk, _rank in sorted(rows[:end], key=lambda row: (-row[1], places[row[0]]))[:limit]]


# A one-term search's matches in the RUM index's order, with their distance (parameters: the query, its
# lexemes). Ordered by the selected column itself: the same distance written again in ORDER BY is another
# expression to PostgreSQL (its own parameter), computed a second time from each row's vector (5.6 of 20 ms
# for a word's first 1,300 rows).
RANKING_SQL = (
    f"SELECT plan_id, ranking <=> %s::tsquery FROM {RANKING_TABLE} WHERE ranking @@ %s::tsquery ORDER BY 2"
)


def tie_order() -> models.QuerySet:
    """The order of a PostgreSQL search's ties: newest first (plans without a date first, as `published_at
    DESC` puts them), then by id. Published plans only (the plans ranked are among them), in the order of an
    index (migration 0042): every plan's order was a sort of them all, 108 ms at 100,000 plans, paid once per
    content version (the first search of each worker after a publication)."""
    return Plan.objects.published().order_by(models.F("published_at").desc(nulls_first=True), "pk")


def _ranked_ids(plans: models.QuerySet, q: str, include, exclude, limit: int) -> list[int]:
    from plans import postings

    query = _query(include, exclude)
    lexemes = " | ".join(f"'{t}'" for t in sorted(_lexemes(include, exclude)))
    chosen = postings.membership(postings.of(plans))
    # Matches in the index's order. Ties are ordered newest first (plans without a date first, as
    # PostgreSQL's `published_at DESC` puts them), then by id: from that order's places, kept per content
    # version. Joining the plans for their dates cost ~10 us a row, half of the query.
    # Read through a cursor: `limit` + 1 rows first, then 128 more, doubling, until no unread row can tie
    # with the limit-th kept. Each text has a hundred copies in the benchmark's data, and ties come in
    # groups of a hundred or more: a new query with a larger LIMIT started the index's scan again (25 + 41
    # + 51 ms for "concept" at 100,000 plans), the cursor goes on from where it stopped. Each row read is a
    # page of the ranking table: reading `limit` + 500 first read a third more than most words need.
    # A cursor lives in a transaction; planned for its first rows (the default plans for a tenth of them,
    # and then prefers reading every match and sorting).
    rows: list[tuple] = []
    kept: list[tuple] = []  # the rows of `plans`
    with transaction.atomic(), connection.cursor() as settings:
        settings.execute("SET LOCAL cursor_tuple_fraction = 0.01")
        with connection.chunked_cursor() as cursor:
            cursor.execute(RANKING_SQL, [query, lexemes])
            for step in itertools.chain([limit + 1], (128 << n for n in itertools.count())):
                more = cursor.fetchmany(step)
                rows += more
                kept += [row for row in more if chosen(row[0])]
                # Done when every match is read, or when `limit` are kept and the last row read is farther
                # than the limit-th kept (no row left unread ties with it).
                if len(more) < step or len(kept) >= limit and rows[-1][1] != kept[limit - 1][1]:
                    break
    places = postings.places(tie_order())
    # By distance (the index's order, made sure of: a sort of sorted rows is a pass), then each group of
    # ties by place, up to `limit`: sorting every row by (distance, place) took 1.7 ms for 3,000 rows, this
    # 0.25 (its key functions are C code).
    kept.sort(key=itemgetter(1))
    ranked: list[int] = []
    for _distance, tied in itertools.groupby(kept, key=itemgetter(1)):
        ranked += sorted([pk for pk, _ in tied], key=places.__getitem__)
        if len(ranked) >= limit:
            break
    ranked = ranked[:limit]
    if len(ranked) < limit:
        # The other matches (rank 0), newest first, from the matches' bitmap that the facets read too: in
        # SQL, excluding the ranked ones took up to 150 ms at 100,000 plans.
        rest = matching_bits(plans, q) & ~postings.bits(ranked)
        ranked += sorted(postings.members(rest), key=places.__getitem__)[: limit - len(ranked)]
    return ranked


def query_words(q: str) -> set[str]:
    """What an excerpt highlights: the folded words a query looks for and their stems in each language
    (never the excluded `-words`)."""
    include, _exclude = _terms(q or "")
    return {
        token for phrases in include for p in phrases for word in p for _, (token,) in _alternatives((word,))
    }


class _Vocabulary:
    """The written words (`_WORD`) that excerpts met in texts of one language, by the forms the index finds
    them by: each folded word of theirs and, in a language of STEMMERS, its stem. Kept by the process (and
    bounded), so that an excerpt reads only the part of a text before its first match, and analyses only
    the words there that no text showed before (`first`)."""

    MOST = 300_000
    TEXTS = 50_000  # texts remembered with how far they were read (`read`), by their hash

    def __init__(self, language: str):
        self.language = language
        self.known: set[str] = set()
        self.by_form: dict[str, set[str]] = defaultdict(set)
        # {text's (length, hash): the length of its opening whose every written word is known}
        self.read: dict[tuple[int, int], int] = {}

    def written(self, words: set[str]) -> set[str]:
        """The written words known that one of `words` (folded words or tagged stems) finds."""
        return set().union(*(self.by_form.get(form, ()) for form in words))

    def first(self, text: str, words: set[str]) -> tuple[int, int] | None:
        """(start, end) of the first written word of `text` that one of `words` finds, or None.

        The known words that match are looked for first, each with a search for its literal (~25 us over
        a text of 6,600 characters); then the words before the first of them, the only part of the text
        that may hold an earlier match, are learnt, and looked for if they match. How far a text was read
        is remembered: a text met again is read no further than before, unless its first known match lies
        further on. Reading every word of the texts (`re.findall`, 0.3 ms a text) was the most of an
        excerpt's time."""
        before = self.written(words)
        found = _first_of(before, text)
        end = found[0] if found else len(text)
        key = (len(text), hash(text))
        start = self.read.get(key, 0)
        if start >= end:
            return found
        # Each part read ends where a word begins, after a character that is no word's (or at the end).
        self.learn(text[start:end])
        if start and key not in self.read:  # the words known were forgotten (MOST): those before too
            self.learn(text[:start])
        earlier = _first_of(self.written(words) - before, text, end)
        if len(self.read) > self.TEXTS:
            self.read.clear()
        self.read[key] = end
        return earlier or found

    def matching(self, text: str, words: set[str]) -> set[str]:
        """The written words of `text` that one of `words` (folded words or tagged stems) finds."""
        return self.learn(text) & self.written(words)

    def learn(self, text: str) -> set[str]:
        """The written words of `text`, whose forms are learnt if they are new."""
        written = set(_WORD.findall(text))
        new = written - self.known
        if new:
            if len(self.known) > self.MOST:  # a long-running worker meets ever more words
                self.known, self.by_form, new = set(), defaultdict(set), written
                self.read.clear()  # their words are forgotten
            stemmed = self.language in STEMMERS
            for word in new:
                for term in _TERM.findall(fold(word)):
                    self.by_form[term].add(word)
                    if stemmed:
                        self.by_form[stem(self.language, term)].add(word)
            self.known |= new
        return written


_VOCABULARIES: dict[str, _Vocabulary] = {}


def excerpt(text: str, words: set[str], size: int = 32, before: int = 8, language: str = "") -> str:
    """About `size` words of `text` from a little before the first of `words` found (folded words, or
    stems in the text's `language`), each of them marked with START and STOP; the opening of the text when
    none is there (a plan found by its title). Works the same on both databases (PostgreSQL's ts_headline
    parsed every whole plan and took 12 ms for a page of 20)."""
    if language not in _VOCABULARIES:
        _VOCABULARIES[language] = _Vocabulary(language)
    vocabulary = _VOCABULARIES[language]
    found = vocabulary.first(text, words)
    spans: list[tuple[int, int, bool]] = []  # (start, end, is a match) from the first match on
    if found is not None:
        start, end = found
        spans = [(w.start(), w.end(), False) for w in _lead(text, start, before)]
        spans.append((start, end, True))
        rest = list(islice(_WORD.finditer(text, end), max(0, size - len(spans))))
        hits = vocabulary.matching(text[end : rest[-1].end()], words) if rest else set()
        spans += [(w.start(), w.end(), w.group() in hits) for w in rest]
    else:
        spans = [(w.start(), w.end(), False) for w in islice(_WORD.finditer(text), size)]
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


@lru_cache(maxsize=4096)
def _whole_word(word: str) -> re.Pattern:
    """`word` (a word as `_WORD` splits them) where it is a whole word: its literal first, so that the
    regular expression engine looks for it as fast as `str.find` (a lookbehind first made it try each
    character of the text in turn, five times slower), then the characters around it."""
    literal = re.escape(word)
    return re.compile(rf"{literal}(?<!\w{literal})(?!\w)")


def _first_of(words: Iterable[str], text: str, before: int | None = None) -> tuple[int, int] | None:
    """(start, end) of the first of `words` (words as `_WORD` splits them) written in `text` as a whole
    word, starting before `before` if given; None if none is."""
    best = len(text) if before is None else before
    found = None
    for word in words:
        # Only a start before the best so far counts: the search stops a character after such a word's
        # end, so that the character that follows it is still seen.
        m = _whole_word(word).search(text, 0, min(len(text), best + len(word) + 1))
        if m is not None and m.start() < best:
            best, found = m.start(), (m.start(), m.end())
    return found


def _lead(text: str, start: int, count: int) -> list[re.Match]:
    """The `count` words (`_WORD`) of `text` just before `start`, which begins a word: read from a window
    before it, widened until it holds them or reaches the text's beginning."""
    reach = 32 * (count + 1)
    while True:
        low = max(0, start - reach)
        found = list(_WORD.finditer(text, low, start))
        if low and found and found[0].start() == low and _WORD.match(text[low - 1]):
            found = found[1:]  # the window began inside a word
        if len(found) >= count or not low:
            return found[-count:] if count else []
        reach *= 4


def snippets(q: str, plan_ids: Iterable[int]) -> dict[int, str]:
    """{plan id: excerpt of its text around the query's words} for these plans (one page of results), in
    one query."""
    ids = [int(i) for i in plan_ids]
    words = query_words(q)
    if not ids or not words:
        return {}
    key, table = ("plan_id", TEXT_TABLE) if connection.vendor == "postgresql" else ("rowid", TABLE)
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.{key}, s.body, p.language FROM {table} s JOIN plans_plan p ON p.id = s.{key} "
            f"WHERE s.{key} IN ({marks})",
            ids,
        )
        return {pk: excerpt(body, words, language=language) for pk, body, language in cursor.fetchall()}


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
