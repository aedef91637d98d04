"""The single description of the learning-plan forms.

A *template* (opening plan, closing report first / second form, hybrid) is an ordered list of *sections*;
a section has an English heading, its French and Spanish translations and an ordered list of *prompts*;
each prompt has its canonical text, the variants seen in the archive, and a *target* saying where its
answer lives in the database. The importer, the exporter, the admin fieldsets, the detail page and the
statistics all read this module, so that the form is described once.

Public API:
    TEMPLATES                         {"opening": Template, …}
    TEXT_ANSWER_FIELDS, CHOICE_FIELDS, CHECKLIST_FIELDS, TIME_FIELDS, ANSWER_FIELDS
                                      Plan fields holding answers, derived from the forms
    template(key) -> Template
    PROMPTS                           {prompt key: Prompt}, every prompt of every template
    match_prompt(text, in_group) -> Prompt | None   archive prompt text (raw) to its Prompt
    match_heading(text) -> (SectionDef | None, language | None)
    HANDOVER_OPTIONS, STAGE_OPTIONS   checklist options as (value, archive label) pairs
    detect_template(prompt_keys, section_keys, year) -> template key

This module imports nothing from Django but the translation functions, so the parser can use it.
"""

import functools
import html
import re
from dataclasses import dataclass, field, replace

from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

_SPACES = re.compile(r"\s+")


def prompt_key(text: str) -> str:
    """The key under which prompt and heading variants match: entities decoded, zero-width characters
    dropped, every run of (Unicode) spaces one space, case folded. (Kept here rather than imported from
    `plans.archive`, which imports this module.)"""
    text = html.unescape(text)
    for char in "\u200b\u2060\ufeff":
        text = text.replace(char, "")
    return _SPACES.sub(" ", text).strip().casefold()


# Target kinds: where an answer is stored.
FIELD = "field"  # a text field of Plan (`name`)
INSIGHTS = "insights"  # Insight rows, one per paragraph
BARRIERS = "barriers"  # Barrier rows, one per paragraph
BLOGS = "blogs"  # BlogLink rows for `[X](X)` links; other text to ExtraAnswer
CHECKLIST = "checklist"  # a list of option values in a JSON field of Plan (`name`)
CHOICE = "choice"  # an option value in a field of Plan (`name`), as its label; other text to ExtraAnswer
LEARNING_QUESTION = "lq"  # a field of the section's LearningQuestion (`name`); "stages" is a checklist
EVIDENCE = "evidence"  # Evidence rows of kind `name` (answer text and group list)
PARTNERS = "partners"  # answer text to Plan.`name`, group list to Partnership rows
PARTNER_FIELD = "partner_field"  # inside a partner group: Partnership.`name`
TIME = "time"  # the learning-cycle time split groups
TIME_FIELD = "time_field"  # inside a time-split group: Plan.`name`
EXTRA = "extra"  # no field of its own: ExtraAnswer rows


@dataclass(frozen=True)
class Target:
    kind: str
    name: str = ""


@dataclass(frozen=True)
class Prompt:
    """A question of the form. `text` is the canonical archive text (written for admin-authored plans);
    `variants` are other spellings found in the archive, matched the same way."""

    key: str
    text: str
    label: str
    target: Target
    variants: tuple[str, ...] = ()
    in_group: bool = False
    options: tuple[tuple[str, str], ...] = ()

    @property
    def texts(self) -> tuple[str, ...]:
        return (self.text, *self.variants)


@dataclass(frozen=True)
class SectionDef:
    key: str
    heading: str
    label: str
    prompts: tuple[Prompt, ...] = ()
    translations: dict[str, tuple[str, ...]] = field(default_factory=dict)
    repeated: bool = False  # one section per learning question
    # The tag vocabularies (plans/parts.py) that classify what this section asks about. The archive
    # carries tags as metadata, not as answers; the admin shows them with their section.
    vocabularies: tuple[str, ...] = ()


@dataclass(frozen=True)
class Template:
    key: str
    label: str
    sections: tuple[SectionDef, ...]

    def prompts(self) -> list[Prompt]:
        return [p for s in self.sections for p in s.prompts]


