"""Content → ORM: create or update the plan of one archive file, in as few queries as possible.

The importer handles the whole archive (1,100 plans) in seconds, so nothing here saves row by row: tags,
labs, SDGs and slugs are looked up once per run and cached; children, tag assignments and SDG links are
`bulk_create`d. The caller runs each file in its own transaction and calls `forget()` when one fails, so
that the caches never point at rolled-back rows.

Re-import is a three-way merge: the layout keeps a *snapshot* (a short hash per plan field, tag
vocabulary and child list) of the content last imported; a value the file changed since that snapshot
wins, anything else keeps its current database value (so edits made in the admin survive re-importing
an unchanged part).
"""

import datetime
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from types import SimpleNamespace as NS

from django.db import connection
from django.utils import timezone
from django.utils.text import slugify

from plans import countries, search
from plans.archive.dump import PLAN_FIELDS, PREFETCH, plan_content
from plans.archive.mapping import CHILDREN as COLLECTIONS
from plans.archive.mapping import TAG_KEYS, TEXT_FIELDS, child_part, empty_content
from plans.choices import FORM_KINDS, PlanKind
from plans.models import SDG, Lab, Plan
from plans.parts import CHILDREN, TAG_VOCABULARIES, VOCABULARY_NAMES, vocabulary
from plans.sanitise import answer_fields, answers_html
from plans.tag_keys import clean_name, tag_key

BATCH = 500


class JsonText(str):
    """A JSON column's value already encoded as Django encodes it (`json.dumps`), written as it is."""


@dataclass
class Pending:
    """One parsed file waiting to be written. `prepare()` does ahead what needs no database."""

    source_file: str
    content: dict
    layout: dict | None
    sha: str
    raw_title: str
    markers: bool
    stored: JsonText | None = None  # the layout to store, encoded (then `layout` is None)
    plan_html: JsonText | None = None  # answers_html of the plan, encoded
    child_html: dict[str, list[JsonText]] | None = None  # of each child row, by content key
    # (the lab name it assumed, its search index row without the plan id), by `Loader.index_ahead`
    index: tuple[str, tuple] | None = None

    def stored_layout(self) -> dict:
        if self.stored is not None:
            return json.loads(self.stored)
        # The snapshot of what was imported is the base of the three-way merge of the next re-import.
        return dict(self.layout, sha=self.sha, snapshot=snapshot(self.content))

    def prepare(self) -> "Pending":
        """Sanitise the answers and encode them and the layout to store, in the process that read the file
        (see `importer.prepared`): the layout is handed over as one string, as unpickling its many small
        lists cost more than making them."""
        self.stored, self.layout = JsonText(json.dumps(self.stored_layout())), None
        self.plan_html = JsonText(json.dumps(answers_html(self.content["plan"], TEXT_FIELDS)))
        self.child_html = {
            key: [
                JsonText(json.dumps(answers_html(values, answer_fields(child_part(key).model))))
                for values in self.content[key]
            ]
            for key in COLLECTIONS
        }
        return self


