"""The public site: short function-based views over `Plan.objects.published()` and `permissions`. They
fetch, cache and render; what a page shows of the plans is shaped by plans/presentation.py."""

from urllib.parse import urlencode

from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, Max, Min, OuterRef
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET

from plans import cache, dumps, filters, opendata, permissions, postings, presentation, search, structured
from plans.api import fair_use
from plans.countries import by_name, name_of
from plans.models import SDG, Lab, Plan
from plans.validators import LATITUDE, LONGITUDE

PAGE_SIZE = 20


def public_plans(request: HttpRequest):
    """What the public pages list: published plans, as far as this reader may see them."""
    return permissions.visible_plans(request.user, Plan.objects.published())


CARD_FIELDS = (
    "title",
    "slug",
    "kind",
    "language",
    "country",
    "country_code",
    "year",
    "tweet_summary",
    "published_at",
)


def _card_fields(qs):
    """What a card shows (`presentation.card`), and nothing else: a plan row also holds every answer and the
    archive layout (kilobytes of JSON each), and the card shows no lab, method or thematic area."""
    return qs.only(*CARD_FIELDS)


def _cards(plans) -> list[Plan]:
    """The plans of a page of cards, each with its SDGs in number order as `card_sdgs`, read in one query.
    Django's `prefetch_related` took 1.5 ms for a page of twenty (its machinery, not the query)."""
    plans = list(plans)
    found: dict[int, list[SDG]] = {plan.pk: [] for plan in plans}
    if found:
        marks = ", ".join(["%s"] * len(found))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT ps.plan_id, s.id, s.number, s.name, s.colour "
                f"FROM {Plan.sdgs.through._meta.db_table} ps JOIN {SDG._meta.db_table} s ON s.id = ps.sdg_id "
                f"WHERE ps.plan_id IN ({marks}) ORDER BY s.number",
                list(found),
            )
            goals: dict[int, SDG] = {}
            for plan_id, pk, number, name, colour in cursor.fetchall():
                if pk not in goals:
                    goals[pk] = SDG(id=pk, number=number, name=name, colour=colour)
                found[plan_id].append(goals[pk])
    for plan in plans:
        plan.card_sdgs = found[plan.pk]
    return plans


@require_GET
@cache.public_page
def home(request: HttpRequest) -> HttpResponse:
    plans = public_plans(request)
    figures = plans.aggregate(plans=Count("pk"), first_year=Min("year"), last_year=Max("year"))
    # Labs and countries as an EXISTS per lab and a DISTINCT subquery: COUNT(DISTINCT …) sorted every
    # published plan, 223 ms at 100,000 plans for each worker's first home page after every publication;
    # these take 1 and 12 ms.
    figures["labs"] = Lab.objects.filter(Exists(plans.filter(lab=OuterRef("pk")))).count()
    figures["countries"] = plans.exclude(country_code="").order_by().values("country_code").distinct().count()
    latest = _cards(_card_fields(plans.order_by("-published_at", "-pk"))[:6])
    context = {"figures": figures, "latest": latest, "structured": _dataset(plans, figures)}
    return render(request, "plans/home.html", context)


def _dataset(plans, figures: dict) -> dict:
    return structured.dataset(figures, plans.aggregate(last=Max("modified_at"))["last"])


@require_GET
@cache.public_page
def open_data(request: HttpRequest) -> HttpResponse:
    """What data users look for in one place: downloads with their dictionary, the latest full dump, the
    catalogue, the API and its rate limits, and the licence."""
    plans = public_plans(request)
    figures = plans.aggregate(plans=Count("pk"), first_year=Min("year"), last_year=Max("year"))
    context = {
        "figures": figures,
        "formats": opendata.FORMATS,
        "dump": dumps.latest(),
        "licence": opendata.licence(),
        "rates": fair_use.published_rates(),
        "structured": _dataset(plans, figures),
    }
    return render(request, "plans/data.html", context)