# The labels are the archive's English words (the importer and exporter match them as they are), marked
# with gettext_noop (by that name: makemessages knows no alias) so that the catalogues hold them; pages
# show them through option_label().
CHALLENGE_TYPE_OPTIONS = (("big_bet", gettext_noop("Big bet")), ("exploratory", gettext_noop("Exploratory")))
STAGE_OPTIONS = (
    ("sense", gettext_noop("Sense")),
    ("explore", gettext_noop("Explore")),
    ("test", gettext_noop("Test")),
    ("grow", gettext_noop("Grow")),
)
HANDOVER_OPTIONS = (
    (
        "programming",
        gettext_noop("Our work has led to significant changes in our UNDP Country Office programming"),
    ),
    (
        "policy",
        gettext_noop(
            "Our work has led to a significant change in public policy at a national or local level"
        ),
    ),
    (
        "expanded_country",
        gettext_noop(
            "Our work has been picked up by UNDP or the government and has now expanded geographically in "
            "our country"
        ),
    ),
    (
        "expanded_abroad",
        gettext_noop(
            "Our work has been picked up by UNDP or the government and has now expanded geographically to "
            "another country"
        ),
    ),
    (
        "private_sector",
        gettext_noop(
            "Our private sector partners have expanded our joint work through their own resources in our "
            "country or internationally"
        ),
    ),
    ("not_scaled", gettext_noop("Our work has not yet scaled")),
    ("other", gettext_noop("Other")),
)


def option_label(options, value: str) -> str:
    """The label of a checklist `value` among `options`, in the active language; an answer outside the
    list (imported plans hold some) as it was written."""
    label = dict(options).get(value)
    return gettext(label) if label else value


NBSP = "\u00a0"


def _p(key, text, label, kind, name="", variants=(), in_group=False, options=()) -> Prompt:
    return Prompt(key, text, label, Target(kind, name), tuple(variants), in_group, tuple(options))


