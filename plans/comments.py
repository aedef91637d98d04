"""Review comments: reviewers and authors talk about a field or a row of a plan, in threads they resolve.

A comment belongs to the plan and to the revision it was made on (None: the plan itself, a draft or a
submitted plan), and is anchored on the whole plan, one of its fields (by name) or one child row (by the
row's kind and its stable `key`, never its position: rows reordered or inserted keep their comments). A
comment on a row that has gone since is still shown, marked as such, with the row's words when it was made.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext

from plans import permissions
from plans.models import Plan, ReviewComment
from plans.parts import CHILDREN
from plans.revisions import row_label, rows

MAX_LENGTH = 5000


# ---------------------------------------------------------------- where comments go


def _content(plan, revision) -> dict:
    """The rows comments are made on: the revision's, or the plan's own."""
    return revision.content if revision is not None else rows(plan)


def anchors(plan, revision=None, content=None) -> list[dict]:
    """What one may comment on now, in form order: the plan, each field it answers, each child row by its
    current position. Each {"value", "label"}; the value is what `add` takes as `anchor`."""
    from plans.admin.fieldsets import ALWAYS_READONLY, SUPERUSER_FIELDS, plan_layout  # the form's own order

    content = content or _content(plan, revision)
    choices = [{"value": "", "label": gettext("The plan as a whole")}]
    names = []
    for block in plan_layout(plan.form_version):
        for item in block.fields:
            names += list(item) if isinstance(item, (list, tuple)) else [item]
    for name in dict.fromkeys(names):
        try:
            field = Plan._meta.get_field(name)
        except Exception:  # a form-only field (opened_version)
            continue
        if not getattr(field, "editable", False) or name in (*ALWAYS_READONLY, *SUPERUSER_FIELDS):
            continue
        choices.append({"value": f"field:{name}", "label": str(field.verbose_name).capitalize()})
    for child in CHILDREN:
        title = str(child.model._meta.verbose_name).capitalize()
        for n, row in enumerate(content.get("children", {}).get(child.related_name, []), start=1):
            label = _row_anchor(title, n, row_label(child, row["fields"]))
            choices.append({"value": f"row:{child.related_name}:{row['key']}", "label": label})
    return choices


def _row_anchor(kind: str, number: int, text: str) -> str:
    """A row as a comment names it: its kind, its place in the list now, its words."""
    return gettext("%(kind)s %(number)s: %(text)s") % {"kind": kind, "number": number, "text": text}


def _row(content, kind, key):
    for n, row in enumerate(content.get("children", {}).get(kind, []), start=1):
        if row["key"] == key:
            return n, row
    return None, None


def add(plan, by, body, anchor="", parent=None, revision=None) -> ReviewComment:
    """A new comment by `by` on `anchor` ("", "field:<name>" or "row:<kind>:<key>") of the plan's revision
    (None: the plan itself), or a reply to `parent` (which keeps its anchor). Refused with PermissionDenied
    when `by` may not comment, with ValidationError for an empty body or an anchor that does not exist (a
    row deleted since the page was opened)."""
    if not permissions.can_comment(by, plan):
        raise PermissionDenied(gettext("You may not comment on this plan."))
    body = (body or "").strip()
    if not body:
        raise ValidationError(gettext("Write a comment first."), code="empty")
    if len(body) > MAX_LENGTH:
        raise ValidationError(
            gettext("A comment has at most %(max)s characters.") % {"max": MAX_LENGTH}, code="too_long"
        )
    comment = ReviewComment(plan=plan, revision=revision, author=by, body=body)
    if parent is not None:
        if parent.plan_id != plan.pk or parent.revision_id != (revision.pk if revision else None):
            raise ValidationError(gettext("That conversation belongs to another version."), code="parent")
        root = parent.parent or parent
        comment.parent, comment.field, comment.child = root, root.field, root.child
        comment.row_key, comment.row_text = root.row_key, root.row_text
    elif anchor.startswith("field:"):
        name = anchor.removeprefix("field:")
        if name not in {a["value"].removeprefix("field:") for a in anchors(plan, revision) if a["value"]}:
            raise ValidationError(gettext("There is no such field to comment on."), code="anchor")
        comment.field = name
    elif anchor.startswith("row:"):
        _prefix, kind, key = (anchor.split(":", 2) + ["", ""])[:3]
        child = next((c for c in CHILDREN if c.related_name == kind), None)
        _n, row = _row(_content(plan, revision), kind, key) if child else (None, None)
        if row is None:
            raise ValidationError(
                gettext(
                    "This row no longer exists: it was deleted after you opened the page. Your comment was "
                    "not saved; reload the page to see the rows as they are now."
                ),
                code="row_gone",
            )
        comment.child, comment.row_key, comment.row_text = kind, key, row_label(child, row["fields"])
    elif anchor:
        raise ValidationError(gettext("There is no such place to comment on."), code="anchor")
    comment.save()
    return comment


def set_resolved(comment, by, resolved: bool) -> None:
    if not permissions.can_comment(by, comment.plan):
        raise PermissionDenied(gettext("You may not resolve comments on this plan."))
    root = comment.parent or comment
    root.resolved_at, root.resolved_by = (timezone.now(), by) if resolved else (None, None)
    root.save(update_fields=["resolved_at", "resolved_by"])


def threads(plan, revision=None, content=None) -> list[dict]:
    """The conversations on the plan's revision (None: the plan itself), each {"root", "replies",
    "anchor_label", "gone", "anchor"}, in the order of the form, then oldest first. A thread on a row says
    where the row is now (its number follows reorders), or that it is gone."""
    content = content or _content(plan, revision)
    comments = list(
        ReviewComment.objects.filter(plan=plan, revision=revision).select_related("author", "resolved_by")
    )
    replies = {}
    for c in comments:
        if c.parent_id:
            replies.setdefault(c.parent_id, []).append(c)
    order = {a["value"]: n for n, a in enumerate(anchors(plan, revision, content))}
    result = []
    for c in comments:
        if c.parent_id:
            continue
        gone = False
        if c.child:
            child = next(ch for ch in CHILDREN if ch.related_name == c.child)
            n, row = _row(content, c.child, str(c.row_key))
            title = str(child.model._meta.verbose_name).capitalize()
            if row is None:
                gone = True
                label = gettext("%(kind)s (deleted since): %(text)s") % {"kind": title, "text": c.row_text}
            else:
                label = _row_anchor(title, n, row_label(child, row["fields"]))
            anchor = f"row:{c.child}:{c.row_key}"
        elif c.field:
            anchor = f"field:{c.field}"
            label = str(Plan._meta.get_field(c.field).verbose_name).capitalize()
        else:
            anchor, label = "", gettext("The plan as a whole")
        result.append(
            {
                "root": c,
                "replies": replies.get(c.pk, []),
                "anchor_label": label,
                "gone": gone,
                "anchor": anchor,
            }
        )
    result.sort(key=lambda t: (t["root"].resolved_at is not None, order.get(t["anchor"], len(order))))
    return result
