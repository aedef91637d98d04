"""Curating the tag vocabularies: merge, rename, undo, and a CSV mapping applied in bulk.

Curation changes what the site shows, never what a plan said: a merged or renamed tag keeps its earlier
names as aliases (`LongTagBase.aliases`), so that old links and API filters naming them, re-imports of
files spelling them and the suggestions of the admin still find the tag, and the archive export writes
each tag as the plan's file wrote it (plans/archive/dump.py). Every merge and rename is a `TagChange`
holding what undoing it needs. The admin (plans/admin/reference.py) and the commands `merge_tags` and
`apply_tag_mapping` call these functions; who may is decided in plans/permissions.py.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from plans import cache, search
from plans.models import Plan, TagChange
from plans.parts import TAG_VOCABULARIES, vocabulary
from plans.tag_keys import clean_name, tag_key

NAMES = tuple(v.name for v in TAG_VOCABULARIES)


class CurationError(ValueError):
    """A merge, rename or undo that cannot be made; the message says why, to a reviewer."""


def tag_model(name: str):
    if name not in NAMES:
        raise CurationError(_("Unknown vocabulary: %(name)s") % {"name": name})
    return vocabulary(name).tag_model


def find(name: str, text: str):
    """The tag `text` stands for in vocabulary `name` (same key, or an earlier name), or None."""
    return tag_model(name).resolve([text], create=False).get(text)


def uses(name: str, tags) -> dict[int, int]:
    """{tag id: number of plans carrying it} for `tags` of vocabulary `name`."""
    through = vocabulary(name).through
    rows = through.objects.filter(tag__in=[t.pk for t in tags]).values_list("tag_id").annotate(n=Count("pk"))
    return dict(rows.order_by())


def ids_for_slugs(name: str, slugs) -> set[int]:
    """The tags a filter on `slugs` selects: the tags of these slugs or of these earlier slugs (aliases: an
    old link keeps working after a merge or rename), and the tags filed under them as their broader
    category (one level: "water" finds the plans tagged "waste water"). Kept for the content version,
    which every change of a tag moves (`postings.remembered`): a filtered list asked the database again on
    every page, and its facets once more per group of facets (~0.7 ms each)."""
    from plans import postings

    slugs = sorted(set(slugs))
    return set(postings.remembered(("tags", name, *slugs), lambda: sorted(_ids_for_slugs(name, slugs))))


def _ids_for_slugs(name: str, slugs) -> set[int]:
    model, slugs = tag_model(name), set(slugs)
    chosen = model.objects.filter(Q(slug__in=slugs) | Q(category__slug__in=slugs))
    rows = list(chosen.values_list("pk", "slug"))
    ids = {pk for pk, _slug in rows}
    missing = slugs - {slug for _pk, slug in rows}
    if missing:
        aliased = {
            t.pk for t in model.objects.exclude(aliases=[]).only("aliases") if missing & _alias_slugs(t)
        }
        ids |= aliased | set(model.objects.filter(category__in=aliased).values_list("pk", flat=True))
    return ids


def _alias_slugs(tag) -> set[str]:
    return {a.get("slug", "") for a in tag.aliases or ()}


def _state(tag) -> dict:
    fields = ("name", "slug", "key", "name_fr", "name_es", "category_id", "aliases")
    return {"id": tag.pk, **{f: getattr(tag, f) for f in fields}}


def _alias(tag) -> dict:
    return {"name": tag.name, "slug": tag.slug, "key": tag.key}


def _unique_aliases(aliases: list[dict], tag) -> list[dict]:
    """Aliases once each, none of them the tag's own current name and slug."""
    seen, kept = {(tag.name, tag.slug)}, []
    for alias in aliases:
        if (alias["name"], alias["slug"]) not in seen:
            seen.add((alias["name"], alias["slug"]))
            kept.append(alias)
    return kept


def _carriers(name: str, tag_id: int) -> list[int]:
    through = vocabulary(name).through
    return sorted(through.objects.filter(tag_id=tag_id).values_list("content_object_id", flat=True))


def _reindex(plan_ids) -> None:
    search.update_index(list(plan_ids))
    cache.bump()


@dataclass
class Preview:
    """What a merge will do, shown before it is made: each tag with the number of plans carrying it, the
    name the merged tag keeps, and the number of plans that will carry it."""

    target: object
    tags: list[tuple[object, int]]
    plans: int

    @property
    def name(self) -> str:
        return self.target.name


def preview(name: str, sources, target) -> Preview:
    tags = [target, *(s for s in sources if s.pk != target.pk)]
    counted = uses(name, tags)
    through = vocabulary(name).through
    plans = through.objects.filter(tag__in=[t.pk for t in tags]).values("content_object_id").distinct()
    return Preview(target, [(t, counted.get(t.pk, 0)) for t in tags], plans.count())