def insert(model, rows: Iterable[dict]) -> None:
    """INSERT many rows of `model` with one `executemany`: no model instances, no per-value ORM work (the
    importer writes ~60,000 child and tag rows for the archive). Columns the rows do not name get the
    field's default (or the current time for auto_now fields), and every value goes through
    `get_db_prep_save` unless it is plain text or a number, so JSON and dates are adapted as the ORM would.
    `rows` are read one at a time while they are written: rows made by a generator are made while the
    database stores the previous ones (PostgreSQL works on what COPY has sent so far)."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return
    now = timezone.now()
    pk = model._meta.pk
    # Rows that carry their primary key (see `allocate_ids`) write it; others let the database number them.
    fields = [f for f in model._meta.concrete_fields if not f.primary_key or pk.attname in first]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({columns}) VALUES ({marks})"
    plain = {
        "TextField",
        "CharField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "ForeignKey",
        "IntegerField",
        "BooleanField",
    }

    def stamped(field) -> bool:
        return getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)

    # Decided once per column, not once per value (the archive has ~60,000 rows of children and tags).
    columns_spec = [
        (f.attname, now if stamped(f) else f.get_default(), stamped(f), f.get_internal_type() not in plain, f)
        for f in fields
    ]

    def values() -> Iterator[list]:
        for row in chain((first,), rows):
            line = []
            for attname, default, is_stamped, adapt, field in columns_spec:
                value = row.get(attname, default)
                if value is None:
                    value = now if is_stamped else None
                elif type(value) is JsonText:
                    value = str(value)
                elif adapt:
                    value = field.get_db_prep_save(value, connection)
                line.append(value)
            yield line

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":  # executemany runs in-process: the fastest there is
            cursor.executemany(sql, values())
            return
        # COPY streams every row in one round trip, adapted by psycopg in C: a multi-row INSERT spent
        # about as long turning its thousands of placeholders into a query as PostgreSQL spent running it.
        table = connection.ops.quote_name(model._meta.db_table)
        # The driver's own cursor: its errors become Django's (IntegrityError…) only through this wrapper,
        # and the importer reports a file that fails by catching those.
        with (
            connection.wrap_database_errors,
            cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for line in values():
                copy.write_row(line)


def allocate_ids(model, n: int) -> list[int]:
    """`n` primary keys for new rows of `model`, so that they can be written with COPY or `executemany`,
    which return no ids, and still be referred to by their children. PostgreSQL: from the table's own
    sequence. SQLite: the next ones after the table's highest (AUTOINCREMENT: its sequence), which the
    caller's transaction, holding SQLite's write lock, keeps free until it inserts them."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                f"SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0), "
                f"coalesce((SELECT max({model._meta.pk.column}) FROM {table}), 0))",
                [table],
            )
            last = cursor.fetchone()[0]
            return list(range(last + 1, last + n + 1))
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, model._meta.pk.column, n],
        )
        return [row[0] for row in cursor.fetchall()]


