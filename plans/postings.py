"""Facet counts from bitmaps kept in each process: what a search engine's postings do, over our own tables.

Every facet value (a country code, a year, a kind, a language, a tag of each vocabulary, an SDG) has the
set of plans that carry it as a bitmap: a Python int whose bit n is set when the plan whose primary key is
n carries the value. The plans a page counts over (a search's matches, a filtered list) become one more
bitmap, read from their ids; how many of them carry a value is then `(value & plans).bit_count()`, a few
microseconds per value in C, however many plans match. Counting in SQL joined the matches with every tag
assignment, row by row: 1.1-1.5 s for a word found in half of 100,000 plans (bench/README.md).

Counts themselves are made over a copy of each value's bitmap as a Roaring bitmap (pyroaring, the
compressed bitmaps of Lucene's and most search engines' postings): it counts an intersection without
making it, and holds a value carried by few plans as their ids. The 623 thematic areas of 100,000 plans:
2.8 ms with ints (`&`, then `bit_count`), 0.2 ms so.

The bitmaps cover every plan, whatever its state: they say which plans carry a value, never which plans
a reader may see. That is the plans being counted, a queryset the caller has restricted as it always did
(`permissions`, `Plan.objects.published()`), so counts mean exactly what the SQL counts meant.

They are read from the database once, and kept by the process until the content version moves (every
write that can change a plan's values moves it, `plans.cache`): then only the plans whose `modified_at`
moved are read again, unless something other than plans changed (`current()`). Inside a transaction they
are not kept: what the transaction reads may never be committed, and a rolled-back
transaction leaves the version number it had written to be reused by different data.
"""

from __future__ import annotations

import re
import struct
import threading
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from itertools import islice

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone
from pyroaring import BitMap

from plans.models import SDG, LearningQuestion, Plan
from plans.parts import VOCABULARIES, vocabulary

# Facets counted on a column of the plan (empty values are no value), and on an assignment table.
PLAN_COLUMNS = {"country": "country_code", "year": "year", "kind": "kind", "language": "language"}
# The statistics' figures of JSON lists: a plan's handover options; its learning questions' stages (counted
# as questions, not plans: see `Postings.rows`).
HANDOVER, STAGES = "handover", "stages"
NAMES = (*PLAN_COLUMNS, *(v.name for v in VOCABULARIES), HANDOVER)