def merge(name: str, sources, target, *, by=None) -> TagChange:
    """Merge `sources` into `target`: their plans carry `target` instead (once each), their names become
    its aliases, their French and Spanish labels fill its empty ones, the tags filed under them are filed
    under it, and they are deleted. Logged as a TagChange that `undo` reverses."""
    model = tag_model(name)
    sources = [s for s in dict.fromkeys(sources) if s.pk != target.pk]
    if not sources:
        raise CurationError(_("Choose at least one tag to merge into another."))
    through = vocabulary(name).through
    with transaction.atomic():
        before, before_plans = _state(target), _carriers(name, target.pk)
        carried, merged, aliases = set(before_plans), [], list(target.aliases)
        for source in sources:
            plans = _carriers(name, source.pk)
            narrower = list(model.objects.filter(category=source).values_list("pk", flat=True))
            merged.append({**_state(source), "plans": plans, "narrower": narrower})
            through.objects.filter(tag=source, content_object_id__in=carried).delete()
            through.objects.filter(tag=source).update(tag=target)
            carried |= set(plans)
            model.objects.filter(category=source).exclude(pk=target.pk).update(category=target)
            aliases += [_alias(source), *source.aliases]
            target.name_fr = target.name_fr or source.name_fr
            target.name_es = target.name_es or source.name_es
            if target.category_id == source.pk:
                target.category_id = source.category_id
            source.delete()
        target.aliases = _unique_aliases(aliases, target)
        target.save()
        _reindex(carried)
        summary = _("Merged %(sources)s into “%(target)s” (%(vocabulary)s)") % {
            "sources": ", ".join(f"“{s.name}”" for s in sources),
            "target": target.name,
            "vocabulary": name,
        }
        return TagChange.objects.create(
            vocabulary=name,
            action=TagChange.Action.MERGE,
            summary=summary[:1000],
            data={"target": before, "target_plans": before_plans, "sources": merged},
            actor=by,
        )


def rename(name: str, tag, new_name: str, *, by=None) -> TagChange:
    """Rename `tag`; its earlier name and slug become aliases (old links keep working). A name another tag
    of the vocabulary already stands for is refused: that is a merge."""
    model, new_name = tag_model(name), clean_name(new_name)
    if not new_name.strip():
        raise CurationError(_("A tag needs a name."))
    other = model.objects.filter(key=tag_key(new_name)).exclude(pk=tag.pk).first()
    if other is not None:
        raise CurationError(
            _("“%(name)s” is already a tag of this vocabulary: merge the two instead.") % {"name": other.name}
        )
    with transaction.atomic():
        before = _state(tag)
        old = _alias(tag)
        tag.name = new_name
        slug, n = tag.slugify(new_name), 1
        while model.objects.filter(slug=slug).exclude(pk=tag.pk).exists():
            slug, n = tag.slugify(new_name, n), n + 1
        tag.slug = slug
        tag.aliases = _unique_aliases([*tag.aliases, old], tag)
        tag.save()  # reindexes its plans (plans.search) and bumps the cache version
        return TagChange.objects.create(
            vocabulary=name,
            action=TagChange.Action.RENAME,
            summary=(
                _("Renamed “%(old)s” to “%(new)s” (%(vocabulary)s)")
                % {"old": old["name"], "new": new_name, "vocabulary": name}
            )[:1000],
            data={"tag": before},
            actor=by,
        )


def _tag_ids(change: TagChange) -> set[int]:
    data = change.data
    if change.action == TagChange.Action.RENAME:
        return {data["tag"]["id"]}
    return {data["target"]["id"], *(s["id"] for s in data["sources"])}


def _restore(tag, state: dict) -> None:
    for name in ("name", "slug", "name_fr", "name_es", "aliases"):
        setattr(tag, name, state[name])
    category = state["category_id"]
    tag.category_id = category if type(tag).objects.filter(pk=category).exists() else None


def undo(change: TagChange, *, by=None) -> None:
    """Reverse a merge (the merged tags come back with their names, slugs, aliases and plans) or a rename.
    Refused once undone, and while a later change that is not undone touches the same tags."""
    if change.undone_at is not None:
        raise CurationError(_("This change has already been undone."))
    model, ids = tag_model(change.vocabulary), _tag_ids(change)
    later = TagChange.objects.filter(vocabulary=change.vocabulary, undone_at__isnull=True, pk__gt=change.pk)
    if any(_tag_ids(other) & ids for other in later):
        raise CurationError(_("A later change touches these tags: undo it first."))
    data = change.data
    states = [data["tag"]] if change.action == TagChange.Action.RENAME else [data["target"], *data["sources"]]
    for state in states:
        taken = model.objects.filter(Q(name=state["name"]) | Q(slug=state["slug"]) | Q(key=state["key"]))
        if taken.exclude(pk__in=ids).exists():
            raise CurationError(
                _("Another tag now has the name or address of “%(name)s”: rename it first.")
                % {"name": state["name"]}
            )
    with transaction.atomic():
        if change.action == TagChange.Action.RENAME:
            tag = model.objects.filter(pk=data["tag"]["id"]).first()
            if tag is None:
                raise CurationError(_("The tag no longer exists."))
            _restore(tag, data["tag"])
            tag.save()
        else:
            _undo_merge(change.vocabulary, data)
        change.undone_at, change.undone_by = timezone.now(), by
        change.save(update_fields=["undone_at", "undone_by"])


