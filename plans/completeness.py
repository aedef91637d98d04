"""What a plan needs before it is submitted, and the checklist its authors see before submitting.

A plan with nothing to review is refused by `Plan.submit` (exactly these refusals, whole sentences naming
what is missing): a closing report needs at least one key insight; an opening plan its challenge statement
and at least one learning question; a hybrid plan, being both, needs all three. Every other gap (an empty
time split, no partners, no methods, …) is only shown, in the checklist of the plan's change form: the
reviewers may well accept a plan without it. Imports set a plan's status themselves and are not subject
to any of this.

The checklist is derived from the form the plan answers (plans/catalogue.py), so that a new prompt of a
form appears in it without being listed here.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.html import strip_tags
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from plans import catalogue
from plans.choices import CLOSING_KINDS, OPENING_KINDS

# The refusals of `Plan.submit`, one whole sentence each (translators see each as it is read).
NEEDS_INSIGHT = _("A closing report needs at least one key insight before it can be submitted.")
NEEDS_CHALLENGE = _("An opening plan needs its challenge statement before it can be submitted.")
NEEDS_QUESTION = _("An opening plan needs at least one learning question before it can be submitted.")

# Target kinds whose answer is a list of child rows: the rows' related name (plans/parts.py).
_ROWS = {
    catalogue.INSIGHTS: "insights",
    catalogue.BARRIERS: "barriers",
    catalogue.BLOGS: "blog_links",
    catalogue.LEARNING_QUESTION: "learning_questions",
}
# Targets that are parts of another answer (a partner's fields, one stage's share) or no answer at all.
_NOT_ITEMS = (catalogue.EXTRA, catalogue.PARTNER_FIELD, catalogue.TIME_FIELD)


@dataclass(frozen=True)
class Item:
    """One line of the checklist. `refusal` is set on the items `Plan.submit` requires."""

    key: str
    label: Promise | str
    done: bool
    refusal: Promise | str = ""

    @property
    def required(self) -> bool:
        return bool(self.refusal)


def _filled(value) -> bool:
    if isinstance(value, str):
        # An editor may leave markup around nothing ("<p></p>"): that is not an answer.
        return bool(strip_tags(value).strip())
    return value not in (None, [], {})


def _has_rows(plan, related_name, field="") -> bool:
    rows = getattr(plan, related_name).all()
    return any(_filled(getattr(row, field)) for row in rows) if field else bool(list(rows))


def _prompt_done(plan, prompt) -> bool:
    kind = prompt.target.kind
    if kind == catalogue.TIME:
        return all(getattr(plan, f) is not None for f in catalogue.TIME_FIELDS)
    if kind == catalogue.EVIDENCE:
        return any(e.kind == prompt.target.name for e in plan.evidence.all())
    if kind == catalogue.LEARNING_QUESTION:
        return _has_rows(plan, "learning_questions", "question")
    if kind in _ROWS:
        texts = kind in (catalogue.INSIGHTS, catalogue.BARRIERS)  # a row of blank text says nothing
        return _has_rows(plan, _ROWS[kind], "text" if texts else "")
    done = any(_filled(getattr(plan, f)) for f in catalogue.plan_fields(prompt))
    if kind == catalogue.PARTNERS:
        done = done or _has_rows(plan, "partnerships")
    return done


def _refusal(plan, prompt) -> Promise | str:
    kind = prompt.target.kind
    if kind == catalogue.INSIGHTS and plan.kind in CLOSING_KINDS:
        return NEEDS_INSIGHT
    if plan.kind in OPENING_KINDS:
        if kind == catalogue.LEARNING_QUESTION:
            return NEEDS_QUESTION
        if prompt.target.name == "challenge_statement":
            return NEEDS_CHALLENGE
    return ""


def _required_prompts(plan):
    """The prompts `submit` requires of this kind of plan, whatever form it answers (a plan whose kind and
    form disagree is still held to its kind)."""
    if plan.kind in CLOSING_KINDS:
        yield catalogue.PROMPTS["insights_v1"]
    if plan.kind in OPENING_KINDS:
        yield catalogue.PROMPTS["challenge_statement"]
        yield catalogue.PROMPTS["lq_question"]


def checklist(plan) -> list[Item]:
    """The plan's checklist, in the order of its form: each question answered or not, then the tag
    vocabularies of its sections; the time split of a closing report even where its form does not ask it."""
    template = catalogue.template(plan.form_version)
    items: dict[str, Item] = {}

    def add(key, label, done, refusal=""):
        if key not in items:
            items[key] = Item(key, label, done, refusal)

    for prompt in _required_prompts(plan):
        # Keyed by what is stored, so that the form's own prompt for it does not appear twice.
        add(_item_key(prompt), prompt.label, _prompt_done(plan, prompt), _refusal(plan, prompt))
    for section in template.sections:
        for prompt in section.prompts:
            if prompt.target.kind in _NOT_ITEMS or prompt.in_group:
                continue
            if prompt.target.kind == catalogue.LEARNING_QUESTION and prompt.target.name != "question":
                continue  # one line for the learning questions: the question says whether there is one
            add(_item_key(prompt), prompt.label, _prompt_done(plan, prompt))
        for name in section.vocabularies:
            label = capfirst(plan._meta.get_field(name).verbose_name)
            add(name, label, bool(list(getattr(plan, name).all())))
    if plan.kind in CLOSING_KINDS:
        split = catalogue.PROMPTS["time_split"]
        add(_item_key(split), split.label, _prompt_done(plan, split))
    return sorted(items.values(), key=lambda item: not item.required)  # what submit requires first


def _item_key(prompt) -> str:
    kind = prompt.target.kind
    if kind in _ROWS or kind in (catalogue.TIME, catalogue.LEARNING_QUESTION):
        return kind
    if kind == catalogue.EVIDENCE:
        return f"evidence:{prompt.target.name}"
    return prompt.target.name or prompt.key


def refusals(plan) -> list[Promise | str]:
    """Why `Plan.submit` refuses this plan: an empty list when it has something to review."""
    return [_refusal(plan, p) for p in _required_prompts(plan) if not _prompt_done(plan, p)]
