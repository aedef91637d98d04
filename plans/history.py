"""A plan's history: what a revision holds, how two revisions compare, how an old one is restored.

django-reversion rather than a home-made history: it stores a plan together with the rows it "follows"
(its parts, as plans/parts.py names them) as one revision with its author and time, and is well kept.
Nothing here knows about HTTP: the admin's history, compare and restore pages call these functions, and
the tests call them directly.
"""

import difflib
from collections import defaultdict
from contextlib import contextmanager

import reversion
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from reversion.models import Version

from plans.models import BlogLink, Plan, PlanRevision
from plans.parts import CHILD_RELATED_NAMES, CHILDREN, TAG_VOCABULARIES

# What a restore leaves as it is now: the workflow state (a restore is an edit, not a way around review)
# and what only superusers edit (the plan's address and its identity and layout in the archive).
KEPT_ON_RESTORE = (
    "status",
    "published_at",
    *("claimed_by", "claimed_at", "publish_at", "expire_at", "scheduled_by"),
    "slug",
    "source_file",
    "archive_layout",
)


def _tag_links(vocabulary) -> str:
    """The name through which a plan reaches its assignments of `vocabulary`'s tags (`taggedmethod_set`)."""
    return vocabulary.through._meta.get_field("content_object").remote_field.get_accessor_name()


def register() -> None:
    """Register a plan and its parts with django-reversion (called once, from the app's `ready()`).

    A revision of a plan holds the plan, its child rows and its tag assignments, with the tag rows those
    point to: their names at the time, for the comparison, and a way back for a tag deleted since."""
    models = [c.model for c in CHILDREN] + [v.tag_model for v in TAG_VOCABULARIES]
    for model in models:
        if not reversion.is_registered(model):
            reversion.register(model)
    for vocabulary in TAG_VOCABULARIES:
        if not reversion.is_registered(vocabulary.through):
            reversion.register(vocabulary.through, follow=("tag",))
    if not reversion.is_registered(PlanRevision):
        reversion.register(PlanRevision)
    if not reversion.is_registered(Plan):
        reversion.register(Plan, follow=(*CHILD_RELATED_NAMES, *(_tag_links(v) for v in TAG_VOCABULARIES)))


def reversion_add(obj, comment: str) -> None:
    """Put `obj` into the revision being made (inside `revision_by`), with what the revision was."""
    reversion.add_to_revision(obj)
    reversion.set_comment(comment)


def plan_versions(plan):
    """The stored versions of `plan`, newest first, with their revisions' authors."""
    return Version.objects.get_for_object(plan).select_related("revision__user")


def last_change(plan):
    """(who, when) of the most recent save or workflow step of `plan`, for the lost-update message."""
    candidates = []
    version = plan_versions(plan).first()
    if version is not None:
        candidates.append((version.revision.date_created, version.revision.user))
    event = plan.events.select_related("actor").first()
    if event is not None:
        candidates.append((event.created_at, event.actor))
    if not candidates:
        return None, plan.updated_at
    when, who = max(candidates, key=lambda c: c[0])
    return who, when


def when(version) -> str:
    """The time of `version`'s revision, as the messages about it show it."""
    return date_format(timezone.localtime(version.revision.date_created), "DATETIME_FORMAT")


# ---------------------------------------------------------------- compare


def _version_map(version):
    """{model: {object_id: version}} of every row stored in `version`'s revision."""
    rows = defaultdict(dict)
    for v in version.revision.version_set.select_related("content_type"):
        rows[v.content_type.model_class()][v.object_id] = v
    return rows


def _show(value) -> str:
    if value in (None, "", []):
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _row(label, before="", after="", diff="") -> dict:
    return {"label": label, "before": before, "after": after, "diff": diff}


def _field_rows(model, dict_a, dict_b) -> list[dict]:
    """A row per field of `model` that differs between two stored versions of one of its rows (a unified
    text diff for long texts)."""
    rows = []
    for field in model._meta.concrete_fields + model._meta.many_to_many:
        # answers_html is derived from the answers: a change shows once, as the answer it comes from.
        if field.name in (
            "id",
            "plan",
            "updated_at",
            "modified_at",
            "content_object",
            "answers_html",
        ) or not hasattr(field, "attname"):
            continue
        key = field.name if field.many_to_many else field.attname
        before, after = dict_a.get(key), dict_b.get(key)
        if before == after:
            continue
        diff = ""
        if isinstance(before, str) and isinstance(after, str) and (len(before) + len(after)) > 160:
            diff = "\n".join(difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=1))
        rows.append(_row(str(field.verbose_name), _show(before), _show(after), diff))
    return rows