def _facets(request: HttpRequest, base) -> list:
    """Facet counts, the costly part of list, map and statistics pages: each facet is cached per content
    version and per what it depends on (its values and the other filters; never `page`, `sort` or an
    unknown parameter), so that every new filter combination reuses what it can; those missing are counted
    together (`filters.facets`). Never per reader: these pages count published plans only, the same for
    everyone (`public_plans`)."""

    def rendered(names: list[str]) -> dict:
        found = filters.facets(request.GET, base, names)
        for facet in found.values():  # …and its HTML, which costs as much as its counts once they are indexed
            facet.html = facet.render(first=filters.FACETS.index(facet.name) < 2)
        return found

    keys = filters.facet_keys(request.GET)
    found = cache.get_or_compute_many("facet", keys, rendered, cache.current_version(request))
    return [found[name] for name in filters.FACETS]


@require_GET
@cache.public_page(params=filters.LIST_PARAMETERS)
def plan_list(request: HttpRequest) -> HttpResponse:
    base = public_plans(request)
    filterset = filters.PlanFilter(request.GET, queryset=base)
    # The first COUNT_CAP + 1 ids in the list's order, kept per content version for all its pages; a page
    # then reads its plans by id.
    ids = None
    if filterset.sort_key == "relevance" and search.rankable(filterset.query):  # from the index (RUM)
        unsearched = filters.PlanFilter(filters.without(request.GET, "q"), queryset=base).qs
        ids = search.ranked_ids(unsearched, filterset.query, filters.COUNT_CAP + 1)
    if ids is None and filterset.query:  # ranked (or sorted) in SQL
        ordered = filterset.sorted()
        ids = postings.remembered(
            ("sorted", postings.sql_of(ordered)),
            lambda: list(ordered.values_list("pk", flat=True)[: filters.COUNT_CAP + 1]),
        )
    elif ids is None:  # found in the list's whole order, kept in memory (postings.first)
        whole = filters.ordered(base, filterset.sort_key)
        ids = postings.first(whole, filterset.qs, filters.COUNT_CAP + 1)
    paginator = filters.ListPaginator(_card_fields(base), PAGE_SIZE, ids=ids)
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = _cards(page.object_list)
    if filterset.query:  # snippets for the page shown only, never for every match
        found = search.snippets(filterset.query, [p.pk for p in page.object_list])
        for plan in page.object_list:
            plan.search_snippet = found.get(plan.pk, "")
    facet_list = _facets(request, base)
    return render(
        request,
        "plans/list.html",
        {
            "filter": filterset,
            "page_obj": page,
            "facets": facet_list,
            "chips": presentation.chips(request, facet_list),
            "sort": filterset.sort_key,
            "sorts": filters.SORTS,
            "query": filterset.query,
        },
    )


# The pages a facet's "show all" link leads from: where its form goes back to.
FACET_PAGES = {"list": "plans:list", "map": "plans:map", "stats": "plans:stats"}


@require_GET
@cache.public_page(params=(*filters.FILTER_PARAMETERS, "sort"))
def facet_values(request: HttpRequest, origin: str, name: str) -> HttpResponse:
    """Every value of one tag facet with its count, as checkboxes in a form that goes back to the page the
    reader came from (the list, the map or the statistics) with its other filters, search and order. The
    pages themselves list the top values only and link here ("show all"): a common word's facets hold about
    a thousand tags, which were a third of a list's time and made every list page 230 KB."""
    if name not in filters.TAG_MODELS:
        raise Http404
    facet = filters.facets(request.GET, public_plans(request), [name], every=True)[name]
    values = sorted([*facet.values, *facet.more], key=lambda v: v.label.casefold())
    every = filters.Facet(name, facet.label, values=values)  # its items, built as a facet's are
    sort = filters.chosen_sort(request.GET) if origin == "list" else []
    action = reverse(FACET_PAGES[origin])
    back = urlencode([*filters.filter_params(request.GET), *sort])
    context = {
        "facet": facet,
        "values": values,
        "every": every,
        "kept": [*filters.filter_params(request.GET, without=name), *sort],  # hidden in the form
        "action": action,
        "back": f"{action}?{back}" if back else action,
    }
    return render(request, "plans/facet_values.html", context)


