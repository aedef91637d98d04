"""The one FilterSet of plans, shared by the list, the map, the statistics, the downloads and the API.

Query parameters are part of the public contract (links are shared): `country`, `year`, `kind`,
`language`, `methods`, `datasources`, `sdgs`, `thematic_areas` (tag slugs, SDG numbers), each repeatable:
values of one parameter are OR-ed, parameters are AND-ed. `q` is the full-text query and `sort` one of
`newest`, `title`, `relevance`. Invalid or unknown values are ignored one by one rather than answered
with an error (a shared link stays valid when a tag is renamed); a filter whose values are all invalid or
unknown matches nothing, whatever the facet.
"""

from __future__ import annotations

import copy
import html
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from urllib.parse import urlencode

import django_filters as filters
from django import forms
from django.core.paginator import Paginator
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import F, QuerySet
from django.http import QueryDict
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _
from pyroaring import BitMap

from plans import countries, postings, search, vocabularies
from plans.models import (
    SDG,
    DatasourceTag,
    MethodTag,
    Plan,
    TaggedDatasource,
    TaggedMethod,
    TaggedThematicArea,
    ThematicAreaTag,
)

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


class ValuesField(forms.MultipleChoiceField):
    """The submitted values of one facet, cleaned one by one by `coerce`, which raises ValueError for a
    value that can match no plan (malformed, out of the column's range): such a value is dropped, never the
    whole filter. `None` means "nothing submitted" (no filter); an empty list means "values submitted,
    none usable" (the filter matches nothing). NUL bytes never get here (`plans.middleware`)."""

    def __init__(self, *args, coerce: Callable[[str], object] = str, **kwargs):
        self.coerce = coerce
        super().__init__(*args, **kwargs)

    def clean(self, value):
        submitted = [v.strip() for v in value or () if isinstance(v, str) and v.strip()]
        if not submitted:
            return None
        kept = []
        for raw in submitted:
            try:
                kept.append(self.coerce(raw))
            except ValueError:
                continue
        return list(dict.fromkeys(kept))


def _number_of(model, name: str) -> Callable[[str], int]:
    """Coerce to an integer the column `model.name` can hold: the same range on every database (SQLite
    would compare a larger number, PostgreSQL refuses it with an error)."""
    low, high = BaseDatabaseOperations.integer_field_ranges[model._meta.get_field(name).get_internal_type()]

    def number(value: str) -> int:
        if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
            raise ValueError(f"{value!r} is not a number of {model.__name__}.{name}")
        return int(value)

    return number


def _choice(value: str) -> str:
    if value not in Plan.Kind.values:
        raise ValueError(f"{value!r} is not a kind of plan")
    return value


def _country(value: str) -> str:
    code = countries.code_for(value)
    if not code:
        raise ValueError(f"{value!r} is not a country")
    return code


class ValuesFilter(filters.MultipleChoiceFilter):
    """Plans whose column holds any of the chosen values (`IN`, no DISTINCT: a column of the plan itself
    cannot repeat a plan). Stale values are ignored one by one; all of them stale selects no plan."""

    field_class = ValuesField

    def __init__(self, *args, coerce: Callable[[str], object] = str, **kwargs):
        kwargs.setdefault("distinct", False)
        super().__init__(*args, coerce=coerce, **kwargs)

    def filter(self, qs, value):
        if value is None:
            return qs
        if not value:
            # Always false, yet real SQL: `none()` cannot be nested in the statistics' raw queries.
            return qs.filter(pk__isnull=True)
        return qs.filter(**{f"{self.field_name}__in": value})