# ---------------------------------------------------------------- opening plan
TITLE = SectionDef(
    "title",
    "Title",
    _("Title"),
    (
        _p(
            "plan_name",
            "Please provide a name for your action learning plan.",
            _("Name of the plan"),
            FIELD,
            "plan_name",
        ),
    ),
    {"fr": ("Titre",), "es": ("Título", "título")},
)
CHALLENGE = SectionDef(
    "challenge_statement",
    "Challenge statement",
    _("Challenge statement"),
    (
        _p(
            "challenge_type",
            'Challenge type: If you are working on multiple challenges, please indicate if this is your "big '
            f'bet" or "exploratory" challenge.{NBSP}',
            _("Challenge type"),
            CHOICE,
            "challenge_type",
            options=CHALLENGE_TYPE_OPTIONS,
        ),
        _p(
            "challenge_statement",
            f'Challenge statement:{NBSP}What is your challenge? (Please answer in specific terms: "Our '
            "challenge is that...”.)",
            _("Challenge statement"),
            FIELD,
            "challenge_statement",
        ),
        _p(
            "background",
            f"Background:{NBSP}What is the history of your challenge? What is causing or driving it? Who is "
            "involved? How does the current situation look like? What undesired effects does it produce?",
            _("Background"),
            FIELD,
            "background",
        ),
        _p(
            "quantitative_evidence",
            f"Quantitative evidence:{NBSP}What (official) data sources do you have on this challenge that "
            "better exemplifies the importance and urgency of this frontier challenge? You can add text, a "
            "link, or a picture.",
            _("Quantitative evidence"),
            EVIDENCE,
            "quantitative",
        ),
        _p(
            "qualitative_evidence",
            f"Qualitative evidence:{NBSP}What weak signals have you recently spotted that characterizes its "
            "urgency? Please provide qualitative information that better exemplifies the importance and "
            "urgency of this frontier challenge. You can add text, a link, or a picture.",
            _("Qualitative evidence"),
            EVIDENCE,
            "qualitative",
        ),
        _p(
            "value_proposition",
            f"Value proposition:{NBSP}What added value or unique value proposition is your Accelerator Lab "
            "bringing to solving this challenge? Why is it your Lab that needs to work on this challenge and "
            "not other actors within UNDP, other stakeholders in the country respectively? Why is it worth "
            "investing resources to this challenge?",
            _("Value proposition"),
            FIELD,
            "value_proposition",
        ),
        _p(
            "tweet_summary",
            f"Short “tweet” summary:{NBSP}We would like to tweet what you are working on, can you summarize "
            "your challenge in a maximum of 280 characters?",
            _("Short “tweet” summary"),
            FIELD,
            "tweet_summary",
        ),
    ),
    {"fr": ("Énoncé du défi",), "es": ("Declaración de desafío",)},
)
CLASSIFICATION = SectionDef(
    "challenge_classification",
    "Challenge classification",
    _("Challenge classification"),
    (),
    {"fr": ("Classement du défi", "Classement des défis"), "es": ("Clasificación del desafío",)},
    vocabularies=("thematic_areas", "sdgs"),
)
PARTNER_NAME = _p(
    "partner_name",
    "Please state the name of the Parter:",
    _("Name of the partner"),
    PARTNER_FIELD,
    "name",
    ["Please state the name of the partner:"],
    in_group=True,
)
PARTNER_SECTOR = _p(
    "partner_sector",
    "What sector does our partner belong to?",
    _("Sector"),
    PARTNER_FIELD,
    "sector",
    ["What sector does your partner belong to?"],
    in_group=True,
)
PARTNER_DESCRIPTION = _p(
    "partner_description",
    "Please provide a brief description of the collaboration.",
    _("Description of the collaboration"),
    PARTNER_FIELD,
    "description",
    ["Please provide a brief description of the partnership."],
    in_group=True,
)
PARTNER_NEW = _p(
    "partner_new",
    "Is this a new and unusual partner for UNDP?",
    _("New and unusual partner?"),
    PARTNER_FIELD,
    "is_new_and_unusual",
    ["Is this a new and unusual partner for UNDP?\\n"],
    in_group=True,
)
# The four groups of one partner, in form order (the group rule of the spec relies on this order).
PARTNER_PROMPTS = (PARTNER_NAME, PARTNER_SECTOR, PARTNER_DESCRIPTION, PARTNER_NEW)
PARTNERS_OPENING = SectionDef(
    "partners",
    "Partners",
    _("Partners"),
    (
        _p(
            "partners_top5",
            "Who are your top 5 partners for this challenge? Please submit from MOST to LEAST important and "
            "state Name, Sector and a brief description of the (intended) collaboration.",
            _("Top partners"),
            PARTNERS,
            "partners_overview",
        ),
    ),
    {"fr": ("Les partenaires",), "es": ("Socios",)},
)
LEARNING_QUESTION_SECTION = SectionDef(
    "learning_question",
    "Learning questions",
    _("Learning question"),
    (
        _p(
            "lq_question",
            f"Learning question:{NBSP}What is your learning question for this challenge? What do you need to "
            "know or understand to work on your challenge statement?",
            _("Learning question"),
            LEARNING_QUESTION,
            "question",
        ),
        _p(
            "lq_stages",
            "To what stage(s) in the learning cycle does your learning question relate?",
            _("Stages of the learning cycle"),
            LEARNING_QUESTION,
            "stages",
            options=STAGE_OPTIONS,
        ),
        _p(
            "lq_methods_usage",
            f"Usage of methods:{NBSP}Relating to your choice above, how will you use your methods & tools "
            "for "
            "this learning question? What value do these add in answering your learning question?",
            _("Usage of methods"),
            LEARNING_QUESTION,
            "methods_usage",
        ),
        _p(
            "lq_data_gaps",
            f"Existing data gaps:{NBSP}Relating to your choice above, what existing gaps in data or "
            "information do these new sources of data addressing? What value do these add in answering your "
            "learning question?",
            _("Existing data gaps"),
            LEARNING_QUESTION,
            "data_gaps",
        ),
    ),
    {"fr": ("Questions d'apprentissage",), "es": ("Preguntas de aprendizaje",)},
    repeated=True,
)
CLOSING_OPENING = SectionDef(
    "closing",
    "Closing",
    _("Closing"),
    (
        _p(
            "early_leads",
            f"Early leads to grow:{NBSP}Think about the possible grow phase for this challenge - who might "
            "benefit from your work on this challenge or who might be the champions in your country that you "
            "should inform or collaborate with early on to help you grow this challenge?",
            _("Early leads to grow"),
            FIELD,
            "early_leads",
        ),
        _p(
            "end_of_plan",
            "END OF ACTION LEARNING PLAN: Thank you! The form saves automatically and your submission has "
            "been recorded. You may now exit this window.",
            _("End of the form"),
            EXTRA,
        ),
    ),
    {"fr": ("Fermeture",), "es": ("Clausura",)},
)