def lab_name(country: str) -> str:
    """The name of the lab the importer creates for a country, as the file spells it."""
    return f"Accelerator Lab {country}"[:200]


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Loader:
    """Writes the content of parsed files to the database, remembering lookups between files."""

    def __init__(self, status: str = "published"):
        self.status = status
        self.tag_models = {v.name: v.tag_model for v in TAG_VOCABULARIES}
        # Tags by key (plans/tag_keys.py), then by the keys of their aliases: a file's "ethnography" or a
        # name since merged into another tag attaches the tag that stands for it, never a near-duplicate.
        self.tags: dict[str, dict[str, int]] = {}
        self.tag_slugs: dict[str, set[str]] = {}
        # The words each existing tag is found by (its name, labels, aliases): a file spelling it otherwise
        # still makes its plan findable under all of them (plans/search.py).
        self.tag_words: dict[str, dict[int, list[str]]] = {}
        for key, model in self.tag_models.items():
            tags = list(model.objects.only("key", "slug", "name", "name_fr", "name_es", "aliases"))
            self.tags[key] = {tag.key: tag.pk for tag in tags}
            for tag in tags:
                for alias in tag.alias_keys:
                    self.tags[key].setdefault(alias, tag.pk)
            self.tag_slugs[key] = {tag.slug for tag in tags}
            self.tag_words[key] = {tag.pk: search.search_names(tag) for tag in tags}
        self.labs = dict(Lab.objects.values_list("name", "pk"))
        # One lab per country: "Viet Nam" and "Vietnam" are the same lab (plans/countries.py).
        self.lab_codes = dict(Lab.objects.exclude(iso3="").values_list("pk", "iso3"))
        self.code_labs = {iso3: pk for pk, iso3 in sorted(self.lab_codes.items(), reverse=True)}  # oldest
        self.sdgs = dict(SDG.objects.values_list("number", "pk"))
        self.sdg_names = dict(SDG.objects.values_list("number", "name"))
        self.slugs = set(Plan.objects.values_list("slug", flat=True))
        # A file updates only a plan the importer itself wrote from it (its fingerprint is stored): a plan
        # that merely carries the same file name (typed or copied in the admin) is never overwritten by it;
        # importing the file then fails on the unique file name instead.
        self.known = {
            source: (pk, sha)
            for source, pk, sha in Plan.objects.exclude(source_file="").values_list(
                "source_file", "pk", "archive_layout__sha"
            )
            if sha
        }
        self._new: list[tuple[dict | set, str]] = []  # cache entries added in the current file

    # ---------------------------------------------------------------- cache hygiene

    def _remember(self, cache, key) -> None:
        self._new.append((cache, key))

    def forget(self) -> None:
        """Drop the cache entries of a file whose transaction was rolled back."""
        for cache, key in self._new:
            if isinstance(cache, dict):
                cache.pop(key, None)
            else:
                cache.discard(key)
        self._new = []

    def commit(self) -> None:
        self._new = []

    # ---------------------------------------------------------------- lookups

    def unchanged(self, source_file: str, sha: str) -> bool:
        known = self.known.get(source_file)
        return known is not None and known[1] == sha

    def lab_id(self, country: str) -> int | None:
        if not country:
            return None
        code = countries.code_for(country)
        if code in self.code_labs:
            return self.code_labs[code]
        name = lab_name(country)
        if name not in self.labs:
            self.create_labs([country])
        return self.labs[name]

    def create_labs(self, names: list[str]) -> None:
        """Create, with one query, the labs that `lab_id` will give these countries and that do not exist
        yet: one per country code, named after the first spelling. `bulk_create` sends no signal: a new
        lab changes no page before its plans, and the importer bumps the cache version at its end."""
        new: dict[str, Lab] = {}
        codes: dict[str, str] = {}
        for country in names:
            code = countries.code_for(country) if country else ""
            name = lab_name(country)
            if not country or code in self.code_labs or code in codes or name in self.labs or name in new:
                continue
            new[name] = Lab(name=name, country=country, iso3=code)  # as Lab.save() sets iso3
            if code:
                codes[code] = name
        for name, lab in zip(new, Lab.objects.bulk_create(new.values()), strict=True):
            self.labs[name] = lab.pk
            self._remember(self.labs, name)
            if lab.iso3:
                self.lab_codes[lab.pk], self.code_labs[lab.iso3] = lab.iso3, lab.pk
                self._remember(self.lab_codes, lab.pk)
                self._remember(self.code_labs, lab.iso3)

    def tag_ids(self, key: str, names: list[str]) -> dict[str, int]:
        cache, slugs, model = self.tags[key], self.tag_slugs[key], self.tag_models[key]
        keys = {name: tag_key(name) for name in names}
        missing: dict[str, str] = {}
        for name, k in keys.items():
            if k not in cache:
                missing.setdefault(k, name)  # a new tag is named as its first spelling
        new = []
        for k, name in missing.items():
            name = clean_name(name)
            base = (slugify(name, allow_unicode=True)[:200] or "tag").strip("-_") or "tag"
            slug, n = base, 1
            while slug in slugs:
                slug, n = f"{base}_{n}", n + 1
            slugs.add(slug)
            self._remember(slugs, slug)
            new.append(model(name=name, slug=slug, key=k))
        for tag in model.objects.bulk_create(new):
            cache[tag.key] = tag.pk
            self._remember(cache, tag.key)
        return {name: cache[k] for name, k in keys.items()}

    def slug(self, title: str) -> str:
        base = slugify(title)[:200].strip("-") or "plan"
        slug, n = base, 2
        while slug in self.slugs:
            slug, n = f"{base}-{n}", n + 1
        self.slugs.add(slug)
        self._remember(self.slugs, slug)
        return slug

    # ---------------------------------------------------------------- writing

    def create_many(self, pending: list["Pending"]) -> list[int]:
        """Create the plans of new files with a handful of queries for all of them. Call inside a
        transaction; if it fails, call `forget()` and retry file by file to find the culprit."""
        # New countries' labs first: creating them is a query, which cannot run inside a COPY.
        self.create_labs([p.content["plan"]["country"] for p in pending])
        # COPY (PostgreSQL) or executemany (SQLite) with ids allocated first: bulk_create spent longer
        # building one giant INSERT of kilobytes of answers (and, with DEBUG, quoting it for the query
        # log) than the database spent storing them. Each plan is made (its answers sanitised) while the
        # database stores the previous ones.
        plans: list[Plan] = []

        def rows() -> Iterator[dict]:
            for p, pk in zip(pending, allocate_ids(Plan, len(pending)), strict=True):
                obj = self._new_plan(p)
                obj.pk = pk
                plans.append(obj)
                yield {f.attname: getattr(obj, f.attname) for f in Plan._meta.concrete_fields}

        insert(Plan, rows())
        for p, obj in zip(pending, plans, strict=True):
            self.known[p.source_file] = (obj.pk, p.sha)
            self._remember(self.known, p.source_file)
        items = [(obj.pk, p.content) for p, obj in zip(pending, plans, strict=True)]
        self._write_tags(items, (*TAG_KEYS, "sdgs"))
        self._write_children(items, COLLECTIONS, html=[p.child_html for p in pending])
        self._index(plans, pending)
        return [obj.pk for obj in plans]

    def index_ahead(self, p: "Pending") -> None:
        """Analyse a new plan's words for the search index in the process that read its file (see
        `importer.prepared`), while this one writes earlier plans: analysing was a third of the import's
        time in this process, the reading one had time to spare. Done from what this loader knew when
        that process started; the tags' words do not change during an import (a tag it creates has none
        of its own yet), but the lab is a guess (an earlier file may create the country's lab under
        another spelling), so `_index` checks it."""
        lab = self._expected_lab_name(p.content["plan"]["country"])
        p.index = (lab, search.index_row(0, *search.document(self._index_view(p.content, lab)))[1:])

    def _expected_lab_name(self, country: str) -> str:
        """The name of the lab `lab_id(country)` gives, if it creates none under another name first."""
        if not country:
            return ""
        pk = self.code_labs.get(countries.code_for(country))
        if pk is not None:
            return next(name for name, lab in self.labs.items() if lab == pk)
        return lab_name(country)

    def _index_view(self, content: dict, lab: str):
        """What `search.document()` reads of a new plan, from the content in hand: its SDGs by name, and
        its tags also by the words each existing tag is found by."""
        content = dict(content, sdgs=[self.sdg_names.get(n, "") for n in content["sdgs"]])
        for key in TAG_KEYS:
            words = self.tag_words[key]
            known = [words.get(self.tags[key].get(tag_key(n)), ()) for n in content[key]]
            content[key] = [*content[key], *(w for found in known for w in found if w)]
        return index_view(content, lab)

    def _index(self, plans: list, pending: list["Pending"]) -> None:
        """Full-text index rows for new plans, analysed ahead (`index_ahead`) or from the content in hand,
        never re-read from the database (the search module's own rebuild prefetches every relation)."""
        labs = {pk: name for name, pk in self.labs.items()}
        rows = []
        for obj, p in zip(plans, pending, strict=True):
            lab = labs.get(obj.lab_id, "")
            if p.index is not None and p.index[0] == lab:
                rows.append((obj.pk, *p.index[1]))
            else:
                rows.append(search.index_row(obj.pk, *search.document(self._index_view(p.content, lab))))
        search.store([obj.pk for obj in plans], rows)

    def update(self, p: "Pending") -> bool:
        """Update the plan of an already imported file; False when the file is the one last imported."""
        known = self.known[p.source_file]
        if known[1] == p.sha:
            return False
        changed = self._update(known[0], p)
        self.known[p.source_file] = (known[0], p.sha)
        return changed

    def _plan_values(self, plan: dict, html: JsonText | None = None) -> dict:
        values = {name: plan[name] for name in PLAN_FIELDS}
        values["kind"] = FORM_KINDS.get(plan["form_version"], PlanKind.OPENING)
        values["lab_id"] = self.lab_id(plan["country"])
        values["country_code"] = countries.code_for(plan["country"]) or self.lab_codes.get(
            values["lab_id"], ""
        )
        # Pages never sanitise: done here (or by `Pending.prepare`), once.
        values["answers_html"] = answers_html(values, TEXT_FIELDS) if html is None else html
        return values

    def _new_plan(self, p: "Pending"):
        plan = p.content["plan"]
        published_at = None
        if self.status == "published":
            published_at = (
                datetime.datetime(plan["year"], 1, 1, tzinfo=datetime.UTC) if plan["year"] else timezone.now()
            )
        return Plan(
            **self._plan_values(plan, p.plan_html),
            slug=self.slug(plan["title"]),
            status=self.status,
            published_at=published_at,
            source_file=p.source_file,
            raw_title=p.raw_title,
            section_markers=p.markers,
            archive_layout=p.stored if p.stored is not None else p.stored_layout(),
        )

    def _update(self, pk: int, p: "Pending") -> bool:
        """Apply the three-way merge; False (and only the file's fingerprint stored) when the file differs
        from the last import in layout only, e.g. blank lines, so that `updated_at` stays."""
        new, raw_title, markers, layout = p.content, p.raw_title, p.markers, p.stored_layout()
        obj = Plan.objects.prefetch_related(*PREFETCH).get(pk=pk)
        current = plan_content(obj)
        old = (obj.archive_layout or {}).get("snapshot") or {}  # no snapshot: the file wins everywhere
        merged = merge(old, new, current)
        values = self._plan_values(merged["plan"])
        changed = [name for name, value in values.items() if getattr(obj, name) != value]
        keys = [k for k in (*TAG_KEYS, "sdgs") if sorted(map(str, merged[k])) != sorted(map(str, current[k]))]
        collections = [k for k in COLLECTIONS if merged[k] != current[k]]
        same_layout = {k: v for k, v in (obj.archive_layout or {}).items() if k != "sha"} == {
            k: v for k, v in layout.items() if k != "sha"
        }
        same_header = (obj.raw_title, obj.section_markers) == (raw_title, markers)
        if not (changed or keys or collections) and same_layout and same_header:
            Plan.objects.filter(pk=pk).update(archive_layout=layout)  # update() leaves updated_at alone
            return False
        for name in changed:
            setattr(obj, name, values[name])
        obj.raw_title, obj.section_markers, obj.archive_layout = raw_title, markers, layout
        obj.save(update_fields=[*changed, "raw_title", "section_markers", "archive_layout", "updated_at"])
        self._clear(obj, keys)
        self._write_tags([(pk, merged)], keys)
        reviews = {b.url: b for b in obj.blog_links.all()}
        self._clear(obj, collections)
        self._write_children([(pk, merged)], collections, reviews)
        return True

    @staticmethod
    def _clear(obj, keys) -> None:
        for key in keys:
            if key == "sdgs":
                obj.sdgs.through.objects.filter(plan_id=obj.pk).delete()
            elif key in TAG_KEYS:
                getattr(obj, key).through.objects.filter(content_object_id=obj.pk).delete()
            else:
                getattr(obj, child_part(key).related_name).all().delete()

    def _write_tags(self, items: list[tuple[int, dict]], keys) -> None:
        for key in keys:
            model = vocabulary(key).through
            if key == "sdgs":
                rows = [
                    {"plan_id": pk, "sdg_id": self.sdgs[n]}
                    for pk, c in items
                    for n in c["sdgs"]
                    if n in self.sdgs
                ]
            else:
                ids = self.tag_ids(key, [name for _, c in items for name in c[key]])
                pairs = dict.fromkeys((pk, ids[name]) for pk, c in items for name in c[key])  # once each
                rows = [{"content_object_id": pk, "tag_id": tag_id} for pk, tag_id in pairs]
            if rows:
                insert(model, rows)

    def _write_children(
        self, items: list[tuple[int, dict]], keys, reviews: dict | None = None, html: list | None = None
    ) -> None:
        """Child rows of `items` (plan id, content); `html`: each item's `Pending.child_html`, if made."""
        for key in keys:
            model = child_part(key).model
            rows: list[dict] = []
            made: list[JsonText | None] = []
            for (pk, content), done in zip(items, html or [None] * len(items), strict=True):
                found = self._rows(key, pk, content, reviews)
                rows += found
                made += done[key] if done is not None else [None] * len(found)
            fields = answer_fields(model)
            # Pages never sanitise: the clean HTML is made once (here, while the previous rows are stored).
            insert(
                model,
                (
                    dict(row, answers_html=answers_html(row, fields) if clean is None else clean)
                    for row, clean in zip(rows, made, strict=True)
                ),
            )

    @staticmethod
    def _rows(key: str, pk: int, content: dict, reviews: dict | None) -> list[dict]:
        rows = []
        for position, values in enumerate(content[key]):
            row = {"plan_id": pk, "position": position, **values}
            if key == "blog_links":
                row |= {
                    "title": "",
                    "status": "pending",
                    "reviewed_by_id": None,
                    "reviewed_at": None,
                    "review_note": "",
                }
                previous = (reviews or {}).get(values["url"])
                if previous is not None:  # a reviewer's decision outlives the re-import
                    row |= {
                        "title": previous.title,
                        "status": previous.status,
                        "reviewed_by_id": previous.reviewed_by_id,
                        "reviewed_at": previous.reviewed_at,
                        "review_note": previous.review_note,
                    }
            elif key == "evidence":
                row["file"] = ""
            rows.append(row)
        return rows


