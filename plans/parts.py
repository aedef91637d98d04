"""The parts of a plan, named once.

A plan is its own row plus ordered child rows (insights, barriers, …) and tags in several vocabularies.
Everything that walks over a plan's parts reads these two tables instead of listing them again:
prefetching for pages, downloads and the API; the search index; the cache's signal receivers; revision
history; archive dump and load; the data generator; the tests. Adding a new child kind is one model in
`plans/models.py` and one entry in `CHILDREN`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.apps import apps
from django.db.models import Model

from plans import catalogue


@dataclass(frozen=True)
class Child:
    """One kind of child row: its model (by name, so that this module imports no models) and the related
    name through which a plan reaches its rows (`plan.<related_name>.all()`)."""

    model_name: str
    related_name: str
    # Rows the public may not see until a reviewer has approved them (blog links).
    reviewed: bool = False
    # Fields holding answers that pages show as HTML: sanitised once when saved (plans/sanitise.py).
    answer_fields: tuple[str, ...] = ()
    # Other fields whose words the full-text index holds (plans/search.py), before the answers.
    also_indexed: tuple[str, ...] = ()
    # What the archive file carries of each row, in this order (plans/archive: dump, load, snapshots).
    archived: tuple[str, ...] = ()
    # What the forms call these rows, where it is not the related name (the archive content's key).
    form_name: str = ""

    @property
    def indexed_fields(self) -> tuple[str, ...]:
        """What the search index reads of each row; reviewed rows (blog links) are never indexed."""
        return () if self.reviewed else (*self.also_indexed, *self.answer_fields)

    @property
    def content_key(self) -> str:
        """The key of these rows' list in a plan's archive content (plans/archive/mapping.py)."""
        return self.form_name or self.related_name

    @cached_property
    def model(self) -> type[Model]:
        return apps.get_model("plans", self.model_name)


@dataclass(frozen=True)
class Vocabulary:
    """One vocabulary of tags: the attribute on `Plan`, its tag model and its through model. SDGs are a
    fixed vocabulary (a plain many-to-many to the 17 goals): `through_name` is empty for them."""

    name: str
    tag_model_name: str
    through_name: str = ""

    @cached_property
    def tag_model(self) -> type[Model]:
        return apps.get_model("plans", self.tag_model_name)

    @cached_property
    def through(self) -> type[Model]:
        if self.through_name:
            return apps.get_model("plans", self.through_name)
        return getattr(apps.get_model("plans", "Plan"), self.name).through

    @property
    def is_taggit(self) -> bool:
        return bool(self.through_name)


CHILDREN: tuple[Child, ...] = (
    Child("Insight", "insights", answer_fields=("text",), archived=("text",)),
    Child("Barrier", "barriers", answer_fields=("text",), archived=("text",)),
    Child(
        "Partnership",
        "partnerships",
        answer_fields=("description",),
        also_indexed=("name",),
        # A partner's fields are the prompts of its four groups, in form order.
        archived=tuple(p.target.name for p in catalogue.PARTNER_PROMPTS),
        form_name="partners",
    ),
    Child(
        "LearningQuestion",
        "learning_questions",
        answer_fields=("question", "methods_usage", "data_gaps"),
        archived=tuple(p.target.name for p in catalogue.LEARNING_QUESTION_SECTION.prompts),
    ),
    # An uploaded file is written where the archive has an image link (plans/archive/dump.py).
    Child("Evidence", "evidence", answer_fields=("text",), archived=("kind", "text", "url", "image_url")),
    Child("BlogLink", "blog_links", reviewed=True, archived=("url",)),
    Child(
        "ExtraAnswer", "extra_answers", answer_fields=("answer",), archived=("section", "prompt", "answer")
    ),
)

VOCABULARIES: tuple[Vocabulary, ...] = (
    Vocabulary("methods", "MethodTag", "TaggedMethod"),
    Vocabulary("datasources", "DatasourceTag", "TaggedDatasource"),
    Vocabulary("thematic_areas", "ThematicAreaTag", "TaggedThematicArea"),
    Vocabulary("sdgs", "SDG"),
)

CHILD_RELATED_NAMES: tuple[str, ...] = tuple(c.related_name for c in CHILDREN)
VOCABULARY_NAMES: tuple[str, ...] = tuple(v.name for v in VOCABULARIES)
TAG_VOCABULARIES: tuple[Vocabulary, ...] = tuple(v for v in VOCABULARIES if v.is_taggit)

# Prefetch these (`Plan.objects.prefetch_related(*PREFETCH)`) to read every part of many plans in a fixed
# number of queries. Readers use `PlanQuerySet.for_reader(user)`, which limits reviewed rows.
PREFETCH: tuple[str, ...] = CHILD_RELATED_NAMES + VOCABULARY_NAMES


def child(related_name: str) -> Child:
    return next(c for c in CHILDREN if c.related_name == related_name)


def vocabulary(name: str) -> Vocabulary:
    return next(v for v in VOCABULARIES if v.name == name)


def child_models() -> list[type[Model]]:
    return [c.model for c in CHILDREN]
