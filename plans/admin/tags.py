"""The admin's tag fields: suggestions as you type, and methods as a closed list.

A tag field stays a text input of comma-separated names (taggit's), so that several tags are entered at
once and the form works without script. `static/js/tag_suggest.js` adds a list of existing tags under it,
asked from `suggest` (a JSON view of each vocabulary's admin, `/admin/plans/<tag model>/suggest/?q=…`):
ranked by use, matching names, French and Spanish labels and aliases, whatever the case or accents, and
saying when what is typed would be a new tag. Who may ask, and which tags they see, is decided in
plans/permissions.py.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from taggit.forms import TagField, TagWidget

from plans import permissions
from plans.audit import _request
from plans.parts import TAG_VOCABULARIES, vocabulary
from plans.tag_keys import clean_name, tag_key

LIMIT = 12


def suggest_url(name: str) -> str:
    return reverse(f"admin:plans_{vocabulary(name).tag_model._meta.model_name}_suggest")


class TagSuggestInput(TagWidget):
    """taggit's comma-separated input, with the suggestion list of `static/js/tag_suggest.js`."""

    def __init__(self, vocabulary_name: str, attrs=None):
        self.vocabulary = vocabulary_name
        super().__init__(attrs={"autocomplete": "off", "class": "vTextField tag-suggest", **(attrs or {})})

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].update(
            {
                "data-suggest-url": suggest_url(self.vocabulary),
                # The script's texts, translated here; it fills in {n}, {name}, {typed} and {tag}.
                "data-text-plan": _("1 plan"),
                "data-text-plans": _("{n} plans"),
                "data-text-also": _("also: {name}"),
                "data-text-new": _("“{typed}” will be a new tag"),
                "data-text-closed": _("“{typed}” is not in the list: methods are chosen from it"),
                "data-text-existing": _("“{typed}” is the existing tag “{tag}”"),
            }
        )
        return context

    class Media:
        js = ["js/tag_suggest.js"]
        css = {"all": ["css/tag_suggest.css"]}


class CuratedTagField(TagField):
    """A tag field that refuses a new method from somebody who may only choose methods from the list
    (`permissions.can_create_tag`); the names of existing tags are matched as taggit's manager matches them
    (same key, or an alias), so a near-duplicate is never refused as new."""

    def clean(self, value):
        names = super().clean(value)
        name = getattr(self.widget, "vocabulary", "")
        request = _request.get()
        user = getattr(request, "user", None)
        if not name or not names or permissions.can_create_tag(user, name):
            return names
        found = vocabulary(name).tag_model.resolve(names, create=False)
        unknown = [n for n in names if n not in found]
        if unknown:
            raise ValidationError(
                _("Methods are chosen from the list; ask a reviewer to add “%(names)s”.")
                % {"names": "”, “".join(unknown)},
                code="closed_vocabulary",
            )
        return names


def tag_widgets() -> dict[str, TagSuggestInput]:
    """The widgets of a plan form's tag fields (its Meta.widgets)."""
    return {v.name: TagSuggestInput(v.name) for v in TAG_VOCABULARIES}


def _ranked(tags, key: str) -> list[tuple[int, object, str]]:
    """(rank, tag, the name that matched when not its own) for the tags matching `key`: 0 when a word of a
    name starts with what was typed, 1 when it only contains it."""
    found = []
    for tag in tags:
        names = [tag.name, tag.name_fr, tag.name_es, *(a.get("name", "") for a in tag.aliases or ())]
        best = None
        for n, text in enumerate(names):
            folded = tag_key(text) if text else ""
            if not folded or key not in folded:
                continue
            rank = 0 if folded.startswith(key) or f" {key}" in folded else 1
            if best is None or rank < best[0]:
                best = (rank, "" if n == 0 else text)
        if best is not None:
            found.append((best[0], tag, best[1]))
    return found


def suggest(request, vocabulary_name: str) -> JsonResponse:
    """Existing tags of a vocabulary matching `q`, most used first: {"exact": the tag `q` already is (or
    null), "can_create": may this person add `q` as a new tag, "results": [{name, label, count, matched}]}."""
    if not permissions.can_suggest_tags(request.user):
        raise PermissionDenied
    typed = clean_name(request.GET.get("q", ""))[:200]
    key = tag_key(typed) if typed.strip() else ""
    model = vocabulary(vocabulary_name).tag_model
    tags = permissions.admin_tags(request.user, model.objects.all(), vocabulary(vocabulary_name))
    tags = tags.annotate(uses=Count("tagged_items"))
    exact = None
    if key:
        ranked = _ranked(tags, key)
        exact = next((t.name for _r, t, _m in ranked if key == t.key or key in t.alias_keys), None)
    else:
        ranked = [(0, t, "") for t in tags]
    ranked.sort(key=lambda r: (r[0], -r[1].uses, r[1].name.casefold()))
    return JsonResponse(
        {
            "exact": exact,
            "can_create": permissions.can_create_tag(request.user, vocabulary_name),
            "results": [
                {"name": t.name, "label": t.label, "count": t.uses, "matched": matched}
                for _rank, t, matched in ranked[:LIMIT]
            ],
        }
    )