# ---------------------------------------------------------------- closing reports
TIME_PROMPTS = tuple(
    _p(f"time_{value}", label, label, TIME_FIELD, f"time_{value}", in_group=True)
    for value, label in STAGE_OPTIONS
)
LEARNINGS_V1 = SectionDef(
    "learnings",
    "Learnings on your challenge",
    _("Learnings on your challenge"),
    (
        _p(
            "insights_v1",
            "What are the top 5 key insights you generated about your frontier challenge during this Action "
            "Learning Plan?",
            _("Key insights"),
            INSIGHTS,
        ),
        _p(
            "blogs_v1",
            "Please paste the link(s) to the blog(s) that articulate the learnings on your frontier "
            "challenge.",
            _("Blogs"),
            BLOGS,
        ),
        _p(
            "barriers",
            "Did you experience any barriers or bottlenecks when impacting the system, working on your "
            "frontier challenge respectively?",
            _("Barriers and bottlenecks"),
            BARRIERS,
        ),
        _p(
            "time_split",
            "For this frontier challenge, how much of your time did you dedicate to the stages in the "
            "learning "
            "cycle? Please make sure that your answers adds up to 100%.",
            _("Time split"),
            TIME,
        ),
    ),
    {"fr": ("Enseignements sur votre défi",), "es": ("Aprendizajes sobre tu desafío",)},
)
# The same sections as before (key, heading, translations), asking other questions.
LEARNINGS_V2 = replace(
    LEARNINGS_V1,
    prompts=(
        _p(
            "insights_v2",
            "What are the top key insights you generated about your learning challenge during this Action "
            f"Learning Plan? (Please list a maximum of 5 key insights){NBSP}",
            _("Key insights"),
            INSIGHTS,
        ),
        _p(
            "handover",
            "Considering the outcomes of this learning challenge, which of the following best describe the "
            "handover process? (Please select all that apply)",
            _("Handover process"),
            CHECKLIST,
            "handover_options",
            options=HANDOVER_OPTIONS,
        ),
        _p(
            "handover_details",
            "Can you provide more detail on your handover process?",
            _("Handover details"),
            FIELD,
            "handover_details",
        ),
        _p(
            "blogs_v2",
            "Please paste any link(s) to blog(s) or publication(s) that articulate the learnings on your "
            "frontier challenge.",
            _("Blogs and publications"),
            BLOGS,
        ),
    ),
)
DATA_METHODS = SectionDef(
    "data_methods",
    "Data and Methods",
    _("Data and methods"),
    (
        _p(
            "why_data",
            "Relating to your types of data, why did you chose these? What gaps in available data were these "
            "addressing?",
            _("Why these data"),
            FIELD,
            "why_data",
        ),
        _p(
            "why_methods",
            "Why was it necessary to apply the above innovation method on your frontier challenge? How did "
            "these help you to unpack the system?",
            _("Why these methods"),
            FIELD,
            "why_methods",
        ),
    ),
    {"fr": ("Données et méthodes",), "es": ("Datos y métodos",)},
    vocabularies=("methods", "datasources"),
)
PARTNERS_V1 = replace(
    PARTNERS_OPENING,
    prompts=(
        _p(
            "partners_civil_society",
            "If applicable, what civil society organisations did you actually work with and what did you do "
            "with them?",
            _("Civil society partners"),
            FIELD,
            "partners_civil_society",
        ),
        _p(
            "partners_academic",
            "If applicable, what academic partners (and related institutions) did you actually work with and "
            "what did you do with them?",
            _("Academic partners"),
            FIELD,
            "partners_academic",
        ),
        _p(
            "partners_private",
            "If applicable, what private sector partners did you actually work with and what did you do with "
            "them?",
            _("Private sector partners"),
            FIELD,
            "partners_private",
        ),
        _p(
            "partners_government",
            "If applicable, what government partners (and related institutions) did you actually work with "
            "and what did you do with them?",
            _("Government partners"),
            FIELD,
            "partners_government",
        ),
        _p(
            "partners_new_unusual",
            "Relating to your answers above: who of the partners listed were new and unusual partners for "
            "UNDP, and what made them special?",
            _("New and unusual partners"),
            FIELD,
            "partners_new_unusual",
        ),
        _p(
            "partners_un",
            "If applicable, which UN internal partners did you actually work with and what did you do with "
            "them?",
            _("UN internal partners"),
            FIELD,
            "partners_un",
        ),
    ),
)
PARTNERS_V2 = replace(
    PARTNERS_OPENING,
    prompts=(
        _p(
            "partners_worked_with",
            f"Please indicate what partners you have actually worked with for this learning challenge.{NBSP}",
            _("Partners worked with"),
            PARTNERS,
            "partners_overview",
        ),
    ),
)
BLANK = SectionDef("blank", "", _("(untitled section)"))
BONUS = _p(
    "bonus",
    "Bonus question: How did the interplay of innovation methods, new forms of data and unusual partners "
    "enable you to learn & generate insights, that otherwise you would have not been able to achieve?",
    _("Bonus question"),
    FIELD,
    "bonus_answer",
    [
        "Bonus question: How did the interplay of innovation methods, new forms of data and unusual partners "
        "enabled you to learn & generate insights, that otherwise you would have not been able to achieve?"
    ],
)
UPLOAD = _p(
    "upload",
    "Please upload any further supporting evidence / documents / data you have produced on your frontier "
    "challenge that showcase your learnings.",
    _("Supporting evidence"),
    EVIDENCE,
    "supporting",
)
CLOSING_SAVED = _p(
    "closing_saved",
    'The closing form saves automatically or via the blue "save changes" button the top left. Thank you',
    _("End of the form"),
    EXTRA,
)
END = SectionDef(
    "end", "End", _("End"), (BONUS, UPLOAD, CLOSING_SAVED), {"fr": ("Fin", "Ailette"), "es": ("Fin",)}
)