def _undo_merge(name: str, data: dict) -> None:
    model, through = tag_model(name), vocabulary(name).through
    target = model.objects.filter(pk=data["target"]["id"]).first()
    if target is None:
        raise CurationError(_("The tag no longer exists."))
    existing = set(Plan.objects.values_list("pk", flat=True).filter(pk__in=_plans_of(data)))
    _restore(target, data["target"])
    target.save()
    for state in data["sources"]:
        source = model(pk=state["id"], key=state["key"])
        _restore(source, state)
        source.save()
        through.objects.bulk_create(
            [through(tag=source, content_object_id=pk) for pk in state["plans"] if pk in existing]
        )
        model.objects.filter(pk__in=state["narrower"]).update(category=source)
    moved = set(_plans_of(data)) - set(data["target_plans"])
    through.objects.filter(tag=target, content_object_id__in=moved).delete()
    _reindex(existing)


def _plans_of(data: dict) -> list[int]:
    return [pk for s in data["sources"] for pk in s["plans"]]


# ---------------------------------------------------------------- a CSV mapping, applied in bulk


@dataclass
class MappingResult:
    """What applying a mapping did (or, on a dry run, would do), and the rows it refused."""

    merged: int = 0
    renamed: int = 0
    categorised: int = 0
    unchanged: int = 0
    missing: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return _(
            "%(merged)d merged, %(renamed)d renamed, %(categorised)d filed under a category, "
            "%(unchanged)d already as mapped, %(missing)d not found, %(errors)d bad rows"
        ) % {
            "merged": self.merged,
            "renamed": self.renamed,
            "categorised": self.categorised,
            "unchanged": self.unchanged,
            "missing": self.missing,
            "errors": len(self.errors),
        }


class _Rollback(Exception):
    pass


def apply_mapping(lines, *, dry_run: bool = False, by=None, source: str = "mapping") -> MappingResult:
    """Apply a CSV mapping (vocabulary, original name, canonical name[, category]), such as UNDP's published
    taxonomy, in one transaction: each original tag is merged into the canonical one (renamed to it when
    the canonical does not exist yet), and filed under the category tag (created when missing). A header
    row is allowed. Any bad row (unknown vocabulary, empty name, too few columns) is reported as
    `SOURCE:LINE: what is wrong` and nothing is written; a dry run reports and writes nothing. Applying the
    same mapping again changes nothing (its original names are by then aliases of the canonical tags)."""
    result = MappingResult()
    rows = []
    for line, row in enumerate(csv.reader(lines), 1):
        if not any(cell.strip() for cell in row):
            continue
        if line == 1 and row[0].strip().lower() == "vocabulary":
            continue
        problem = _row_problem(row)
        if problem:
            result.errors.append(f"{source}:{line}: {problem}")
            continue
        rows.append([cell.strip() for cell in row] + [""] * (4 - len(row)))
    if result.errors:
        return result
    try:
        with transaction.atomic():
            for vocabulary_name, original, canonical, category in rows:
                _apply_row(result, vocabulary_name, original, canonical, category, by)
            if dry_run:
                raise _Rollback
    except _Rollback:
        pass
    return result


def _row_problem(row: list[str]) -> str:
    if len(row) < 3:
        return _("expected vocabulary, original name, canonical name[, category]")
    if len(row) > 4:
        return _("more than four columns")
    if row[0].strip() not in NAMES:
        return _("unknown vocabulary “%(name)s” (one of %(names)s)") % {
            "name": row[0].strip(),
            "names": ", ".join(NAMES),
        }
    if not tag_key(clean_name(row[1])).strip() or not tag_key(clean_name(row[2])).strip():
        return _("the original and the canonical name must not be empty")
    return ""


def _apply_row(result: MappingResult, name: str, original: str, canonical: str, category: str, by) -> None:
    model = tag_model(name)
    found, target = find(name, original), find(name, canonical)
    if found is None:
        result.missing += 1
    elif target is not None and target.pk != found.pk:
        merge(name, [found], target, by=by)
        result.merged += 1
    elif target is None:
        rename(name, found, canonical, by=by)
        result.renamed += 1
    elif found.name != clean_name(canonical) and tag_key(found.name) == tag_key(canonical):
        rename(name, found, canonical, by=by)  # the canonical spelling ("Co-creation" for "co-creation")
        result.renamed += 1
    else:
        result.unchanged += 1
    if category and (tag := find(name, canonical)) is not None:
        broader = find(name, category) or model.objects.create(name=clean_name(category))
        if broader.pk != tag.pk and tag.category_id != broader.pk:
            tag.category = broader
            tag.save(update_fields=["category"])
            result.categorised += 1
