"""The one FilterSet of plans, shared by the list, the map, the statistics (and later downloads and API).

Query parameters are part of the public contract (links are shared): `country`, `year`, `kind`,
`language`, `methods`, `datasources`, `sdgs`, `thematic_areas` (tag slugs, SDG numbers), each repeatable:
values of one parameter are OR-ed, parameters are AND-ed. `q` is the full-text query and `sort` one of
`newest`, `title`, `relevance`. Invalid values are ignored rather than answered with an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import django_filters as filters
from django import forms
from django.db.models import Count, F, QuerySet
from django.utils.translation import gettext_lazy as _

from plans import search
from plans.models import SDG, DatasourceTag, MethodTag, Plan, ThematicAreaTag

FACETS = ("country", "year", "kind", "language", "methods", "datasources", "sdgs", "thematic_areas")
SORTS = {"newest": _("Newest"), "title": _("Title"), "relevance": _("Relevance")}
TOP_TAGS = 15
LANGUAGES = {
    "en": _("English"),
    "fr": _("French"),
    "es": _("Spanish"),
    "pt": _("Portuguese"),
    "ar": _("Arabic"),
}


class AnyValueMultipleField(forms.MultipleChoiceField):
    """Accepts any submitted value: the choices are the data, and a stale value simply matches nothing."""

    def valid_value(self, value):
        return True


class IntMultipleField(forms.TypedMultipleChoiceField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("coerce", int)
        super().__init__(*args, **kwargs)

    def valid_value(self, value):
        return str(value).isdigit()


class ValuesFilter(filters.MultipleChoiceFilter):
    field_class = AnyValueMultipleField


class IntValuesFilter(filters.MultipleChoiceFilter):
    field_class = IntMultipleField


def _tags(model, name):
    return filters.ModelMultipleChoiceFilter(
        field_name=f"{name}__slug",
        to_field_name="slug",
        queryset=model.objects.all(),
        distinct=True,
        label=model._meta.verbose_name_plural,
    )


class PlanFilter(filters.FilterSet):
    q = filters.CharFilter(method="full_text", label=_("Search"))
    country = ValuesFilter(label=_("Country"))
    year = IntValuesFilter(label=_("Year"))
    kind = filters.MultipleChoiceFilter(choices=Plan.Kind.choices, label=_("Kind"))
    language = ValuesFilter(label=_("Language"))
    methods = _tags(MethodTag, "methods")
    datasources = _tags(DatasourceTag, "datasources")
    thematic_areas = _tags(ThematicAreaTag, "thematic_areas")
    sdgs = filters.ModelMultipleChoiceFilter(
        field_name="sdgs__number",
        to_field_name="number",
        queryset=SDG.objects.all(),
        distinct=True,
        label=_("SDGs"),
    )
    sort = filters.ChoiceFilter(
        choices=list(SORTS.items()), method="no_op", empty_label=None, label=_("Sort")
    )

    class Meta:
        model = Plan
        fields: list[str] = []

    def full_text(self, queryset, name, value):
        return search.search(queryset, value) if value.strip() else queryset

    def no_op(self, queryset, name, value):
        return queryset  # sorting is applied by `sorted()`, after every filter

    @property
    def query(self) -> str:
        self.form.is_valid()  # cleaned_data holds the valid fields even when another one is not
        return (self.form.cleaned_data.get("q") or "").strip()

    @property
    def sort_key(self) -> str:
        self.form.is_valid()
        key = self.form.cleaned_data.get("sort") or ""
        if key not in SORTS:
            key = "relevance" if self.query else "newest"
        if key == "relevance" and not self.query:
            key = "newest"
        return key

    def sorted(self) -> QuerySet:
        qs = self.qs
        key = self.sort_key
        if key == "relevance":
            return qs.order_by(F("search_rank").desc(nulls_last=True), "-published_at", "pk")
        if key == "title":
            return qs.order_by("title", "pk")
        return qs.order_by(F("published_at").desc(nulls_last=True), "-pk")


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool
    colour: str = ""


@dataclass
class Facet:
    name: str
    label: str
    values: list[FacetValue] = field(default_factory=list)

    @property
    def selected(self) -> list[FacetValue]:
        return [v for v in self.values if v.selected]


def _selected(data, name) -> set[str]:
    return set(data.getlist(name)) if hasattr(data, "getlist") else set(data.get(name, []))


def facets(data, queryset: QuerySet) -> list[Facet]:
    """Counts for every facet value, each computed over the plans matching all *other* active filters (so a
    facet shows what selecting one more of its values would add). One query per facet, whatever the number
    of plans; `queryset` must already be restricted to what the reader may see (published plans)."""
    result = []
    for name in FACETS:
        others = data.copy()
        if hasattr(others, "setlist"):
            others.setlist(name, [])
            others.setlist("sort", [])
        else:
            others.pop(name, None)
        base = PlanFilter(others, queryset=queryset).qs.values("pk")
        plans = Plan.objects.filter(pk__in=base)
        chosen = _selected(data, name)
        facet = Facet(name, str(PlanFilter.base_filters[name].label))
        if name in {"country", "year", "language", "kind"}:
            rows = plans.exclude(**{f"{name}__isnull": True}).exclude(**{name: ""} if name != "year" else {})
            rows = rows.values_list(name).annotate(n=Count("pk")).order_by(name)
            labels = dict(Plan.Kind.choices) if name == "kind" else LANGUAGES if name == "language" else {}
            facet.values = [
                FacetValue(str(v), str(labels.get(v, v)), n, str(v) in chosen)
                for v, n in rows
                if v not in ("", None)
            ]
            if name == "year":
                facet.values.reverse()
        elif name == "sdgs":
            rows = (
                SDG.objects.filter(plans__in=plans)
                .annotate(n=Count("plans", distinct=True))
                .order_by("number")
            )
            facet.values = [
                FacetValue(str(s.number), f"{s.number}. {s.name}", s.n, str(s.number) in chosen, s.colour)
                for s in rows
            ]
        else:
            model = {"methods": MethodTag, "datasources": DatasourceTag, "thematic_areas": ThematicAreaTag}[
                name
            ]
            rows = list(
                model.objects.filter(tagged_items__content_object__in=plans)
                .annotate(n=Count("tagged_items__content_object", distinct=True))
                .order_by("-n", "name")
                .values_list("slug", "name", "n")
            )
            top = rows[:TOP_TAGS]
            top += [r for r in rows[TOP_TAGS:] if r[0] in chosen]
            facet.values = [FacetValue(slug, tag, n, slug in chosen) for slug, tag, n in top]
        result.append(facet)
    return result
