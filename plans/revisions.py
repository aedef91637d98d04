"""Revisions of a published plan: its authors change a copy while the public keeps the live plan.

A focal point saving the change form of a published plan saves the plan's *pending revision* (`PlanRevision`,
one per plan at most): the plan's fields, child rows and tags as one JSON snapshot. The `Plan` row and its
children, hence the public pages, the API, the downloads, the feed and the search, keep the live content
until a reviewer publishes the revision; `publish` then applies the snapshot to the live rows in one
transaction, after a version of the live plan is kept in its history (plans/history.py).

Child rows carry a stable `key` (a UUID on every child row, kept by the snapshot): a row keeps it when it is
edited, reordered or published, so that the comparison tells moved rows from changed ones and review
comments (plans/comments.py) stay on their row.

Blog links are not part of a revision: each is approved on its own (plans/admin/blog_links.py). A snapshot
records them so that the comparison can show which links came or went since the revision was started.

The snapshot format: {"fields": {attname: value}, "tags": {vocabulary: [names or SDG numbers]},
"children": {related_name: [{"key": uuid, "fields": {attname: value}}, …]}}, rows in order.
"""

import difflib

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from plans.choices import PlanStatus
from plans.models import SDG, Plan, PlanRevision
from plans.parts import CHILDREN, VOCABULARIES

# What a revision never carries: the workflow's and the system's fields, and what only superusers edit
# (a revision published later must not write back an address or a layout a superuser has changed since).
NOT_REVISED = {
    "id",
    "status",
    "published_at",
    "created_at",
    "updated_at",
    "modified_at",
    "created_by",
    "answers_html",
    "slug",
    "source_file",
    "archive_layout",
}
CHILD_NOT_REVISED = {"id", "plan", "position", "answers_html", "key"}
# Children whose rows a revision carries; blog links have a review of their own.
REVISED_CHILDREN = tuple(c for c in CHILDREN if not c.reviewed)


def apply_published(revision, by) -> None:
    """Inside the publish transition (its revision row is already claimed): the live plan, locked, must
    still be published; its version before is kept in the history, then the revision is applied."""
    from plans import history  # history reads the models module that imports this one

    plan = Plan.objects.select_for_update().get(pk=revision.plan_id)
    check_live(plan)
    with history.revision_by(by):
        history.reversion_add(
            plan, gettext("The live version before revision %(number)s.") % {"number": revision.number}
        )
    with history.revision_by(by):
        apply(plan, revision.content)
        history.reversion_add(plan, gettext("Published revision %(number)s.") % {"number": revision.number})


def check_live(plan) -> None:
    """A revision is published (now or at a date) only onto a plan that is still live."""
    if plan.status != PlanStatus.PUBLISHED:
        raise ValidationError(
            _(
                "The plan was withdrawn after this revision was submitted: the revision cannot be published, "
                "and nothing was changed. Reopen the plan first if it should go back online."
            ),
            code="plan_not_published",
        )


def refusals(revision) -> list:
    """Why the plan as `revision` would make it cannot be submitted (plans/completeness.py, as for a draft):
    measured on the plan's rows holding the revision, in a transaction rolled back at once."""
    from plans import completeness

    with transaction.atomic():
        plan = Plan.objects.get(pk=revision.plan_id)
        apply(plan, revision.content)
        missing = completeness.refusals(Plan.objects.get(pk=plan.pk))
        transaction.set_rollback(True)
    return missing


# ---------------------------------------------------------------- pending revisions


def pending(plan) -> PlanRevision | None:
    """The plan's revision in progress (being edited, submitted or returned), or None."""
    return plan.pending_revision


def save_content(plan, content: dict, by) -> PlanRevision:
    """Store `content` (a snapshot made by the change form) as the plan's pending revision, started now when
    there is none. The caller has checked that `by` may (permissions.can_edit_revision)."""
    from plans import history

    with transaction.atomic():
        Plan.objects.select_for_update().filter(pk=plan.pk).first()  # one revision started at a time
        revision = pending(plan)
        if revision is None:
            last = plan.revisions.aggregate(n=models.Max("number"))["n"] or 0
            revision = PlanRevision(plan=plan, number=last + 1, created_by=by, base=snapshot(plan))
        revision.content, revision.updated_by = content, by
        with history.revision_by(by):
            revision.save()
            history.reversion_add(revision, gettext("Saved the revision."))
    return revision


