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

    @property
    def indexed_fields(self) -> tuple[str, ...]:
        """What the search index reads of each row; reviewed rows (blog links) are never indexed."""
        return () if self.reviewed else (*self.also_indexed, *self.answer_fields)

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
        from plans.models import Plan

        return getattr(Plan, self.name).through

    @property
    def is_taggit(self) -> bool:
        return bool(self.through_name)


CHILDREN: tuple[Child, ...] = (
    Child("Insight", "insights", answer_fields=("text",)),
    Child("Barrier", "barriers", answer_fields=("text",)),
    Child("Partnership", "partnerships", answer_fields=("description",), also_indexed=("name",)),
    Child("LearningQuestion", "learning_questions", answer_fields=("question", "methods_usage", "data_gaps")),
    Child("Evidence", "evidence", answer_fields=("text",)),
    Child("BlogLink", "blog_links", reviewed=True),
    Child("ExtraAnswer", "extra_answers", answer_fields=("answer",)),
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