def compare_versions(a, b) -> list[dict]:
    """What changed between two revisions of a plan: its fields, then its tags and its children, as
    sections {"title", "rows"}, each row {"label", "before", "after", "diff"}."""
    rows_a, rows_b = _version_map(a), _version_map(b)
    sections = []
    plan_rows = _field_rows(Plan, a.field_dict, b.field_dict)
    if plan_rows:
        sections.append({"title": str(Plan._meta.verbose_name), "rows": plan_rows})

    for vocabulary in TAG_VOCABULARIES:
        # A tag's name as either revision stored it; the assignment's own description as a fallback.
        names = {
            object_id: v.field_dict.get("name", v.object_repr)
            for rows in (rows_a, rows_b)
            for object_id, v in rows.get(vocabulary.tag_model, {}).items()
        }

        def tags(rows, vocabulary=vocabulary, names=names):
            assignments = rows.get(vocabulary.through, {}).values()
            return {names.get(str(v.field_dict.get("tag_id")), v.object_repr) for v in assignments}

        before, after = tags(rows_a), tags(rows_b)
        if before != after:
            rows = [
                _row(_("removed"), before=_show(sorted(before - after))),
                _row(_("added"), after=_show(sorted(after - before))),
            ]
            sections.append({"title": str(vocabulary.tag_model._meta.verbose_name_plural), "rows": rows})

    for child in CHILDREN:
        old, new = rows_a.get(child.model, {}), rows_b.get(child.model, {})
        rows = []
        for object_id in sorted(set(old) | set(new), key=lambda i: int(i) if i.isdigit() else 0):
            if object_id not in new:
                rows.append(_row(_("removed"), before=old[object_id].object_repr))
            elif object_id not in old:
                rows.append(_row(_("added"), after=new[object_id].object_repr))
            else:
                for row in _field_rows(child.model, old[object_id].field_dict, new[object_id].field_dict):
                    row["label"] = f"{new[object_id].object_repr[:40]} · {row['label']}"
                    rows.append(row)
        if rows:
            sections.append({"title": str(child.model._meta.verbose_name_plural), "rows": rows})
    return sections


# ---------------------------------------------------------------- restore


@contextmanager
def revision_by(user):
    """One new revision of a plan's history by `user`, in one transaction with the change it records. The
    caller adds the plan (`reversion.add_to_revision`) once its parts are saved, and says what changed."""
    with transaction.atomic(), reversion.create_revision(manage_manually=True):
        reversion.set_user(user)
        yield


def restore_revision(plan, version, user):
    """Put the plan's content back as it was in `version`, as a new revision by `user`; returns the plan.

    A restore is a change like any other, never a way around review or into data other plans share:
    - the fields of KEPT_ON_RESTORE stay as they are now;
    - a blog link keeps its current review only while its URL is the reviewed one: a link whose URL the
      restore changes, or which it brings back, waits for review again;
    - tags are shared rows: the plan gets back its tag *assignments*; no tag row is renamed (a reviewer may
      have renamed it since) or deleted (other plans may carry it); a tag deleted since comes back.
    """
    stored = list(version.revision.version_set.select_related("content_type"))
    in_revision = {(v.content_type.model_class(), v.object_id) for v in stored}
    tag_models = {v.tag_model for v in TAG_VOCABULARIES}
    with revision_by(user):
        kept = {name: getattr(plan, name) for name in KEPT_ON_RESTORE}
        reviewed = {link.pk: link for link in plan.blog_links.all()}
        # Parts the plan has now and did not have then go. (django-reversion's own `revert(delete=True)`
        # would follow the tag assignments on to the shared tag rows and delete those too.)
        for part in (*CHILD_RELATED_NAMES, *(_tag_links(v) for v in TAG_VOCABULARIES)):
            for obj in getattr(plan, part).all():
                if (type(obj), str(obj.pk)) not in in_revision:
                    obj.delete()
        # Tag rows first, then the plan, then its parts: every foreign key exists when its row is saved.
        order = {**dict.fromkeys(tag_models, 0), Plan: 1}
        for v in sorted(stored, key=lambda v: order.get(v.content_type.model_class(), 2)):
            model = v.content_type.model_class()
            if model in tag_models and model.objects.filter(pk=v.object_id).exists():
                continue
            v.revert()

        plan = Plan.objects.get(pk=plan.pk)
        for name, value in kept.items():
            setattr(plan, name, value)
        plan.save()
        for link in plan.blog_links.all():
            before = reviewed.get(link.pk)
            if before is None or before.url != link.url:
                link.reset_review()
            else:
                for name in BlogLink.REVIEW_ATTNAMES:
                    setattr(link, name, getattr(before, name))
            link.save(update_fields=BlogLink.REVIEW_ATTNAMES)
        reversion.set_comment(_("Restored the version of %(when)s.") % {"when": when(version)})
        reversion.add_to_revision(plan)
    return plan