@require_GET
@cache.public_page(plan="slug")  # keyed on this plan's version: stays cached when other plans change
def plan_detail(request: HttpRequest, slug: str) -> HttpResponse:
    # Drafts, submitted and withdrawn plans are 404 to everyone `permissions` does not let preview them.
    try:
        plan = Plan.objects.one_for_reader(request.user, slug=slug)
    except Plan.DoesNotExist:
        raise Http404 from None
    context = presentation.detail_context(plan)
    if plan.status == Plan.Status.PUBLISHED:  # a preview is no article yet
        context["structured"] = structured.article(plan)
    return render(request, "plans/detail.html", context)


def _located(request: HttpRequest, base):
    filterset = filters.PlanFilter(request.GET, queryset=base)
    # Only places on Earth: the database refuses others, but a NaN in the pins would empty the whole map.
    return filterset, filterset.qs.filter(latitude__range=LATITUDE, longitude__range=LONGITUDE)


@require_GET
@cache.public_page(params=filters.FILTER_PARAMETERS)
def plan_map(request: HttpRequest) -> HttpResponse:
    """The map page holds counts only: its script fetches the pins from `map_pins` with the same filters
    (10,000 pins embedded in the page were 2.9 MB of HTML to render on every uncached request)."""
    base = public_plans(request)
    filterset, located = _located(request, base)
    by_code = located.exclude(country_code="").order_by().values_list("country_code").annotate(n=Count("pk"))
    # One entry per country code, in the reader's alphabetical order.
    countries = sorted(((name_of(code), code, n) for code, n in by_code), key=lambda c: by_name(c[0]))
    params = filters.filter_params(request.GET)
    return render(
        request,
        "plans/map.html",
        {
            "filter": filterset,
            "located": located.count(),
            "countries": countries,
            "pins_url": reverse("plans:map-pins") + (f"?{urlencode(params)}" if params else ""),
            "facets": _facets(request, base),
            "tile_url": settings.MAP_TILE_URL,
            "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
        },
    )


@require_GET
@gzip_page  # outside the page cache: cached once, compressed for each client that accepts it
@cache.public_page(params=filters.FILTER_PARAMETERS)
def map_pins(request: HttpRequest) -> JsonResponse:
    """The map's pins, filtered as the map page is, as compact rows `[lat, lng, slug, title, kind, country,
    year]` (190 bytes a plan, 1.9 MB at 10,000, about a sixth of that gzipped), with the detail URL pattern
    and the kinds' labels once. Only this response is compressed: it holds public data only, while compressing
    pages that carry a CSRF token would expose them to BREACH."""
    _filterset, located = _located(request, public_plans(request))
    rows = located.order_by("country", "title").values_list(
        "latitude", "longitude", "slug", "title", "kind", "country_code", "country", "year"
    )
    # The country as the page's language names it (the written name when the plan has no code).
    names = {code: name_of(code) for code in {row[5] for row in rows} if code}
    return JsonResponse(
        {
            "detail": reverse("plans:detail", kwargs={"slug": "SLUG"}),
            "kinds": {key: str(label) for key, label in Plan.Kind.choices},
            "pins": [
                [round(lat, 5), round(lng, 5), slug, title, kind, names.get(code, written), year]
                for lat, lng, slug, title, kind, code, written, year in rows
            ],
        },
        json_dumps_params={"ensure_ascii": False, "separators": (",", ":")},
    )


@require_GET
@cache.public_page(params=filters.FILTER_PARAMETERS)
def stats(request: HttpRequest) -> HttpResponse:
    base = public_plans(request)
    filterset = filters.PlanFilter(request.GET, queryset=base)
    # Cached like the facets: per content version and filters (never page, reader or unknown parameters).
    key = urlencode(filters.filter_params(request.GET))
    figures = cache.get_or_compute("stats", key, lambda: presentation.statistics(filterset), request=request)
    context = {"filter": filterset, "facets": _facets(request, base), **figures}
    return render(request, "plans/stats.html", context)


@require_GET
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No database work here: the error may come from the database itself.
    return render(request, "500.html", status=500)