OPENING_SECTIONS = (
    TITLE,
    CHALLENGE,
    CLASSIFICATION,
    PARTNERS_OPENING,
    LEARNING_QUESTION_SECTION,
    CLOSING_OPENING,
)
TEMPLATES: dict[str, Template] = {
    t.key: t
    for t in (
        Template("opening", _("Opening plan"), OPENING_SECTIONS),
        Template(
            "closing_v1",
            _("Closing report, first form (2021–2023)"),
            (LEARNINGS_V1, DATA_METHODS, PARTNERS_V1, END),
        ),
        Template(
            "closing_v2",
            _("Closing report, second form (2023–2025)"),
            (LEARNINGS_V2, DATA_METHODS, PARTNERS_V2, BLANK, BLANK, END),
        ),
        Template("hybrid", _("Hybrid (closing and opening)"), (LEARNINGS_V1, *OPENING_SECTIONS, END)),
    )
}


# Plan fields that hold answers, derived from the forms (never listed by hand): in form order, the opening
# plan first, then the closing reports, the current (second) form first; each field once.
_FORMS_IN_ORDER = (TEMPLATES["opening"], TEMPLATES["closing_v2"], TEMPLATES["closing_v1"])


# Target kinds whose answer is one field of Plan named by the target (the time split is four: TIME_FIELDS).
PLAN_FIELD_KINDS = (FIELD, PARTNERS, CHOICE, CHECKLIST)
TIME_FIELDS = tuple(p.target.name for p in TIME_PROMPTS)  # the learning-cycle time split, in stage order


def plan_fields(prompt: Prompt) -> tuple[str, ...]:
    """The fields of Plan that hold a prompt's answer: none for answers stored in child rows."""
    if prompt.target.kind == TIME:
        return TIME_FIELDS
    return (prompt.target.name,) if prompt.target.kind in PLAN_FIELD_KINDS and not prompt.in_group else ()


def _fields(*kinds: str) -> tuple[str, ...]:
    return tuple(
        dict.fromkeys(p.target.name for t in _FORMS_IN_ORDER for p in t.prompts() if p.target.kind in kinds)
    )