def bits(ids: Iterable[int]) -> int:
    """The bitmap of a set of plan ids."""
    ids = list(ids)
    if not ids:
        return 0
    out = bytearray(max(ids) // 8 + 1)
    for pk in ids:
        out[pk >> 3] |= 1 << (pk & 7)
    return int.from_bytes(out, "little")


def of(plans: QuerySet) -> int:
    """The bitmap of the plans of a queryset (one query for their ids, without order nor annotations, read
    with a plain cursor: Django's row iteration took 40 ms of the 60 for 100,000 ids). The last few are
    kept per content version (outside transactions, as the postings): a search's page and its facet
    counts read the same matches. After a publication or an edit, the bitmap kept before is patched with
    the changed plans (`patch_bits`): the published plans' bitmap was read again whole, 20 ms at 100,000
    plans, by each worker's first list and search after every publication."""
    return _kept_for("bits", plans.order_by(), read_bits, 0, patch=patch_bits)


def patch_bits(sql: str, params, bitmap: int, moved: list[int]) -> int:
    """`bitmap`, the ids `sql` selected, with the plans `moved` selected again: its SQL restricted to them,
    which the database answers by primary key."""
    if not moved:
        return bitmap
    marks = ", ".join(["%s"] * len(moved))
    now = read_bits(
        f"WITH selected (m) AS ({sql}) SELECT m FROM selected WHERE m IN ({marks})", [*params, *moved]
    )
    return bitmap & ~bits(moved) | now


def first(order: QuerySet, plans: QuerySet, limit: int) -> list[int]:
    """`_first()`, kept for the content version (`remembered`): every page of a list shows a part of it."""
    return remembered(("first", sql_of(order), sql_of(plans), limit), lambda: _first(order, plans, limit))


def _first(order: QuerySet, plans: QuerySet, limit: int) -> list[int]:
    """The ids of the first `limit` of `plans` in the order of `order` (the same plans or more, ordered),
    from the ids of `order` kept per content version like `of()`. A filtered list's first thousand, newest
    first, read the plans' index until a thousand of them matched (all of it for a list of fewer), each
    probing the tag's index: 32-40 ms for a method and a year at 100,000 plans.

    Two ways, whichever reads fewer ids: the list's order is walked until `limit` of `plans`' bitmap are
    found (about `limit` × all / chosen steps, a few for a broad filter); or the chosen plans are sorted
    by their place in that order (about `chosen` steps: a country's plans, where the walk went through
    most of the list, ~6 ms at 100,000 plans)."""
    chosen = of(plans)
    ids = order_ids(order)
    count = chosen.bit_count()
    if count * count < limit * len(ids):
        found = places(order)
        listed = [pk for pk in members(chosen) if pk < len(found) and found[pk] >= 0]
        return sorted(listed, key=found.__getitem__)[:limit]
    return list(islice(filter(membership(chosen), ids), limit))


def membership(bitmap: int) -> Callable[[int], bool]:
    """A test of whether a plan id is in `bitmap`, for walking many ids: it looks up one byte of the
    bitmap's bytes, where `bitmap >> pk & 1` shifts the whole integer (~1 us a test at 100,000 plans)."""
    data = bitmap.to_bytes(1 + (bitmap.bit_length() >> 3), "little")
    size = len(data)
    return lambda pk: pk >> 3 < size and data[pk >> 3] >> (pk & 7) & 1 == 1


_ONE = re.compile("1")
_CHUNK = 1 << 16  # ids in one container of a Roaring bitmap
_DENSE = 4096  # more ids than this in a container: Roaring keeps its bits, else its ids


def roaring(bitmap: int) -> BitMap:
    """The ids of a bitmap as a Roaring bitmap, made from its bytes in Roaring's portable serialised
    format (RoaringFormatSpec, without run containers): each chunk of 65,536 ids that holds more than
    4,096 of them as its 8 KB of bits, as they are in the int; the others as their ids, ascending. From the
    list of 100,000 ids, `BitMap(members(bitmap))` took 8.6 ms; this 0.1."""
    if bitmap < 0:
        raise ValueError("a bitmap of plans is never negative")
    if not bitmap:
        return BitMap()
    data = bitmap.to_bytes(-(-bitmap.bit_length() // _CHUNK) * (_CHUNK // 8), "little")
    keys, bodies = [], []
    for key in range(len(data) // (_CHUNK // 8)):
        chunk = data[key * _CHUNK // 8 : (key + 1) * _CHUNK // 8]
        count = int.from_bytes(chunk, "little").bit_count()
        if count > _DENSE:
            bodies.append(chunk)
        elif count:
            bodies.append(struct.pack(f"<{count}H", *members(int.from_bytes(chunk, "little"))))
        else:
            continue
        keys.append((key, count - 1))
    head = struct.pack("<II", 12346, len(keys)) + b"".join(struct.pack("<HH", *k) for k in keys)
    offsets, at = [], len(head) + 4 * len(keys)
    for body in bodies:
        offsets.append(at)
        at += len(body)
    return BitMap.deserialize(head + struct.pack(f"<{len(keys)}I", *offsets) + b"".join(bodies))


def members(bitmap: int) -> list[int]:
    """The plan ids of a bitmap, ascending."""
    return [m.start() for m in _ONE.finditer(bin(bitmap)[:1:-1])]  # binary digits, lowest bit first


LISTS_KEPT = 256  # ordered lists of at most a thousand ids (8 KB each) that `remembered` keeps
VALUES_KEPT = 24  # bitmaps (12 KB at 100,000 plans), orders and places (800 KB) that `kept` keeps


def remembered(parts: tuple, compute: Callable[[], list[int]]) -> list[int]:
    """`compute()`, a list of ids (of plans, or tags) that depends on the content version and on `parts` only
    (the SQL of the querysets it reads, a query, a limit), kept like `kept()`, the LISTS_KEPT last used. The
    pages of one list or search share its first thousand plans: a filtered list found them again for every
    page (~3 ms for a method and a year at 100,000 plans), a word's ranking read the RUM index again
    (25-40 ms). Parts that are None (a queryset with no SQL) are computed, not kept."""
    if None in parts:
        return compute()
    return list(_keep(_lists, LISTS_KEPT, parts, lambda: array("q", compute())))


def kept(
    parts: tuple, read: Callable[[], object], patch: Callable[[object, list[int]], object] | None = None
):
    """`read()`, a value of the plans (a bitmap, an order, places) that depends on the content version and
    on `parts` only, kept by the process: the VALUES_KEPT last used (never inside a transaction). With
    `patch`, a value kept for an earlier version is brought up to date when only plans changed since
    (`_patched`): `patch(value, ids of the plans that moved)`."""
    return _keep(_sets, VALUES_KEPT, parts, read, patch)


PATCHED_MOST = 100  # plans changed since a kept value was read: more, and it is read whole again


def _keep(store: dict, size: int, parts: tuple, read: Callable[[], object], patch=None):
    if connection.in_atomic_block:
        return read()
    from plans.cache import CONTENT, SHARED, versions

    found = versions()
    shared, base = found.get(SHARED, 0), (*parts, connection.alias, connection.settings_dict["NAME"])
    key = (*base, found.get(CONTENT, 0))
    # The least recently used go first (a hit moves to the end). Dropping the oldest kept, each new word's
    # matches pushed out the published plans' bitmap and order that every search reads, and a stream of
    # searches read them again every 24 words (~25 ms at 20,000 plans on SQLite).
    # Each entry is (value, the shared version it was read at, when its reading began).
    with _sets_lock:
        entry = store.pop(key, None)
        if entry is not None:
            store[key] = entry
        elif patch is not None:  # the same value kept for an earlier version, the latest used
            earlier = [old for k, old in store.items() if k[:-1] == base and old[1] == shared]
    if entry is None:
        began = timezone.now()
        value = _patched(earlier[-1], patch) if patch is not None and earlier else None
        entry = (read() if value is None else value, shared, began)
        with _sets_lock:
            while len(store) >= size:
                store.pop(next(iter(store)))
            store[key] = entry
    return entry[0]


def _patched(earlier: tuple, patch: Callable[[object, list[int]], object]):
    """`earlier`'s value (kept for an earlier content version of the same shared version: only plans changed
    since, `cache.bump(every_plan=False)`, each moving its `modified_at`; a plan deleted moves the shared
    version) patched for the plans changed since its reading began, as `current()` reads the postings
    again; None when too many changed, and it must be read whole."""
    value, _shared, began = earlier
    moved = moved_since(began, PATCHED_MOST)
    return None if moved is None else patch(value, moved)


def moved_since(began: datetime, most: int) -> list[int] | None:
    """The ids of the plans whose `modified_at` moved since `began` (less MARGIN: a write that committed
    while a reading began), or None when there are more than `most`. A public page computed after a
    publication asks for the postings, the published plans' bitmap and the list's order, each read at about
    the same time: the plans moved since the earliest are read once for the page (`cache.computing`), with
    their times, and each later asks for those moved since its own time among them."""
    from plans.cache import computing

    since, request = began - MARGIN, computing()
    seen = getattr(request, "_moved", None)  # (since when, [(id, modified_at)] of every plan moved since)
    if seen is None or seen[0] > since:
        moved = Plan.objects.filter(modified_at__gte=since).order_by().values_list("pk", "modified_at")
        rows = list(moved[: MOST_CHANGED + 1])
        if len(rows) > MOST_CHANGED:
            return None  # most <= MOST_CHANGED
        seen = (since, rows)
        if request is not None:
            request._moved = seen
    ids = [pk for pk, at in seen[1] if at >= since]
    return ids if len(ids) <= most else None


def sql_of(queryset: QuerySet) -> tuple | None:
    """What identifies the plans of `queryset`: its ids' SQL and parameters (None: no SQL, no row)."""
    try:
        sql, params = queryset.values_list("pk", flat=True).query.sql_with_params()
    except EmptyResultSet:  # e.g. a search of no word
        return None
    return sql, tuple(params)


def order_ids(order: QuerySet) -> array:
    """The ids of `order`, in order, kept like `of()`, and patched like it after a change of plans only
    (`_patch_order`): reading the published plans' order whole took 25 ms at 100,000 plans, in each worker's
    first list after every publication."""

    def patch(_sql, _params, ids: array, moved: list[int]) -> array | None:
        return _patch_order(order, ids, moved)

    return _kept_for("order", order, _read_order, array("q"), patch=patch)


FAN_OUT = 32  # ids of a stretch of an order that one query sorts a moved plan among
WINDOWS_MOST = 16  # stretches searched at once for the moved plans: more, and the order is read whole again


def _patch_order(order: QuerySet, ids: array, moved: list[int]) -> array | None:
    """`ids`, the ids of `order` in order, with the plans `moved` taken out and put back where `order` now
    places those it still selects. The other plans did not change, so they keep their order among
    themselves, and each moved plan's place among them is searched for as in a B-tree: the database sorts
    it among FAN_OUT ids spread over the stretch where it must be, which narrows the stretch to the ids
    between two of them, until one place is left (4 queries of ~32 rows at 100,000 plans). The database
    sorts, so an order by title follows its collation as a whole reading does. None (read it whole) when
    the moved plans fall in more than WINDOWS_MOST stretches."""
    rest = array("q", ids)
    for place in sorted((p for p in map(_place_in(ids), moved) if p >= 0), reverse=True):
        del rest[place]
    # {moved plan: (low, high)}: its place among `rest` (how many of them come before it) is low to high.
    windows = dict.fromkeys(moved, (0, len(rest)))
    while True:
        stretches = set(windows.values())
        if len(stretches) > WINDOWS_MOST:
            return None
        samples = {}  # {id: its place in rest}
        for low, high in stretches:
            step = -(-(high - low) // FAN_OUT)  # rounded up
            samples.update((rest[p], p) for p in range(low, high, step or 1))
        listed = list(order.filter(pk__in=[*samples, *windows]).values_list("pk", flat=True))
        # A moved plan comes after the samples listed before it and before those listed after it.
        before, after, seen = {}, {}, -1
        for pk in listed:
            if pk in samples:
                seen = samples[pk]
            else:
                before[pk] = seen
        seen = len(rest)
        for pk in reversed(listed):
            if pk in samples:
                seen = samples[pk]
            else:
                after[pk] = seen
        # Those the order no longer selects are not listed: they are left out.
        windows = {pk: (max(windows[pk][0], before[pk] + 1), min(windows[pk][1], after[pk])) for pk in before}
        if any(low > high for low, high in windows.values()):
            return None  # the database's order disagrees with the one kept: another write went unseen
        if all(low == high for low, high in windows.values()):
            break
    # From the last place back, so that each insertion leaves the places before it as they were; moved
    # plans at the same place in the order `listed` gives them.
    for pk in sorted(windows, key=lambda pk: (windows[pk][0], listed.index(pk)), reverse=True):
        rest.insert(windows[pk][0], pk)
    return rest


def _place_in(ids: array) -> Callable[[int], int]:
    """A function giving the place of an id in `ids` (-1: not there), by searching the array's bytes for its
    eight (C's memchr: 0.4 ms through 100,000 ids, where `array.index` makes an int of each, 2.5 ms)."""
    data = ids.tobytes()

    def place(pk: int) -> int:
        found = data.find(struct.pack("q", pk))
        while found > 0 and found % 8:  # found across two ids: search on from the next byte
            found = data.find(struct.pack("q", pk), found + 1)
        return found // 8

    return place


def places(order: QuerySet) -> array:
    """{plan id: its place in `order`}, an array indexed by id (-1: not in it), kept like `of()` and made
    from the order's ids, kept too. A place is a number that sorts the plans in the order (1, 2, 3…, and
    between two of them for a plan placed there since): made again, the places of 100,000 plans took
    10-17 ms of the first search after every publication; patched (`_patch_places`), a few microseconds."""

    def patch(_sql, _params, found: array, moved: list[int]) -> array | None:
        return _patch_places(order_ids(order), found, moved)

    return _kept_for(
        "places", order, lambda _sql, _params: _places(order_ids(order)), array("d"), patch=patch
    )


def _patch_places(ids: array, found: array, moved: list[int]) -> array | None:
    """`found`, the places of an order before the plans `moved` changed, with theirs taken out and given
    again where they are now in its ids `ids` (patched: `order_ids`): each between the places of the plans
    before and after it there, which did not move. None (made again) when two places are too close for a
    number between them (after some fifty plans placed one after the other at the same place)."""
    found = array("d", found)
    gone = set(moved)
    found.extend([-1.0] * (max(moved, default=0) + 1 - len(found)))
    for pk in moved:
        found[pk] = -1.0
    where = _place_in(ids)
    for place in sorted(p for p in map(where, moved) if p >= 0):
        low = found[ids[place - 1]] if place else 0.0
        after = place + 1
        while after < len(ids) and ids[after] in gone:
            after += 1
        high = low + 2 if after == len(ids) else found[ids[after]]
        middle = (low + high) / 2
        if not low < middle < high:
            return None
        found[ids[place]] = middle
    return found


def _kept_for(kind: str, queryset: QuerySet, read, empty, patch=None):
    """What `read(sql, params)` gives for the ids of `queryset`, kept for the content version (not inside
    a transaction), with `patch(sql, params, value, moved)` to bring an earlier version's up to date;
    `empty` when Django knows there is no row."""
    found = sql_of(queryset)
    if found is None:
        return empty
    sql, params = found
    patched = None if patch is None else lambda value, moved: patch(sql, params, value, moved)
    return kept((kind, sql, params), lambda: read(sql, params), patched)


def _read_order(sql: str, params) -> array:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return array("q", [row[0] for row in cursor.fetchall()])


def _places(ids: array) -> array:
    """{plan id: its place in the order `ids`, from 1} as an array indexed by id (-1: not in the order)."""
    places = array("d", [-1.0]) * (max(ids, default=-1) + 1)
    for place, pk in enumerate(ids, start=1):
        places[pk] = place
    return places


def read_bits(sql: str, params) -> int:
    """The bitmap of the ids that `sql` selects (one column, each id once), made by the database 64 bits
    at a time: one row per 64 ids instead of one per id. A word in 70,000 of 100,000 plans: reading its
    ids and setting their bits in Python took 44 ms, this 32 (PostgreSQL, in process)."""
    if connection.vendor == "postgresql":
        word = "bit_or(1::bigint << (m & 63)::int)"
    else:  # SQLite has no bit_or: the sum of distinct bits is their union (in 64-bit two's complement)
        word = "sum(DISTINCT 1 << (m & 63))"
    with connection.cursor() as cursor:
        cursor.execute(f"WITH found (m) AS ({sql}) SELECT m >> 6, {word} FROM found GROUP BY 1", params)
        rows = cursor.fetchall()
    if not rows:
        return 0
    out = bytearray(8 * (max(w for w, _ in rows) + 1))
    for w, value in rows:
        out[8 * w : 8 * w + 8] = (value & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "little")
    return int.from_bytes(out, "little")


class Postings:
    """{facet: {value, tag id or SDG id: bitmap of the plans carrying it}}, and the same bitmaps as Roaring
    bitmaps (`sets`), which the counts read."""

    def __init__(self, values: dict[str, dict[object, int]], sets: dict[str, dict[object, BitMap]]):
        self.values = values
        self.sets = sets
        self._tags: dict[str, dict[int, object]] = {}
        self._sizes: dict[str, dict[object, int]] = {}  # {facet: {value: number of plans carrying it}}
        self._end: int | None = None  # past the largest id any value's plans hold

    def tags(self, model) -> dict[int, object]:
        """{id: tag} of every tag of a vocabulary's model, with the fields facets show (names and slug), read
        once per version: a common word's facets list every tag, whose names were read on each search."""
        found = self._tags.get(model.__name__)
        if found is None:
            fields = ("name", "slug", "name_fr", "name_es")
            found = self._tags[model.__name__] = {t.pk: t for t in model.objects.only(*fields)}
        return found

    def goals(self) -> dict[int, SDG]:
        """{id: SDG} of the 17 goals, by number, read once per version (a statistics page and its SDG facet
        each read them)."""
        if "SDG" not in self._tags:
            self._tags["SDG"] = {goal.pk: goal for goal in SDG.objects.order_by("number")}
        return self._tags["SDG"]

    def tally(self, name: str, plans: int | BitMap) -> dict:
        """{value: number of `plans` (a bitmap, or the same as a Roaring bitmap) carrying it} of one facet;
        values none of them carries are left out, as a SQL count grouped by value leaves them out."""
        return {value: n for value, n in self._counts(name, plans) if n}

    def _counts(self, name: str, plans: int | BitMap) -> Iterator[tuple[object, int]]:
        """(value, number of `plans` carrying it) for each value of a facet. When `plans` hold most ids, as
        an unfiltered list's or statistics page's do, each count is the value's size less its plans among
        the few ids `plans` leave out: intersecting with the many took 3.6 us a value at 100,000 plans, with
        the few 0.14 (0.7 ms of the facets and figures of a statistics page, over ~1,000 values)."""
        chosen = plans if isinstance(plans, BitMap) else roaring(plans)
        end = self._ids_end()
        if 2 * len(chosen) <= end:
            return (
                (value, carriers.intersection_cardinality(chosen))
                for value, carriers in self.sets[name].items()
            )
        left_out = chosen.flip(0, end)  # the ids below `end` not in `plans`: every plan of a value is below
        sizes = self._sizes.get(name)
        if sizes is None:
            sizes = self._sizes[name] = {value: len(carriers) for value, carriers in self.sets[name].items()}
        return (
            (value, sizes[value] - carriers.intersection_cardinality(left_out))
            for value, carriers in self.sets[name].items()
        )

    def _ids_end(self) -> int:
        if self._end is None:
            self._end = 1 + max(
                (c.max() for found in self.sets.values() for c in found.values() if c), default=0
            )
        return self._end

    def changed(self, ids: list[int]) -> Postings:
        """These postings with the values of the plans `ids` read again (the others' bits kept): the tag
        names are kept too (a renamed or new tag moves the version of every plan: a full read). Only the
        values these plans carried or carry change; the others' bitmaps are shared with these postings
        (never changed in place). Making every value's bitmap again took 5 ms at 100,000 plans."""
        fresh, unchanged, moved = _read(ids), ~bits(ids), BitMap(ids)
        values, sets = {}, {}
        for name, old in self.values.items():
            values[name], sets[name] = dict(old), dict(self.sets[name])
            for value, carriers in self.sets[name].items():  # the values they carried: without them
                if not carriers.isdisjoint(moved):
                    values[name][value] = old[value] & unchanged
                    sets[name][value] = carriers - moved
            for value, carriers in fresh.sets[name].items():  # then those they carry now
                values[name][value] = values[name].get(value, 0) | fresh.values[name][value]
                sets[name][value] = sets[name].get(value, BitMap()) | carriers
        found = Postings(values, sets)
        found._tags = self._tags
        return found

    def rows(self, name: str, plans: int | BitMap) -> Counter:
        """{value: number of rows carrying it} of a value counted by rows of the plans (the learning
        questions' stages): its bitmaps are layers, (value, k) holding the plans with at least k such
        rows, and the rows of `plans` are the sum of each layer's count."""
        found: Counter = Counter()
        for (value, _k), n in self._counts(name, plans):
            found[value] += n
        return +found  # without zero counts


def _json_list(column: str) -> tuple[str, str]:
    """(FROM item of the elements of the JSON list `column` of `t`, condition that it is a list)."""
    if connection.vendor == "postgresql":
        return f"jsonb_array_elements_text(t.{column}) AS e(value)", f"jsonb_typeof(t.{column}) = 'array'"
    return f"json_each(t.{column}) AS e", f"json_type(t.{column}) = 'array'"


def _assignment(through) -> tuple[str, str]:
    """(value column, plan column) of an assignment table: its foreign keys to the tag (or SDG) and to
    the plan."""
    keys = {f.related_model: f.column for f in through._meta.concrete_fields if f.is_relation}
    return next(c for model, c in keys.items() if model is not Plan), keys[Plan]


def _read(only: list[int] | None = None) -> Postings:
    """Every value's plans (those of the plans `only`, when given), in one query grouped by the database
    (each value's plan ids as one text): 1.8 million (value, plan) rows at 100,000 plans took 1.3 s to
    read and group row by row in Python."""
    quote = connection.ops.quote_name
    among = "" if only is None else " AND {} IN (" + ", ".join(str(int(pk)) for pk in only or [0]) + ")"
    if connection.vendor == "postgresql":
        ids = "string_agg(CAST({} AS text), ',')"
    else:
        ids = "group_concat({}, ',')"
    branches = []
    for i, name in enumerate(NAMES):
        if name in PLAN_COLUMNS:
            column, plan, table = quote(PLAN_COLUMNS[name]), quote("id"), quote(Plan._meta.db_table)
            number = name == "year"
            value = f"NULL, {column}" if number else f"{column}, NULL"
            where = f"{column} IS NOT NULL" + ("" if number else f" AND {column} <> ''")
        elif name == HANDOVER:
            each, is_list = _json_list("handover_options")
            table, column, plan = f"{quote(Plan._meta.db_table)} t, {each}", "e.value", "t.id"
            value, where = f"{column}, NULL", is_list
        else:
            through = vocabulary(name).through
            column, plan = map(quote, _assignment(through))
            table, value, where = quote(through._meta.db_table), f"NULL, {column}", "1 = 1"
        where += among.format(plan)
        branches.append(
            f"SELECT {i}, {value}, {ids.format(plan)} FROM {table} WHERE {where} GROUP BY {column}"
        )
    found: dict[str, dict[object, int]] = {name: {} for name in NAMES}
    sets: dict[str, dict[object, BitMap]] = {name: {} for name in NAMES}
    with connection.cursor() as cursor:
        # Typed empty values: PostgreSQL would type the first branch's bare NULLs as text for every branch.
        cursor.execute(
            f"SELECT 0 AS i, CAST(NULL AS text) AS t, CAST(NULL AS bigint) AS n, '' AS ids WHERE 1 = 0 "
            f"UNION ALL {' UNION ALL '.join(branches)}"
        )
        for i, text, number, plans in cursor.fetchall():
            ids = list(map(int, plans.split(",")))
            value = text if number is None else number
            found[NAMES[i]][value], sets[NAMES[i]][value] = bits(ids), BitMap(ids)
        layers = _layers(cursor, among.format("t.plan_id"))
    found[STAGES] = {key: bits(ids) for key, ids in layers.items()}
    sets[STAGES] = {key: BitMap(ids) for key, ids in layers.items()}
    return Postings(found, sets)


def _layers(cursor, among: str) -> dict[tuple, list[int]]:
    """{(stage, k): ids of the plans with at least k learning questions in that stage}."""
    each, is_list = _json_list("stages")
    cursor.execute(
        f"SELECT t.plan_id, e.value, COUNT(DISTINCT t.id) FROM {LearningQuestion._meta.db_table} t, {each} "
        f"WHERE {is_list}{among} GROUP BY t.plan_id, e.value"
    )
    layers: defaultdict[tuple, list] = defaultdict(list)
    for pk, stage, n in cursor.fetchall():
        for k in range(1, n + 1):
            layers[stage, k].append(pk)
    return layers


_sets: dict[tuple, object] = {}  # what `kept` read: {(*parts, database, version): value}
_lists: dict[tuple, array] = {}  # what `remembered` keeps: {(*parts, database, version): ids}
_sets_lock = threading.Lock()
_lock = threading.Lock()
# (database, content version, version of every plan, when its reading began, postings)
_kept: tuple[tuple, int, datetime, Postings] | None = None
# A plan written in a transaction that began this long before postings were read, and committed after,
# is read again by the next update (its `modified_at` is when it was written, not when it was committed).
MARGIN = timedelta(minutes=10)
MOST_CHANGED = 1000  # more plans changed since the last read: all are read again


def current() -> Postings:
    """The postings of the content version in the database, kept by the process until it moves. When only
    plans moved it (`cache.bump(every_plan=False)`: a plan published, edited, deleted), the plans whose
    `modified_at` moved since are read again (~10 ms); when anything else did (a tag renamed or merged,
    an import, a restore), everything is (~1 s at 100,000 plans)."""
    from plans.cache import computing

    if connection.in_atomic_block:
        return _read()
    request = computing()  # a public page asks a dozen times: the versions are read once for it
    if request is None:
        return _current()
    if not hasattr(request, "_postings"):
        request._postings = _current()
    return request._postings


def _current() -> Postings:
    global _kept
    from plans.cache import CONTENT, SHARED
    from plans.cache import versions as read_versions
    from plans.models import ContentVersion

    versions = read_versions()  # the page's, when one is computed: read with its key's
    database = (connection.alias, connection.settings_dict["NAME"])
    key, shared = (*database, versions.get(CONTENT, 0)), versions.get(SHARED, 0)
    kept = _kept
    if kept is not None and kept[0] == key:
        return kept[3]
    with _lock:
        kept = _kept
        if kept is not None and kept[0] == key:
            return kept[3]
        began = timezone.now()
        found = None
        if kept is not None and kept[0][:2] == database and kept[1] == shared:
            ids = moved_since(kept[2], MOST_CHANGED)
            if ids is not None:
                found = kept[3].changed(ids)
        if found is None:
            _kept = None  # the old version's bitmaps go before the new ones are read
            found = _read()
        # A write committed while reading may be half in them: keep them only if the version did not move.
        now = ContentVersion.objects.filter(pk=CONTENT).values_list("value", flat=True).first() or 0
        if now == key[2]:
            _kept = (key, shared, began, found)
        return found


def forget() -> None:
    """Drop what this process keeps (tests: their databases are reset, and content versions repeat)."""
    global _kept
    _kept = None
    _sets.clear()
    _lists.clear()
