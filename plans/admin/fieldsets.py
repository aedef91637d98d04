"""The plan change form's fieldsets, derived from the form the plan answers (plans/catalogue.py).

The fieldsets follow the sections of that form; a new plan (no form yet) shows every template's sections
in turn. Fields no section of that form asks for stay editable in a collapsed "Other fields" set, so that
nothing an import brought is out of reach.
"""

from django.utils.translation import gettext_lazy as _

from plans import catalogue

META_FIELDSETS = [
    (None, {"fields": ["title", "kind", "form_version", "lab", "year", "language", "opened_version"]}),
    (_("Where and who"), {"fields": ["country", ("latitude", "longitude"), "focal_point_email"]}),
]
# Set by the workflow and by the system, never typed in.
ALWAYS_READONLY = ["status", "published_at", "created_by", "created_at", "updated_at"]
# What only superusers edit: a plan's address, and its identity and layout in the archive (a malformed
# layout broke every download of the archive; another lab's file name would capture its re-import).
SUPERUSER_FIELDS = ["slug", "source_file", "archive_layout"]
TAIL_FIELDSETS = [
    (_("Status"), {"fields": ALWAYS_READONLY}),
    (
        _("Archive"),
        {
            "classes": ["collapse"],
            "fields": ["slug", "source_file", "raw_title", "section_markers", "archive_layout"],
        },
    ),
]
LEARNINGS_HELP = _(
    "Key insights, barriers and blog links are listed below. The time split is empty or adds up to 100 %."
)
# Every template, in the order a new plan shows them (the hybrid form repeats the others' sections).
ALL_TEMPLATES = ("opening", "closing_v2", "closing_v1", "hybrid")


def section_fields(section) -> list:
    """The Plan fields a section of the form fills, in prompt order (the time split as one row of four),
    then the tag vocabularies that classify it."""
    fields = []
    for prompt in section.prompts:
        names = catalogue.plan_fields(prompt)
        fields += [names] if len(names) > 1 else names  # the time split's four fields stand on one row
    return list(dict.fromkeys([*fields, *section.vocabularies]))


def _sections(template_keys):
    for key in template_keys:
        tpl = catalogue.TEMPLATES[key]
        for section in tpl.sections:
            yield tpl, section


# Every answer field of every form, in form order: what "Other fields" draws from.
CONTENT_FIELDS = list(dict.fromkeys(f for _tpl, s in _sections(ALL_TEMPLATES) for f in section_fields(s)))


def content_fieldsets(form_version: str | None) -> list:
    """The content fieldsets of a plan answering `form_version` (None: every template in turn)."""
    if form_version in catalogue.TEMPLATES:
        template_keys, prefix = [form_version], False
    else:
        template_keys, prefix = ALL_TEMPLATES, True
    fieldsets, placed = [], set()
    for tpl, section in _sections(template_keys):
        fields = [f for f in section_fields(section) if f not in placed]
        if not fields:
            continue
        placed.update(fields)
        title = f"{tpl.label}: {section.label}" if prefix else str(section.label)
        options = {"fields": fields}
        if section.key == "learnings":
            options["description"] = LEARNINGS_HELP
        fieldsets.append((title, options))
    rest = [f for f in CONTENT_FIELDS if f not in placed]
    if rest:
        fieldsets.append((_("Other fields"), {"classes": ["collapse"], "fields": rest}))
    return fieldsets


def plan_fieldsets(form_version: str | None) -> list:
    return [*META_FIELDSETS, *content_fieldsets(form_version), *TAIL_FIELDSETS]