# Single-answer free-text questions: what the importer fills, the search indexes and the exports write.
TEXT_ANSWER_FIELDS = _fields(FIELD, PARTNERS)
CHOICE_FIELDS = _fields(CHOICE)  # one option value each (the challenge type)
CHECKLIST_FIELDS = _fields(CHECKLIST)  # lists of option values (the handover process)
# Every field of Plan holding an answer to the forms, the time split where its question stands: the
# downloads' columns, the API's and the archive dump's answer fields.
ANSWER_FIELDS = tuple(
    dict.fromkeys(name for t in _FORMS_IN_ORDER for p in t.prompts() for name in plan_fields(p))
)


def template(key: str) -> Template:
    """The template of a plan's `form_version`; unknown keys fall back to the opening plan."""
    return TEMPLATES.get(key, TEMPLATES["opening"])


def _all_prompts() -> dict[str, Prompt]:
    found: dict[str, Prompt] = {}
    for tpl in TEMPLATES.values():
        for prompt in tpl.prompts():
            found.setdefault(prompt.key, prompt)
    for prompt in (*PARTNER_PROMPTS, *TIME_PROMPTS):
        found[prompt.key] = prompt
    return found


PROMPTS: dict[str, Prompt] = _all_prompts()
_TOP_LEVEL = {prompt_key(t): p for p in PROMPTS.values() if not p.in_group for t in p.texts}
_IN_GROUP = {prompt_key(t): p for p in PROMPTS.values() if p.in_group for t in p.texts}
_SECTIONS = {
    s.key: s
    for s in (
        TITLE,
        CHALLENGE,
        CLASSIFICATION,
        PARTNERS_OPENING,
        LEARNING_QUESTION_SECTION,
        CLOSING_OPENING,
        LEARNINGS_V1,
        DATA_METHODS,
        END,
    )
}
_HEADINGS: dict[str, tuple[SectionDef, str]] = {}
for _section in _SECTIONS.values():
    _HEADINGS[prompt_key(_section.heading)] = (_section, "en")
    for _lang, _names in _section.translations.items():
        for _name in _names:
            _HEADINGS.setdefault(prompt_key(_name), (_section, _lang))

# Prompts that tell the forms apart.
_OPENING_KEYS = {p.key for p in TEMPLATES["opening"].prompts()}
_V1_KEYS = {"insights_v1", "blogs_v1", "barriers", "time_split", *(p.key for p in PARTNERS_V1.prompts)}
_V2_KEYS = {"insights_v2", "handover", "handover_details", "blogs_v2", "partners_worked_with"}


@functools.lru_cache(maxsize=4096)  # the same few dozen prompt texts recur in every file
def match_prompt(text: str, in_group: bool = False) -> Prompt | None:
    """The prompt whose text (after decoding entities, collapsing spaces, ignoring case) is `text`."""
    return (_IN_GROUP if in_group else _TOP_LEVEL).get(prompt_key(text))


@functools.lru_cache(maxsize=1024)
def match_heading(text: str) -> tuple[SectionDef | None, str | None]:
    """The section a heading names and the heading's language ("en", "fr", "es"); (None, None) if unknown."""
    return _HEADINGS.get(prompt_key(text), (None, None))


def detect_template(prompt_keys: set[str], section_keys: set[str]) -> str:
    """Which form a plan answers, from the prompts (and, when there are none, the headings) it contains."""
    opening = bool(prompt_keys & _OPENING_KEYS) or bool(
        section_keys & {"title", "challenge_statement", "learning_question", "closing"}
    )
    # A report answered with prompts of both closing forms (possible for plans written in the admin)
    # is of the form most of its distinctive prompts belong to.
    v1_score, v2_score = len(prompt_keys & _V1_KEYS), len(prompt_keys & _V2_KEYS)
    v2 = v2_score > 0 and v2_score >= v1_score
    closing = bool(v1_score or v2_score) or bool(section_keys & {"learnings", "data_methods"})
    if opening and closing:
        return "hybrid"
    if closing:
        return "closing_v2" if v2 else "closing_v1"
    return "opening"


