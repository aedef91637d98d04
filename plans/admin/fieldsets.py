"""The plan form's layout, derived from the form the plan answers (plans/catalogue.py).

A plan's page shows only its own template's sections, in the catalogue's order. A section is one or more
*blocks*: a fieldset of Plan fields, and after it the child rows (insights, barriers, partners, learning
questions, blog links, evidence) whose prompt stands there, so that each list is edited where the form asks
for it. The time split is a block of its own (one row of four, with its running total). Tag vocabularies
that the template's sections do not ask about are kept in a closing "Challenge classification" block (every
plan is classified); answers of other templates appear, collapsed, only on plans that hold some (imports).
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from plans import catalogue
from plans.choices import CLOSING_KINDS, FORM_KINDS
from plans.parts import VOCABULARY_NAMES, child

META_FIELDSETS = [
    (None, {"fields": ["title", "form_version", "lab", "year", "language", "opened_version"]}),
    (
        _("Where and who"),
        {"fields": ["country", ("latitude", "longitude"), "focal_point_email"], "classes": ["where-and-who"]},
    ),
]
# Set by the workflow and by the system, never typed in.
ALWAYS_READONLY = ["status", "published_at", "created_by", "created_at", "updated_at"]
# What only superusers edit: a plan's address, and its identity and layout in the archive (a malformed
# layout broke every download of the archive; another lab's file name would capture its re-import).
SUPERUSER_FIELDS = ["slug", "source_file", "archive_layout"]
TAIL_FIELDSETS = {
    "status": (_("Status"), {"fields": ALWAYS_READONLY}),
    "archive": (
        _("Archive"),
        {
            "classes": ["collapse"],
            "fields": ["slug", "source_file", "raw_title", "section_markers", "archive_layout"],
        },
    ),
}
# Every template, in the order "Other fields" draws from (the hybrid form repeats the others' sections).
ALL_TEMPLATES = ("opening", "closing_v2", "closing_v1", "hybrid")
# Prompts answered by child rows rather than by fields of Plan: which rows.
CHILD_TARGETS = {
    catalogue.INSIGHTS: "insights",
    catalogue.BARRIERS: "barriers",
    catalogue.BLOGS: "blog_links",
    catalogue.LEARNING_QUESTION: "learning_questions",
    catalogue.EVIDENCE: "evidence",
    catalogue.PARTNERS: "partnerships",
}


@dataclass
class ChildList:
    """A list of child rows shown inside a section: which rows, under what heading, with what guidance."""

    related_name: str
    label: str
    guidance: str = ""


@dataclass
class Block:
    """One fieldset of the form (no heading when it continues a section) and the child lists after it."""

    name: str | None
    fields: list = field(default_factory=list)
    children: list[ChildList] = field(default_factory=list)
    description: str = ""
    classes: list[str] = field(default_factory=list)

    def fieldset(self) -> tuple:
        options = {"fields": self.fields}
        if self.description:
            options["description"] = self.description
        if self.classes:
            options["classes"] = self.classes
        return (self.name, options)


def section_fields(section) -> list:
    """The Plan fields a section of the form fills: the tag vocabularies that classify it (what its
    questions refer to: "the above methods"), then its prompts' fields in order, the time split as one row
    of four."""
    fields = list(section.vocabularies)
    for prompt in section.prompts:
        names = catalogue.plan_fields(prompt)
        fields += [names] if len(names) > 1 else names
    return list(dict.fromkeys(fields))


def _child_list(related_name: str, prompts) -> ChildList:
    plural = str(child(related_name).model._meta.verbose_name_plural)
    if prompts[0].target.kind == catalogue.PARTNERS:
        # The prompt (and its guidance) is the overview answer's, just above: the rows are the partners.
        return ChildList(related_name, plural)
    if len(prompts) == 1 and related_name != "evidence":
        return ChildList(related_name, str(prompts[0].label), str(catalogue.guidance(prompts[0])))
    # Evidence answers several prompts (quantitative, qualitative, supporting) in one list.
    text = " ".join(str(catalogue.guidance(p)) for p in prompts if catalogue.guidance(p))
    return ChildList(related_name, plural, text)


def section_blocks(section, tpl, placed: set) -> list[Block]:
    """The blocks of one section: its heading with the fields up to the first child list, then each child
    list followed by the fields after it; fields and lists already `placed` are left out."""
    by_child: dict[str, list] = {}
    for prompt in tpl.prompts():
        if prompt.target.kind in CHILD_TARGETS:
            by_child.setdefault(CHILD_TARGETS[prompt.target.kind], []).append(prompt)
    blocks = [Block(str(section.label), fields=[v for v in section.vocabularies if v not in placed])]
    placed.update(section.vocabularies)

    def current() -> Block:
        if blocks[-1].children or "time-split" in blocks[-1].classes:
            blocks.append(Block(None))
        return blocks[-1]

    for prompt in section.prompts:
        names = catalogue.plan_fields(prompt)
        if prompt.target.kind == catalogue.TIME:
            if names[0] not in placed:
                guidance = str(catalogue.guidance(prompt))
                blocks.append(Block(str(prompt.label), [names], description=guidance, classes=["time-split"]))
        else:
            current().fields += [n for n in names if n not in placed]
        placed.update(names)
        related = CHILD_TARGETS.get(prompt.target.kind)
        if related and related not in placed:
            placed.add(related)
            current().children.append(_child_list(related, by_child[related]))
    if not blocks[0].fields and not blocks[0].children and len(blocks) > 1 and blocks[1].name is None:
        blocks[1].name = blocks[0].name  # the heading goes with the section's first fields
        blocks.pop(0)
    return [b for b in blocks if b.fields or b.children]


def _all_sections():
    for key in ALL_TEMPLATES:
        yield from catalogue.TEMPLATES[key].sections


# Every answer field of every form, in form order: what "Other fields" draws from.
CONTENT_FIELDS = list(dict.fromkeys(f for s in _all_sections() for f in section_fields(s)))


def content_blocks(form_version: str, holds=lambda name: False) -> list[Block]:
    """The content blocks of a plan answering `form_version` (unknown: the opening plan's): its sections,
    the vocabularies they leave out, then the other templates' fields for which `holds(name)` (the plan
    holds an answer there), collapsed."""
    tpl = catalogue.template(form_version)
    blocks, placed = [], set()
    for section in tpl.sections:
        blocks += section_blocks(section, tpl, placed)
    rest = [v for v in VOCABULARY_NAMES if v not in placed]
    if rest:
        label = str(catalogue.CLASSIFICATION.label)
        classification = next((b for b in blocks if b.name == label), None)
        if classification is None:
            blocks.append(Block(label, rest))
        else:  # the opening plan's own classification section
            classification.fields += rest
        placed.update(rest)
    flat = {n for f in placed for n in ((f,) if isinstance(f, str) else f)}
    others = [
        f
        for f in CONTENT_FIELDS
        if not ({f} if isinstance(f, str) else set(f)) & flat and holds(f if isinstance(f, str) else f[0])
    ]
    if others:
        blocks.append(Block(str(_("Other fields")), others, classes=["collapse"]))
    return blocks


def plan_layout(form_version: str, holds=lambda name: False, tail=("status", "archive")) -> list[Block]:
    """The whole form: metadata, the template's content, then the `tail` blocks (status and archive
    fields; a new plan has no status yet, and only superusers write its archive fields)."""
    tail_fieldsets = [TAIL_FIELDSETS[key] for key in tail]
    meta = [Block(n, [*o["fields"]], classes=o.get("classes", [])) for n, o in META_FIELDSETS]
    if FORM_KINDS.get(form_version) in CLOSING_KINDS:  # a report names the opening plan it closes
        meta[0].fields.insert(meta[0].fields.index("lab") + 1, "opening_plan")
    return [
        *meta,
        *content_blocks(form_version, holds),
        *(Block(n, o["fields"], classes=o.get("classes", [])) for n, o in tail_fieldsets),
    ]