class AnyOfFilter(ValuesFilter):
    """Plans carrying any of the chosen tags (or SDGs), as `id IN (plans with one of them)`. A join would
    repeat a plan once per matching tag and need SELECT DISTINCT over whole rows (130 ms for a count at
    100,000 plans), and every facet count over such a list would have to de-duplicate again. The values
    are compared in the database (`tag.slug IN …`): a tag that no longer exists simply matches nothing."""

    def __init__(self, *args, through, column, plan_column, to_field_name, **kwargs):
        self.through, self.column, self.plan_column = through, column, plan_column
        self.to_field_name = to_field_name
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return super().filter(qs, value)  # no filter, or one that matches nothing
        if self.field_name in vocabularies.NAMES:
            # Curated tags: a slug a tag had before a merge or rename still selects it, and a broader
            # category selects the tags filed under it (plans/vocabularies.py).
            ids = vocabularies.ids_for_slugs(self.field_name, value)
            chosen = self.through.objects.filter(tag_id__in=ids)
        else:
            chosen = self.through.objects.filter(**{f"{self.column}__{self.to_field_name}__in": value})
        return qs.filter(pk__in=chosen.values(self.plan_column))


TAG_MODELS = {
    "methods": (MethodTag, TaggedMethod),
    "datasources": (DatasourceTag, TaggedDatasource),
    "thematic_areas": (ThematicAreaTag, TaggedThematicArea),
}


def _tags(name):
    model, through = TAG_MODELS[name]
    return AnyOfFilter(
        field_name=name,
        to_field_name="slug",
        through=through,
        column="tag",
        plan_column="content_object_id",
        label=model._meta.verbose_name_plural,
    )


class PlanFilter(filters.FilterSet):
    q = filters.CharFilter(method="full_text", label=_("Search"))
    # ISO 3166 alpha-3 codes; a name (the links made before codes: `?country=Viet Nam`) is read as its code.
    country = ValuesFilter(field_name="country_code", coerce=_country, label=_("Country"))
    year = ValuesFilter(coerce=_number_of(Plan, "year"), label=_("Year"))
    kind = ValuesFilter(coerce=_choice, choices=Plan.Kind.choices, label=_("Kind"))
    language = ValuesFilter(label=_("Language"))
    methods = _tags("methods")
    datasources = _tags("datasources")
    thematic_areas = _tags("thematic_areas")
    sdgs = AnyOfFilter(
        field_name="sdgs",
        to_field_name="number",
        coerce=_number_of(SDG, "number"),
        through=Plan.sdgs.through,
        column="sdg",
        plan_column="plan_id",
        label=_("SDGs"),
    )
    sort = filters.ChoiceFilter(
        choices=list(SORTS.items()), method="no_op", empty_label=None, label=_("Sort")
    )

    class Meta:
        model = Plan
        fields: list[str] = []

    def get_form_class(self):
        # Its fields are those of every filter set: made once by the process. django-filter made a form
        # class, with a field per filter, for each filter set (0.5 ms; a search's page makes four).
        cls = type(self)
        if "_form_class" not in cls.__dict__:
            cls._form_class = super().get_form_class()
            cls._form_class.base_fields = _Unchanged(cls._form_class.base_fields)
        return cls._form_class

    def full_text(self, queryset, name, value):
        # Snippets are built by the list for the page it shows (`search.snippets`), never for every match.
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
        return ordered(self.qs, self.sort_key)


class _Unchanged(dict):
    """The filters of `PlanFilter`, or the fields of its form, which django-filter deep-copies for each
    filter set and Django for each form, so that one may change its own: 240 us a filter set, and a
    statistics page makes two, a search's list four. Nothing changes them once made (the form is never
    rendered by its widgets: `Facet.render` and the templates write its HTML), so a form shares its
    class's fields, and a filter set gets shallow copies of the filters, to which it sets its `model` and
    `parent` (a filter with a `method` calls that of its own filter set)."""

    def __deepcopy__(self, memo) -> dict:
        return {name: _own(part) for name, part in self.items()}


def _own(part):
    if not isinstance(part, filters.Filter):
        return part  # a form's field
    copied = copy.copy(part)
    copied.extra = dict(part.extra)
    copied.method = part.method  # its FilterMethod, bound to the copy (the original's points at the original)
    return copied


PlanFilter.base_filters = _Unchanged(PlanFilter.base_filters)