# ---------------------------------------------------------------- snapshot and apply


def _plain(value):
    """A field's value as JSON can hold it (an uploaded file by its stored name)."""
    if hasattr(value, "name") and hasattr(value, "storage"):
        return value.name or ""
    return value


def _plan_fields():
    return [f for f in Plan._meta.concrete_fields if f.name not in NOT_REVISED]


def _child_fields(model):
    return [f for f in model._meta.concrete_fields if f.name not in CHILD_NOT_REVISED]


def _rows(plan, child) -> list[dict]:
    fields = _child_fields(child.model)
    return [
        {"key": str(row.key), "fields": {f.attname: _plain(f.value_from_object(row)) for f in fields}}
        for row in getattr(plan, child.related_name).order_by("position", "pk")
    ]


def rows(plan) -> dict:
    """The plan's child rows only, in the snapshot's format (what comments anchor on)."""
    return {"children": {child.related_name: _rows(plan, child) for child in CHILDREN}}


def snapshot(plan) -> dict:
    """The plan's content as it is in the database: fields, tags and child rows (blog links included, for
    the comparison; `apply` leaves them alone)."""
    tags = {}
    for v in VOCABULARIES:
        if v.is_taggit:
            tags[v.name] = sorted(getattr(plan, v.name).names())
        else:
            tags[v.name] = sorted(getattr(plan, v.name).values_list("number", flat=True))
    return {
        "fields": {f.attname: _plain(f.value_from_object(plan)) for f in _plan_fields()},
        "tags": tags,
        **rows(plan),
    }


def apply(plan, content: dict) -> None:
    """Write `content` into the plan's rows: its fields (unsaved: the caller saves the plan), its tags and
    its child rows, matched by key (rows keep their identity; new rows are created with their key, rows the
    content lacks are deleted). Blog links are left as they are."""
    known = {f.attname for f in _plan_fields()}
    for name, value in content.get("fields", {}).items():
        if name in known:
            setattr(plan, name, value)
    plan.save()
    for v in VOCABULARIES:
        values = content.get("tags", {}).get(v.name, [])
        if v.is_taggit:
            getattr(plan, v.name).set(values)
        else:
            plan.sdgs.set(SDG.objects.filter(number__in=values))
    for child in REVISED_CHILDREN:
        rows = content.get("children", {}).get(child.related_name, [])
        existing = {str(r.key): r for r in getattr(plan, child.related_name).all()}
        names = {f.attname for f in _child_fields(child.model)}
        wanted = {row["key"] for row in rows}
        for key, row in existing.items():
            if key not in wanted:
                row.delete()
        for position, data in enumerate(rows):
            row = existing.get(data["key"]) or child.model(plan=plan, key=data["key"])
            for name, value in data.get("fields", {}).items():
                if name in names:
                    setattr(row, name, value)
            row.position = position
            row.save()


# ---------------------------------------------------------------- comparison


def _display(field, value) -> str:
    """A stored value as a reader knows it: choice labels, the lab's name, lists joined."""
    if value in (None, "", []):
        return "—"
    if getattr(field, "choices", None):
        return str(dict(field.flatchoices).get(value, value))
    if field.is_relation and field.many_to_one:
        target = field.related_model.objects.filter(pk=value).first()
        return str(target) if target is not None else str(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _field_change(field, before, after) -> dict:
    old, new = _display(field, before), _display(field, after)
    diff = ""
    if isinstance(before, str) and isinstance(after, str) and len(before) + len(after) > 160:
        diff = "\n".join(difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=1))
    return {"name": field.name, "label": str(field.verbose_name), "before": old, "after": new, "diff": diff}


def _changed_fields(fields, old: dict, new: dict) -> list[dict]:
    return [
        _field_change(f, old.get(f.attname), new.get(f.attname))
        for f in fields
        if f.attname in old or f.attname in new
        if old.get(f.attname) != new.get(f.attname)
    ]


def row_label(child, fields: dict) -> str:
    """What names a child row to a reader: its first non-empty answer, shortened."""
    for name in (*child.archived, *child.answer_fields, "title", "url"):
        value = fields.get(name)
        if isinstance(value, str) and value.strip():
            text = " ".join(value.split())
            return text if len(text) <= 80 else text[:79] + "…"
    return "—"


