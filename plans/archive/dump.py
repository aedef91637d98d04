"""ORM → Document: the current state of a plan as an archive document.

No model is imported at the top (the SDG names are read inside `sdg_names`): `plans.archive` can be imported
before the app registry is ready (the parser and writer need no Django at all), and `plans.models`
imports the mapping and the writer to check layouts.
"""

import unicodedata
from pathlib import PurePosixPath

from django.conf import settings

from plans import catalogue as cat
from plans.archive.document import Document
from plans.archive.mapping import META_FIELDS, TAG_KEYS, empty_content, render
from plans.archive.text import decode_line
from plans.archive.write import write
from plans.choices import BlogLinkStatus
from plans.parts import CHILDREN, PREFETCH  # noqa: F401  (PREFETCH re-exported: the archive dumps every part)
from plans.tag_keys import tag_key

# What the archive carries of a plan's own row: its answers (from the catalogue) and its metadata.
PLAN_FIELDS = (*cat.ANSWER_FIELDS, *META_FIELDS)


def _tag_names(manager) -> list[str]:
    # Iterate the (prefetchable) related manager: `names()` ignores prefetch_related.
    return [tag.name for tag in manager.all()]


def _archived(row, fields: tuple[str, ...]) -> dict:
    values = {name: getattr(row, name) for name in fields}
    for name, value in values.items():
        if isinstance(value, list):  # a learning question's stages: a copy, edited apart from the row
            values[name] = list(value)
    if "image_url" in values and not values["image_url"] and row.file:
        values["image_url"] = row.file.url  # an uploaded file stands where the archive has an image link
    return values


def plan_content(plan, private: bool = True) -> dict:
    """The plan's content in the shape `mapping` uses, read through prefetch-friendly `.all()` calls.
    Without `private`, only what the public may see of it: approved blog links, and the focal-point e-mail
    only when the site publishes e-mails (see `permissions.can_see_private_parts`)."""
    content = empty_content()
    content["plan"] = {name: getattr(plan, name) for name in PLAN_FIELDS}
    if not (private or settings.PUBLIC_FOCAL_POINT_EMAILS):
        content["plan"]["focal_point_email"] = ""
    for name in cat.CHECKLIST_FIELDS:
        content["plan"][name] = list(getattr(plan, name) or [])
    for key in TAG_KEYS:
        content[key] = _tag_names(getattr(plan, key))
    content["sdgs"] = [sdg.number for sdg in plan.sdgs.all()]
    for child in CHILDREN:
        rows = getattr(plan, child.related_name).all()
        if child.reviewed and not private:
            rows = [r for r in rows if r.status == BlogLinkStatus.APPROVED]
        content[child.content_key] = [_archived(row, child.archived) for row in rows]
    return content


def sdg_names() -> dict[int, str]:
    from plans.models import SDG

    return dict(SDG.objects.values_list("number", "name"))


def as_written(content: dict, plan, layout: dict) -> dict:
    """Curation changes what the site shows, never what a plan said: each tag the plan carries is written
    as its file wrote it, under every spelling of the file that stands for it (the same key, or a name the
    tag had before a merge or rename). Tags the file did not name (added since) keep their current names."""
    raw = layout.get("meta", [])
    for key in TAG_KEYS:
        written = [decode_line(value).strip() for name, value in raw if name == key]  # as the reader reads
        if not written:
            continue
        names = []
        for tag in getattr(plan, key).all():
            keys = {tag.key, *tag.alias_keys}
            names += [w for w in written if tag_key(w) in keys] or [tag.name]
        content[key] = list(dict.fromkeys(names))
    return content


def dump(plan, names: dict[int, str] | None = None, private: bool = True) -> Document:
    """The plan as an archive document: its layout (if imported) filled with its current content, its tags
    as the file wrote them (`as_written`)."""
    if names is None:
        names = {sdg.number: sdg.name for sdg in plan.sdgs.all()}
    layout = {k: v for k, v in (plan.archive_layout or {}).items() if k != "snapshot"}
    layout.setdefault("markers", plan.section_markers)  # for plans authored in the admin
    return render(as_written(plan_content(plan, private), plan, layout), layout, plan.raw_title, names)


def archive_name(plan) -> str:
    """The name of a plan's archive file: the one it was imported from (its identity on re-import), else
    `<slug>.md`. Only the last part of a stored path: a ZIP member or an exported file named "../x.md"
    would be written outside the folder it is unpacked into."""
    name = PurePosixPath(plan.source_file.replace("\\", "/")).name
    # No control characters (a CR or LF broke the download's Content-Disposition header) nor invisible ones.
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    return name or f"{plan.slug}.md"


def unique_name(name: str, used: set[str]) -> str:
    """`name`, or `<stem>-2.md`, `-3`, … when another file of the same collection has it already (two
    plans never share a file: the second would hide the first); remembered in `used`."""
    found, n = name, 2
    while found in used:
        found, n = f"{name.removesuffix('.md')}-{n}.md", n + 1
    used.add(found)
    return found


class UnwritableLayout(Exception):
    """The plan's stored archive layout cannot be written (malformed): the plan has no archive file."""


def archive_file(plan, *, private: bool, names: dict[int, str] | None = None) -> tuple[str, str]:
    """A plan's archive file, `(name, text)`: the one way every download and export names and writes it.
    `private`: with the plan's private parts (`permissions.can_see_private_parts`), else only what the
    public may see. Read the plan with `PlanQuerySet.with_content_for()` (or every part prefetched).
    Raises UnwritableLayout for a malformed layout, so that callers writing many files skip this one (and
    log it) and a single download answers a clean error: one broken plan never breaks the others."""
    try:
        return archive_name(plan), write(dump(plan, names, private))
    except (AttributeError, IndexError, KeyError, TypeError, ValueError) as exc:
        raise UnwritableLayout(f"plan {plan.pk} ({plan.slug}): {exc!r}") from exc