def ordered(qs: QuerySet, key: str) -> QuerySet:
    """`qs` in the order of a list's sort `key` (`PlanFilter.sort_key`; "relevance" needs `search_rank`)."""
    if key == "relevance":
        return qs.order_by(F("search_rank").desc(nulls_last=True), "-published_at", "pk")
    if key == "title":
        return qs.order_by("title", "pk")
    return qs.order_by(F("published_at").desc(nulls_last=True), "-pk")


COUNT_CAP = 1000  # lists show their first 1,000 plans, and say "More than 1,000 plans" beyond


class CappedPaginator(Paginator):
    """The pages of a list, a search or not, stop at its COUNT_CAP-th plan, whatever their order, as mature
    search sites and catalogues do (GitHub's search serves 1,000 results, Elasticsearch 10,000 by its
    `max_result_window`): it counts up to COUNT_CAP + 1 (`capped` then says that there are more: "More than
    1,000 plans", with a hint to narrow), and a page number past them shows the last page within them. A
    page past the cap needed the exact count and every plan sorted down to it: at 100,000 plans the whole
    list's last page (`OFFSET 99,980`) sorted every plan (145 ms, an external sort), a common word's ranked
    every match for seconds, for pages nobody reads. Every plan stays reachable: a list of COUNT_CAP plans
    or fewer is whole (filters narrow any list), and the sitemap, the API and the downloads hold them all."""

    CAP = COUNT_CAP
    capped = False

    @cached_property
    def count(self) -> int:
        # Without its order (a ranking of every match) nor its annotations: only whether rows exist.
        found = self.object_list.order_by().values("pk")[: self.CAP + 1].count()
        self.capped = found > self.CAP
        return min(found, self.CAP)