# What each question asks, as the admin shows it under the prompt's label: the archive's wording, without
# its "Label:" prefix, translated (the archive texts above stay English: the importer matches them).
GUIDANCE = {
    "plan_name": _("Please provide a name for your action learning plan."),
    "challenge_type": _(
        "If you are working on multiple challenges, please indicate if this is your “big bet” or "
        "“exploratory” challenge."
    ),
    "challenge_statement": _(
        "What is your challenge? Please answer in specific terms: “Our challenge is that…”."
    ),
    "background": _(
        "What is the history of your challenge? What is causing or driving it? Who is involved? How does the "
        "current situation look? What undesired effects does it produce?"
    ),
    "quantitative_evidence": _(
        "What (official) data sources show the importance and urgency of this frontier challenge? You can "
        "add text, a link or a picture."
    ),
    "qualitative_evidence": _(
        "What weak signals have you recently spotted that show its urgency? You can add text, a link or a "
        "picture."
    ),
    "value_proposition": _(
        "What unique value is your Accelerator Lab bringing to this challenge? Why should your Lab work on "
        "it rather than other actors? Why is it worth investing resources in it?"
    ),
    "tweet_summary": _("Summarise your challenge in at most 280 characters."),
    "partners_top5": _(
        "Who are your top 5 partners for this challenge? List them from most to least important, with name, "
        "sector and a brief description of the (intended) collaboration."
    ),
    "lq_question": _(
        "What is your learning question for this challenge? What do you need to know or understand to work "
        "on your challenge statement?"
    ),
    "lq_stages": _("To what stage(s) in the learning cycle does your learning question relate?"),
    "lq_methods_usage": _(
        "How will you use your methods and tools for this learning question? What value do they add?"
    ),
    "lq_data_gaps": _(
        "What gaps in data or information do these new sources of data address? What value do they add?"
    ),
    "early_leads": _(
        "Who might benefit from your work on this challenge, or who might be the champions in your country "
        "that you should inform or collaborate with early on to help you grow it?"
    ),
    "insights_v1": _(
        "What are the top 5 key insights you generated about your frontier challenge during this Action "
        "Learning Plan?"
    ),
    "blogs_v1": _("The link(s) to the blog(s) that articulate the learnings on your frontier challenge."),
    "barriers": _(
        "Did you experience any barriers or bottlenecks when impacting the system, or when working on your "
        "frontier challenge?"
    ),
    "time_split": _(
        "How much of your time did you dedicate to each stage of the learning cycle? The four shares add up "
        "to 100 %."
    ),
    "insights_v2": _(
        "What are the top key insights you generated about your learning challenge during this Action "
        "Learning Plan? (At most 5.)"
    ),
    "handover": _(
        "Considering the outcomes of this learning challenge, which of these best describe the handover "
        "process? Select all that apply."
    ),
    "handover_details": _("Can you provide more detail on your handover process?"),
    "blogs_v2": _(
        "Any link(s) to blog(s) or publication(s) that articulate the learnings on your frontier challenge."
    ),
    "why_data": _(
        "Relating to your types of data, why did you choose these? What gaps in available data were they "
        "addressing?"
    ),
    "why_methods": _(
        "Why was it necessary to apply these innovation methods to your frontier challenge? How did they "
        "help you to unpack the system?"
    ),
    "partners_civil_society": _(
        "If applicable, what civil society organisations did you actually work with and what did you do "
        "with them?"
    ),
    "partners_academic": _(
        "If applicable, what academic partners (and related institutions) did you actually work with and "
        "what did you do with them?"
    ),
    "partners_private": _(
        "If applicable, what private sector partners did you actually work with and what did you do with "
        "them?"
    ),
    "partners_government": _(
        "If applicable, what government partners (and related institutions) did you actually work with and "
        "what did you do with them?"
    ),
    "partners_new_unusual": _(
        "Of the partners listed above, which were new and unusual partners for UNDP, and what made them "
        "special?"
    ),
    "partners_un": _(
        "If applicable, which UN internal partners did you actually work with and what did you do with them?"
    ),
    "partners_worked_with": _("Please indicate which partners you actually worked with for this challenge."),
    "bonus": _(
        "How did the interplay of innovation methods, new forms of data and unusual partners enable you to "
        "learn and generate insights that you could not have achieved otherwise?"
    ),
    "upload": _(
        "Upload any further supporting evidence, documents or data you produced on your frontier challenge "
        "that showcase your learnings."
    ),
}


def guidance(prompt: Prompt) -> str:
    """What a prompt asks, in the active language, for a help text ("" for the form's closing words)."""
    return GUIDANCE.get(prompt.key, "")