def _moved(old_keys: list[str], new_keys: list[str]) -> set[str]:
    """Rows kept by both versions whose order among the kept rows changed: those outside the longest run
    kept in order, so that inserting or deleting a row around others does not count them as moved."""
    kept = set(old_keys) & set(new_keys)
    old = [k for k in old_keys if k in kept]
    new = [k for k in new_keys if k in kept]
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    in_order = {old[b.a + i] for b in matcher.get_matching_blocks() for i in range(b.size)}
    return kept - in_order


def compare(old: dict, new: dict) -> dict:
    """What changed from snapshot `old` to snapshot `new`: {"fields": [...], "tags": [...], "children":
    [{"related_name", "title", "rows": [{"change", "key", "label", "before_position", "after_position",
    "fields"}]}], "empty": bool}. A row is "added", "removed", "changed", "moved" or "moved and changed"."""
    result = {
        "fields": _changed_fields(_plan_fields(), old.get("fields", {}), new.get("fields", {})),
        "tags": [],
        "children": [],
    }
    for v in VOCABULARIES:
        before = set(old.get("tags", {}).get(v.name, []))
        after = set(new.get("tags", {}).get(v.name, []))
        if before != after:
            title = Plan._meta.get_field(v.name).verbose_name
            result["tags"].append(
                {"label": str(title), "added": sorted(after - before), "removed": sorted(before - after)}
            )
    for child in CHILDREN:
        old_rows = old.get("children", {}).get(child.related_name, [])
        new_rows = new.get("children", {}).get(child.related_name, [])
        if child.related_name not in new.get("children", {}):
            continue
        fields = _child_fields(child.model)
        before = {r["key"]: (i, r) for i, r in enumerate(old_rows)}
        after = {r["key"]: (i, r) for i, r in enumerate(new_rows)}
        moved = _moved([r["key"] for r in old_rows], [r["key"] for r in new_rows])
        rows = []
        for key, (position, row) in after.items():
            if key not in before:
                change, field_changes = "added", _changed_fields(fields, {}, row["fields"])
                old_position = None
            else:
                old_position, old_row = before[key]
                field_changes = _changed_fields(fields, old_row["fields"], row["fields"])
                change = {
                    (True, True): "moved and changed",
                    (True, False): "moved",
                    (False, True): "changed",
                    (False, False): "",
                }[(key in moved, bool(field_changes))]
                if not change:
                    continue
            rows.append(_child_row(child, change, key, row, old_position, position, field_changes))
        for key, (position, row) in before.items():
            if key not in after:
                rows.append(_child_row(child, "removed", key, row, position, None, []))
        if rows:
            title = str(child.model._meta.verbose_name_plural)
            result["children"].append({"related_name": child.related_name, "title": title, "rows": rows})
    result["empty"] = not (result["fields"] or result["tags"] or result["children"])
    return result


CHANGE_LABELS = {
    "added": _("added"),
    "removed": _("removed"),
    "changed": _("changed"),
    "moved": _("moved"),
    "moved and changed": _("moved and changed"),
}


def _child_row(child, change, key, row, before_position, after_position, field_changes) -> dict:
    return {
        "change": change,
        "change_label": str(CHANGE_LABELS[change]),
        "key": key,
        "label": row_label(child, row["fields"]),
        "before_position": None if before_position is None else before_position + 1,
        "after_position": None if after_position is None else after_position + 1,
        "fields": field_changes,
    }


def changes(revision) -> dict:
    """What `revision` changes: against the live plan while it is pending, against the plan as it was when
    the revision was started once it is closed. Blog links, which a revision does not carry, are compared
    between the start of the revision and now: links added or removed meanwhile, each with its own review."""
    live = snapshot(revision.plan)
    if revision.is_pending:
        old, new = live, {**revision.content}
    else:
        old, new = revision.base, {**revision.content}
    links = "blog_links"
    new_children = dict(new.get("children", {}))
    new_children[links] = live["children"][links] if revision.is_pending else new_children.get(links, [])
    base_children = dict(old.get("children", {}))
    base_children[links] = revision.base.get("children", {}).get(links, [])
    return compare({**old, "children": base_children}, {**new, "children": new_children})