class ListPaginator(CappedPaginator):
    """The pages of a list without a search: the ids of its first COUNT_CAP + 1 plans in the list's order, in
    one query that an index answers without reading the plans (`plan_newest_published` holds the columns the
    filters compare), then the page's plans by id. The count and a page with OFFSET each read the plans'
    rows until the page: at 100,000 plans a method and a year's fiftieth page read 17,000 rows (62 ms), and
    its count 20,000 (35 ms)."""

    def __init__(self, object_list, per_page, ids: list[int] | None = None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        if ids is not None:  # already in order (`search.ranked_ids`, `postings.first`): pages read them by id
            self.ids = ids[: self.CAP + 1]

    @cached_property
    def ids(self) -> list[int]:
        return list(self.object_list.values_list("pk", flat=True)[: self.CAP + 1])

    @cached_property
    def count(self) -> int:
        self.capped = len(self.ids) > self.CAP
        return min(len(self.ids), self.CAP)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        ids = self.ids[bottom : bottom + self.per_page]
        # Unordered: they are put in the ids' order here. With the list's ORDER BY, SQLite walked the whole
        # list's index (3 ms at 20,000 plans) rather than look the twenty up by primary key.
        found = {plan.pk: plan for plan in self.object_list.order_by().filter(pk__in=ids)}
        return self._get_page([found[pk] for pk in ids], number, self)


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
    # How many other values there are (tags beyond the top ones), behind "show all": a page of their own
    # (`views.facet_values`), where `more` holds them with their counts (`facets(…, every=True)`). Tags
    # that no counted (published) plan carries never appear.
    more_count: int = 0
    more: list[FacetValue] = field(default_factory=list)
    query: str = ""  # the filters the counts are of ("?q=…&country=…"), for the link to every value
    html: str = ""  # the rendered facet, cached with the counts (plans.views._facets)

    @property
    def selected(self) -> list[FacetValue]:
        return [v for v in self.values if v.selected]

    # A facet's items are built here rather than by a template loop: a common word's facets list about a
    # thousand tags and a hundred countries, which the loops took 100-150 ms to render on every search
    # computed afresh; this takes a few (`html.escape`, what Django's `escape` calls, without its lazy
    # wrapper).

    @property
    def values_html(self) -> SafeString:
        name = _escape(self.name)
        return _items(
            _ITEM.format(
                name, n, *_item_text(v.value, v.label, v.colour), " checked" if v.selected else "", v.count
            )
            for n, v in enumerate(self.values, start=1)
        )

    def render(self, first: bool = False) -> SafeString:
        """The facet as the filter form lists it (includes/facets.html), open when a value is chosen or
        when it is one of the `first`; built here as its items are (a template took 0.7 ms for a page's
        eight facets)."""
        if not self.values:
            return mark_safe("\n")  # noqa: S308 (nothing but a newline)
        name, chosen, more = _escape(self.name), len(self.selected), ""
        if self.more_count:
            text = ngettext("Show all (%(n)s more value)", "Show all (%(n)s more values)", self.more_count)
            more = _FACET_MORE.format(
                name=name, query=_escape(self.query), text=_escape(text % {"n": self.more_count})
            )
        return mark_safe(  # noqa: S308 (every value escaped, the items by values_html)
            _FACET.format(
                name=name,
                open=" open" if chosen or first else "",
                label=_escape(capfirst(self.label)),
                count=_FACET_COUNT.format(chosen) if chosen else "",
                items=self.values_html,
                more=more,
            )
        )


# A facet of the filter form (`Facet.render`), and its link to every value, below the values' scrolling box.
_FACET = (
    '\n  <details class="facet" data-facet="{name}"{open}>\n'
    "    <summary>{label}{count}</summary>\n"
    "    <fieldset>\n"
    '      <legend class="visually-hidden">{label}</legend>\n'
    "      <ul>\n"
    "      {items}\n"
    "      </ul>\n"
    "    </fieldset>\n"
    "    {more}\n"
    "  </details>\n\n"
)
_FACET_COUNT = ' <span class="facet__count">({})</span>'
_FACET_MORE = '\n    <p class="facet__show-all"><a href="values/{name}/{query}">{text}</a></p>\n    '


# A facet's value (`Facet.values_html`): {0} the facet's name, {1} the value's number, {2} its value, {3} its
# label, {4} " checked" when chosen, {5} its count.
_ITEM = (
    '<li><input type="checkbox" id="f-{0}-{1}" name="{0}" value="{2}"{4}>\n'
    '<label for="f-{0}-{1}">{3} <span class="facet__count">({5})</span></label></li>'
)
_SWATCH = '<span class="swatch" style="--sdg: {}" aria-hidden="true"></span>'


@lru_cache(maxsize=8192)
def _item_text(value: str, label: str, colour: str) -> tuple[str, str]:
    """A facet value's value and label escaped (an SDG's with its colour's swatch), as every page listing
    it writes them: escaping them for each page took ~0.3 ms of a statistics page computed afresh (a
    hundred countries, the top tags, the goals), for texts that seldom change. Keyed by the texts
    themselves: a label in another language, or a renamed tag, is another entry."""
    swatch = _SWATCH.format(_escape(colour)) if colour else ""
    return _escape(value), swatch + _escape(label)


def _escape(text) -> str:
    return html.escape(str(text))


def _items(escaped: Iterable[str]) -> SafeString:
    return mark_safe("\n".join(escaped))  # noqa: S308 (every value escaped by the caller)


def _values(data, name) -> list[str]:
    """The submitted values of one parameter, stripped, de-duplicated and sorted."""
    if name not in data:  # most parameters, read ~250 times a page: `getlist` raised and caught a KeyError
        return []
    values = data.getlist(name) if hasattr(data, "getlist") else data.get(name, [])
    values = [values] if isinstance(values, str) else list(values)
    return sorted({v.strip() for v in values if v and v.strip()})


def _selected(data, name) -> set[str]:
    return set(_values(data, name))


# The parameters each kind of public page reads (`cache.public_page` keys cached pages on these only).
FILTER_PARAMETERS = ("q", *FACETS)
LIST_PARAMETERS = (*FILTER_PARAMETERS, "sort", "page")


def canonical_query(data, names) -> QueryDict:
    """The parameters `names` of `data` in one form for every way of asking the same thing: unknown
    parameters dropped, names sorted, a facet's values de-duplicated and sorted (they are OR-ed), page
    numbers as plain integers; any other parameter keeps its last value, the one Django's `get` (and so
    every form) reads. Nothing else changes: the page and the API read it exactly as the original."""
    pairs = []
    for name in sorted(set(names)):
        values = sorted(set(data.getlist(name))) if name in FACETS else data.getlist(name)[-1:]
        if name in {"page", "page_size"} and values and values[0].isascii() and values[0].isdigit():
            values = [str(int(values[0]))]
        if name == "page" and values == ["1"]:
            values = []  # the first page is the page without a number
        pairs += [(name, value) for value in values]
    return QueryDict(urlencode(pairs))


@lru_cache(maxsize=1024)
def _encoded(params: tuple[tuple[str, str], ...]) -> str:
    """`urlencode(params)`, which a page's facets ask for the same filters a dozen times (their cache keys
    and "show all" links): quoting them took 0.3 ms of every list and statistics page computed afresh."""
    return urlencode(params)


def filter_params(data, without: str = "") -> list[tuple[str, str]]:
    """The parameters that select plans (`q` and the facets, minus `without`), normalised: what facet
    counts depend on, so the cache key of counts (unlike the page's URL) ignores `page`, `sort` and any
    unknown parameter, and shares the counts of one facet between every combination of its own values."""
    return [(name, v) for name in ("q", *FACETS) if name != without for v in _values(data, name)]


PLAN_COLUMNS = postings.PLAN_COLUMNS


def tallies(names: Iterable[str], plans: QuerySet) -> dict[str, dict]:
    """{facet: {value or tag/SDG id: number of plans}} of several facets over `plans`: the plans' ids are
    read once, and each value's count is that of its bitmap's bits among them (`plans.postings`). Empty
    values are not counted; values no plan of `plans` carries are left out."""
    return tally_bits(names, postings.of(plans))


def selected_bits(filterset: PlanFilter) -> int:
    """The bitmap of `filterset.qs`. When the only filters chosen are on the plans' own columns (country,
    year, kind, language), it is made from bitmaps kept per content version, as `ValuesFilter` selects:
    the plans of the filterset's queryset (`postings.of`) carrying any of each filter's valid values, none
    when every value is stale. Reading the ids of the plans in one language took 14 ms of PostgreSQL and
    25 ms of Python at 100,000 plans, for each new filter. With a search or a tag, the ids are read."""
    filterset.form.is_valid()  # cleaned_data holds the valid fields, as `qs` filters with them
    chosen = {name: filterset.form.cleaned_data.get(name) for name in FACETS}
    chosen = {name: values for name, values in chosen.items() if values is not None}
    if filterset.query or not chosen.keys() <= PLAN_COLUMNS.keys():
        return postings.of(filterset.qs)
    # Every plan of the queryset, as the page's facets without another filter count them (`selection`):
    # compiling the queryset's SQL to find its kept bitmap took 0.2 ms.
    found = selection([], filterset.queryset)
    carriers = postings.current().values
    for name, values in chosen.items():
        union = 0
        for value in values:
            union |= carriers[name].get(value, 0)
        found &= union
    return found


def tally_bits(names: Iterable[str], matches: int) -> dict[str, dict]:
    """`tallies` over plans given as a bitmap."""
    found, chosen = postings.current(), counted(matches)
    return {name: found.tally(name, chosen) for name in dict.fromkeys(names)}


def counted(matches: int) -> BitMap:
    """`postings.roaring(matches)`, what counts read, made once for the page being computed (`_memo`): its
    facets and its statistics count over the same plans."""
    from plans.cache import computing

    memo, key = _memo(computing()), ("roaring", matches)
    if key not in memo:
        memo[key] = postings.roaring(matches)
    return memo[key]


def counts(name: str, plans: QuerySet) -> dict:
    """{value or tag/SDG id: number of plans} of one facet over `plans` (`tallies`)."""
    return tallies([name], plans)[name]


def top_tags(name: str, counts: dict[int, int], chosen=(), limit: int = TOP_TAGS, every=None) -> list:
    """Tags of one vocabulary ordered by count then name: every tag counted at least as often as the
    `limit`-th one (ties are ordered by name), then the `chosen` slugs. Tags come from `every` ({id: tag}),
    by default the postings of the content version (`Postings.tags`: names, slugs, labels)."""
    wanted = set(counts)
    if len(counts) > limit:
        floor = sorted(counts.values(), reverse=True)[limit - 1]
        wanted = {pk for pk, n in counts.items() if n >= floor}
    if every is None:
        every = postings.current().tags(TAG_MODELS[name][0])
    chosen = set(chosen)
    tags = [t for pk, t in every.items() if pk in counts and (pk in wanted or t.slug in chosen)]
    return sorted(tags, key=lambda t: (-counts[t.pk], t.name))


def without(data, name: str) -> QueryDict:
    """The parameters that select plans, but `name` (normalised, as `filter_params`)."""
    return _query_dict(filter_params(data, without=name))


def _query_dict(params: list[tuple[str, str]]) -> QueryDict:
    data = QueryDict(mutable=True)
    for name, value in params:
        data.appendlist(name, value)
    return data


def facet(name: str, data, tally: dict, found: postings.Postings, every: bool = False) -> Facet:
    """One facet from its counts `tally` over the plans matching all *other* active filters (`found`: the
    postings they were counted from); with `every`, a tag facet's values beyond the top ones too (`more`),
    else only how many there are."""
    chosen = _selected(data, name)
    params = filter_params(data) + chosen_sort(data)  # what its "show all" link carries
    query = "?" + _encoded(tuple(params)) if params else ""
    result = Facet(name, str(PlanFilter.base_filters[name].label), query=query)
    if name == "country":
        chosen = {countries.code_for(v) or v for v in chosen}  # a name in an old link selects its code
    tally = _with_chosen(name, tally, chosen, found)
    if name == "country":
        language = get_language()  # read once for the hundred names, not by each
        result.values = sorted(
            (FacetValue(v, countries.name_of(v, language), n, v in chosen) for v, n in tally.items() if v),
            key=lambda f: countries.by_name(f.label),
        )
    elif name in {"year", "language", "kind"}:
        labels = dict(Plan.Kind.choices) if name == "kind" else LANGUAGES if name == "language" else {}
        result.values = [
            FacetValue(str(v), str(labels.get(v, v)), n, str(v) in chosen)
            for v, n in sorted(tally.items())
            if v not in ("", None)
        ]
        if name == "year":
            result.values.reverse()
    elif name == "sdgs":
        result.values = [
            FacetValue(str(s.number), str(s), tally[s.pk], str(s.number) in chosen, s.colour)
            for s in found.goals().values()
            if s.pk in tally
        ]
    else:
        # The top ones (and those chosen) only, unless every value is asked for: a common word's facets
        # hold about a thousand tags, and building, sorting and rendering them all for every list, search
        # and statistics page was a third of a list's time and made its page 230 KB.
        tags = found.tags(TAG_MODELS[name][0])
        ranked = top_tags(name, tally, chosen, limit=len(tally) if every else TOP_TAGS, every=tags)
        top = ranked[:TOP_TAGS] + [t for t in ranked[TOP_TAGS:] if t.slug in chosen]
        result.values = [FacetValue(t.slug, t.label, tally[t.pk], t.slug in chosen) for t in top]
        result.more_count = sum(1 for pk in tally if pk in tags) - len(top)
        if every:
            shown = {t.pk for t in top}
            result.more = sorted(
                (FacetValue(t.slug, t.label, tally[t.pk], False) for t in ranked if t.pk not in shown),
                key=lambda v: v.label.casefold(),
            )
    return result


def _with_chosen(name: str, tally: dict, chosen: set[str], found: postings.Postings) -> dict:
    """`tally` with each chosen value it lacks at 0: a value chosen and then emptied by another filter (a
    search, a year) stays in its facet, ticked, so that the reader sees why the list is empty and can untick
    it there, as faceted search sites keep a chosen refinement. Only values some plan carries: a stale one
    (a merged tag, a language no plan is in) selects nothing (`selected_bits`) and is not shown."""
    if not chosen:
        return tally
    if name == "sdgs":
        keys = {str(goal.number): pk for pk, goal in found.goals().items()}
    elif name in TAG_MODELS:
        keys = {tag.slug: pk for pk, tag in found.tags(TAG_MODELS[name][0]).items()}
    else:
        keys = {str(value): value for value in found.sets[name]}
    missing = [keys[v] for v in chosen if v in keys and keys[v] not in tally and keys[v] in found.sets[name]]
    return {**tally, **dict.fromkeys(missing, 0)} if missing else tally


def chosen_sort(data) -> list[tuple[str, str]]:
    """The list's chosen order, which a facet's "show all" link keeps (none on the map and statistics)."""
    sort = data.get("sort") if hasattr(data, "get") else None
    return [("sort", sort)] if sort in SORTS else []


def facet_keys(data) -> dict[str, str]:
    """{facet: what its counts depend on}: its own values and the other filters (never `page` or an unknown
    parameter), so that a new combination of filters reuses the facets it shares with others; and a chosen
    order, which its HTML's "show all" link keeps."""
    return {
        name: f"{name}|{_encoded(tuple((name, v) for v in _values(data, name)))}|"
        f"{_encoded(tuple(filter_params(data, without=name) + chosen_sort(data)))}"
        for name in FACETS
    }


def facets(data, queryset: QuerySet, names: Iterable[str] = FACETS, every: bool = False) -> dict[str, Facet]:
    """Counts for every value of the facets `names`, each computed over the plans matching all *other*
    active filters (so a facet shows what selecting one more of its values would add); `queryset` must
    already be restricted to what the reader may see (published plans). Facets that share their other
    filters (all of them when no facet value is chosen) are counted together over one read of their plans'
    ids (`tallies`)."""
    groups: dict[tuple, list[str]] = {}
    for name in names:
        groups.setdefault(tuple(filter_params(data, without=name)), []).append(name)
    result, found = {}, postings.current()
    for members in groups.values():
        others = filter_params(data, without=members[0])
        for name, tally in selected_tallies(members, others, queryset).items():
            result[name] = facet(name, data, tally, found, every)
    return result


def _memo(request) -> dict:
    """What `selection` and `selected_tallies` keep for the public page being computed (`cache.computing`):
    its facets and its statistics often count the same plans. Every facet without a chosen value is counted
    over all the filters, as the statistics are; building their filter set again and tallying again took a
    third of a statistics page computed afresh."""
    if request is None:
        return {}
    if not hasattr(request, "_selections"):
        request._selections = {}
    return request._selections


def selection(params: list[tuple[str, str]], queryset: QuerySet) -> int:
    """The bitmap of the plans of `queryset` that the filter parameters `params` (`filter_params`) select."""
    from plans.cache import computing

    memo, key = _memo(computing()), ("matches", tuple(params))
    if key in memo:
        return memo[key]
    if not params:  # every plan of `queryset`: no filter set to build
        memo[key] = postings.of(queryset)
    else:
        selected = PlanFilter(_query_dict(params), queryset=queryset)
        if selected.query:
            # The search's matches read from its index alone, then kept among the plans of the other
            # filters: joining them in SQL took 30-50 ms for a word in half of 100,000 plans.
            unsearched = PlanFilter(without(_query_dict(params), "q"), queryset=queryset).qs
            memo[key] = search.matching_bits(unsearched, selected.query)
        else:
            memo[key] = selected_bits(selected)
    return memo[key]


def selected_tallies(names: Iterable[str], params: list[tuple[str, str]], queryset: QuerySet) -> dict:
    """`tallies` of the facets `names` over the plans that `params` select (`selection`)."""
    from plans.cache import computing

    memo, selected = _memo(computing()), tuple(params)
    missing = [name for name in dict.fromkeys(names) if ("tally", name, selected) not in memo]
    if missing:
        for name, tally in tally_bits(missing, selection(params, queryset)).items():
            memo["tally", name, selected] = tally
    return {name: memo["tally", name, selected] for name in dict.fromkeys(names)}