# One encoder for every hash: json.dumps with options builds a new one per call (a third of the hashing).
_JSON = json.JSONEncoder(sort_keys=True, default=str)


def _hash(value) -> str:
    return hashlib.sha1(_JSON.encode(value).encode()).hexdigest()[:16]


def snapshot(content: dict) -> dict[str, str]:
    """What the next re-import must know of this import: one short hash per plan field, tag vocabulary
    (as a set) and child list. Hashes rather than values keep the stored layout small."""
    hashes = {f"plan.{name}": _hash(value) for name, value in content["plan"].items()}
    hashes |= {key: _hash(sorted(map(str, content[key]))) for key in (*TAG_KEYS, "sdgs")}
    hashes |= {key: _hash(content[key]) for key in COLLECTIONS}
    return hashes


def merge(old: dict[str, str], new: dict, current: dict) -> dict:
    """Three-way merge of plan content: where the file changed a value since the last import (its hash
    differs from the snapshot `old`), the file wins; elsewhere the current database value stays."""
    ours = snapshot(new)
    # A field read from the archive only since the last import (the challenge type) was empty in the file
    # then; an empty snapshot (none stored) lets the file win everywhere.
    before = snapshot(empty_content()) | old if old else {}
    merged: dict = {"plan": {}}
    for name, value in new["plan"].items():
        changed = ours[f"plan.{name}"] != before.get(f"plan.{name}")
        merged["plan"][name] = value if changed else current["plan"].get(name, value)
    for key in (*TAG_KEYS, "sdgs", *COLLECTIONS):
        merged[key] = new[key] if ours[key] != before.get(key) else current[key]
    return merged


class _Rows(list):
    """A list that answers `.all()`, so that content rows look like prefetched related managers."""

    def all(self):
        return self


def index_view(content: dict, lab_name: str):
    """A read-only stand-in for a prefetched Plan built from imported content, for `search.document()`:
    indexing a freshly imported plan then costs no query at all."""
    plan = content["plan"]
    return NS(
        lab_id=1 if lab_name else None,
        lab=NS(name=lab_name),
        **{name: plan.get(name, "") for name in PLAN_FIELDS},
        **{c.related_name: _Rows(NS(**r) for r in content[c.content_key]) for c in CHILDREN},
        **{name: _Rows(NS(name=n) for n in content[name]) for name in VOCABULARY_NAMES},
    )
