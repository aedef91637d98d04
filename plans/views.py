"""The public site: short function-based views over `Plan.objects.published()` and `permissions`."""

from collections import Counter
from functools import partial
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, Max, Min, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET

from plans import cache, filters, permissions, search
from plans import catalogue as cat
from plans.models import SDG, STAGES, BlogLink, LearningQuestion, Partnership, Plan
from plans.sanitise import answer_html
from plans.uploads import is_image
from plans.validators import LATITUDE, LONGITUDE, link_url

PAGE_SIZE = 20


def public_plans(request: HttpRequest):
    """What the public pages list: published plans, as far as this reader may see them."""
    return permissions.visible_plans(request.user, Plan.objects.published())


CARD_FIELDS = ("title", "slug", "kind", "language", "country", "year", "tweet_summary", "published_at")


def _card_prefetch(qs):
    """What `includes/plan_card.html` shows, and nothing else: a plan row also holds every answer and the
    archive layout (kilobytes of JSON each), and the card shows no lab, method or thematic area."""
    return qs.only(*CARD_FIELDS).prefetch_related("sdgs")


@require_GET
@cache.public_page
def home(request: HttpRequest) -> HttpResponse:
    plans = public_plans(request)
    figures = plans.aggregate(
        plans=Count("pk"),
        labs=Count("lab", distinct=True),
        countries=Count("country", distinct=True, filter=~Q(country="")),
        first_year=Min("year"),
        last_year=Max("year"),
    )
    latest = _card_prefetch(plans.order_by("-published_at", "-pk"))[:6]
    return render(request, "plans/home.html", {"figures": figures, "latest": latest})


def _chips(request: HttpRequest, facet_list) -> list[dict]:
    """Active filters as removable chips: each links to the same page without that one value."""
    labels = {f.name: {v.value: v.label for v in f.values} for f in facet_list}
    names = {f.name: f.label for f in facet_list}
    chips = []
    for name in ("q", *filters.FACETS):
        for value in request.GET.getlist(name):
            if not value.strip():
                continue
            rest = request.GET.copy()
            rest.setlist(name, [v for v in request.GET.getlist(name) if v != value])
            rest.pop("page", None)
            label = labels.get(name, {}).get(value, value)
            chips.append(
                {
                    "facet": names.get(name, _("Search")),
                    "label": label if name != "q" else f"“{value}”",
                    "remove": "?" + rest.urlencode(),
                }
            )
    return chips


def _facets(request: HttpRequest, base) -> list:
    """Facet counts, the costly part of list, map and statistics pages: each facet is cached per content
    version and per what it depends on (its values and the other filters; never `page`, `sort` or an
    unknown parameter), so that every new filter combination reuses what it can. Never per reader: these
    pages count published plans only, the same for everyone (`public_plans`)."""
    version = cache.current_version(request)

    def rendered(compute):
        facet = compute()  # …and its HTML, which costs as much as its counts once they are indexed
        first = filters.FACETS.index(facet.name) < 2
        facet.html = render_to_string("includes/facet.html", {"facet": facet, "open": first})
        return facet

    return filters.facets(
        request.GET,
        base,
        memo=lambda key, compute: cache.get_or_compute("facet", key, partial(rendered, compute), version),
    )


@require_GET
@cache.public_page
def plan_list(request: HttpRequest) -> HttpResponse:
    base = public_plans(request)
    filterset = filters.PlanFilter(request.GET, queryset=base)
    plans = _card_prefetch(filterset.sorted())
    page = Paginator(plans, PAGE_SIZE).get_page(request.GET.get("page"))
    if filterset.query:  # snippets for the page shown only, never for every match
        page.object_list = list(page.object_list)
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
            "chips": _chips(request, facet_list),
            "sort": filterset.sort_key,
            "sorts": filters.SORTS,
            "query": filterset.query,
        },
    )


def _language_name(code: str) -> str:
    try:
        return get_language_info(code)["name_translated"]
    except KeyError:
        return code


def _stage_labels(values) -> list[str]:
    labels = dict(STAGES)
    return [str(labels.get(v, v)) for v in values]


def _section_items(section, plan: Plan, parts: dict, covered: set) -> list[dict]:
    """The answers of one catalogue section, in prompt order, skipping what another section already showed
    (closing forms share sections) and what is empty."""
    items = []
    for prompt in section.prompts:
        kind, name = prompt.target.kind, prompt.target.name
        key = (kind, name) if kind in {cat.FIELD, cat.EVIDENCE, cat.CHECKLIST, cat.PARTNERS} else (kind,)
        if kind in (cat.EXTRA, cat.CHOICE):
            key = ("extra", prompt.key)
        if key in covered:
            continue
        item = None
        if kind == cat.FIELD and getattr(plan, name, ""):
            item = {"type": "answer", "html": answer_html(plan, name)}
        elif kind == cat.PARTNERS and (getattr(plan, name, "") or parts["partnerships"]):
            item = {
                "type": "partners",
                "html": answer_html(plan, name),
                "partners": parts["partnerships"],
            }
            covered.add(("partnerships",))
        elif kind == cat.INSIGHTS and parts["insights"]:
            item = {"type": "list", "items": parts["insights"]}
        elif kind == cat.BARRIERS and parts["barriers"]:
            item = {"type": "list", "items": parts["barriers"]}
        elif kind == cat.BLOGS and parts["blog_links"]:
            item = {"type": "links", "links": parts["blog_links"]}
        elif kind == cat.CHECKLIST and getattr(plan, name, None):
            options = dict(prompt.options)
            item = {"type": "checklist", "options": [options.get(v, v) for v in getattr(plan, name)]}
        elif kind == cat.EVIDENCE and parts["evidence"].get(name):
            item = {"type": "evidence", "items": parts["evidence"][name]}
        elif kind == cat.TIME and parts["time_split"]:
            item = {"type": "time", "split": parts["time_split"]}
        elif kind == cat.LEARNING_QUESTION and parts["questions"]:
            key = ("lq",)
            if key not in covered:
                item = {"type": "questions", "questions": parts["questions"]}
        elif kind == cat.CHOICE and (getattr(plan, name) or parts["extra_by_prompt"].get(prompt.key)):
            value = getattr(plan, name) and getattr(plan, f"get_{name}_display")()
            chosen = [{"label": "", "html": value}] if value else []
            item = {"type": "extra", "answers": chosen + parts["extra_by_prompt"].get(prompt.key, [])}
        elif kind == cat.EXTRA and parts["extra_by_prompt"].get(prompt.key):
            item = {"type": "extra", "answers": parts["extra_by_prompt"][prompt.key]}
        if item:
            covered.add(key)
            items.append({"label": prompt.label, **item})
    return items


def detail_context(plan: Plan) -> dict:
    """Everything `plans/detail.html` needs for one plan, published or not (the admin preview renders
    drafts with it). Sections and prompts come from `plans/catalogue.py` in the order of the form the plan
    answers; content the form does not hold (a plan edited across forms) follows in the catalogue's other
    sections, and archive answers without a field of their own close the page. Answers are
    the clean HTML stored when they were saved (plans/sanitise.py): nothing is sanitised here."""
    evidence: dict[str, list] = {}
    for e in plan.evidence.all():
        evidence.setdefault(e.kind, []).append(
            {
                "html": answer_html(e, "text"),
                "url": link_url(e.url),
                "file": e.file,
                "file_is_image": bool(e.file) and is_image(e.file.name),
                "image_url": link_url(e.image_url),
            }
        )
    sectors, unknown = dict(Partnership.Sector.choices), Partnership.Sector.UNKNOWN
    extra_by_prompt: dict[str, list] = {}
    other_answers: dict[str, list] = {}
    for extra in plan.extra_answers.all():
        if not extra.answer.strip():
            continue
        prompt = cat.match_prompt(extra.prompt) if extra.prompt else None
        answer = {"label": extra.prompt, "html": answer_html(extra, "answer")}
        if prompt and prompt.target.kind in (cat.EXTRA, cat.CHOICE):
            extra_by_prompt.setdefault(prompt.key, []).append(answer)
        else:
            other_answers.setdefault(extra.section or str(_("Other answers")), []).append(answer)
    time_split = None
    if all(v is not None for v in plan.time_split):
        time_split = [
            {"stage": str(label), "key": key, "percent": v}
            for (key, label), v in zip(STAGES, plan.time_split, strict=True)
        ]
    parts = {
        "evidence": evidence,
        "partnerships": [
            {
                "name": p.name,
                "sector": sectors[p.sector] if p.sector != unknown else "",
                "new": p.get_is_new_and_unusual_display() if p.is_new_and_unusual != "unknown" else "",
                "description": answer_html(p, "description"),
            }
            for p in plan.partnerships.all()
        ],
        "questions": [
            {
                "question": answer_html(q, "question"),
                "stages": _stage_labels(q.stages),
                "methods_usage": answer_html(q, "methods_usage"),
                "data_gaps": answer_html(q, "data_gaps"),
            }
            for q in plan.learning_questions.all()
        ],
        "insights": [answer_html(i, "text") for i in plan.insights.all()],
        "barriers": [answer_html(b, "text") for b in plan.barriers.all()],
        "blog_links": [
            b for b in plan.blog_links.all() if b.status == BlogLink.Status.APPROVED and link_url(b.url)
        ],
        "time_split": time_split,
        "extra_by_prompt": extra_by_prompt,
    }
    covered: set = set()
    sections = []
    form = cat.template(plan.form_version)
    rest = [s for t in cat.TEMPLATES.values() for s in t.sections if s not in form.sections]
    by_key: dict[str, dict] = {}
    for section in (*form.sections, *rest):
        items = _section_items(section, plan, parts, covered)
        if not items:
            continue
        if section in rest and section.key in by_key:  # e.g. the first closing form's time split
            by_key[section.key]["items"] += items
            continue
        sections.append({"key": section.key, "label": section.label, "items": items})
        by_key.setdefault(section.key, sections[-1])
    for heading, answers in other_answers.items():
        sections.append(
            {"key": "other", "label": heading, "items": [{"type": "extra", "label": "", "answers": answers}]}
        )
    return {
        "plan": plan,
        "sections": sections,
        "archive_url": reverse("plans:archive", args=[plan.slug]),
        "language_name": _language_name(plan.language),
        "show_email": settings.PUBLIC_FOCAL_POINT_EMAILS,
    }


@require_GET
@cache.public_page
def plan_detail(request: HttpRequest, slug: str) -> HttpResponse:
    # Drafts, submitted and withdrawn plans are 404 to everyone `permissions` does not let preview them.
    plan = get_object_or_404(Plan.objects.for_reader(request.user), slug=slug)
    return render(request, "plans/detail.html", detail_context(plan))


def _located(request: HttpRequest, base):
    filterset = filters.PlanFilter(request.GET, queryset=base)
    # Only places on Earth: the database refuses others, but a NaN in the pins would empty the whole map.
    return filterset, filterset.qs.filter(latitude__range=LATITUDE, longitude__range=LONGITUDE)


@require_GET
@cache.public_page
def plan_map(request: HttpRequest) -> HttpResponse:
    """The map page holds counts only: its script fetches the pins from `map_pins` with the same filters
    (10,000 pins embedded in the page were 2.9 MB of HTML to render on every uncached request)."""
    base = public_plans(request)
    filterset, located = _located(request, base)
    countries = located.exclude(country="").order_by().values_list("country").annotate(n=Count("pk"))
    params = filters.filter_params(request.GET)
    return render(
        request,
        "plans/map.html",
        {
            "filter": filterset,
            "located": located.count(),
            "countries": sorted(countries),
            "pins_url": reverse("plans:map-pins") + (f"?{urlencode(params)}" if params else ""),
            "facets": _facets(request, base),
            "tile_url": settings.MAP_TILE_URL,
            "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
        },
    )


@require_GET
@gzip_page  # outside the page cache: cached once, compressed for each client that accepts it
@cache.public_page
def map_pins(request: HttpRequest) -> JsonResponse:
    """The map's pins, filtered as the map page is, as compact rows `[lat, lng, slug, title, kind, country,
    year]` (190 bytes a plan, 1.9 MB at 10,000, about a sixth of that gzipped), with the detail URL pattern
    and the kinds' labels once. Only this response is compressed: it holds public data only, while compressing
    pages that carry a CSRF token would expose them to BREACH."""
    _filterset, located = _located(request, public_plans(request))
    rows = located.order_by("country", "title").values_list(
        "latitude", "longitude", "slug", "title", "kind", "country", "year"
    )
    return JsonResponse(
        {
            "detail": reverse("plans:detail", kwargs={"slug": "SLUG"}),
            "kinds": {key: str(label) for key, label in Plan.Kind.choices},
            "pins": [[round(lat, 5), round(lng, 5), *rest] for lat, lng, *rest in rows],
        },
        json_dumps_params={"ensure_ascii": False, "separators": (",", ":")},
    )


def _bars(rows, total=None):
    """[(label, count, extra)] → rows with the bar width in percent of the largest (or of `total`)."""
    top = total or max((r[1] for r in rows), default=0) or 1
    return [{"label": r[0], "count": r[1], "percent": round(100 * r[1] / top), "extra": r[2:]} for r in rows]


def _element_counts(queryset, column: str) -> Counter:
    """How many rows of `queryset` hold each value of their JSON list `column`, counted by the database
    (decoding the lists in Python cost 0.1 s at 10,000 plans)."""
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    table = queryset.model._meta.db_table
    if connection.vendor == "postgresql":
        each, is_list = (
            f"jsonb_array_elements_text(t.{column}) AS e(value)",
            f"jsonb_typeof(t.{column}) = 'array'",
        )
    else:
        each, is_list = f"json_each(t.{column}) AS e", f"json_type(t.{column}) = 'array'"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT e.value, COUNT(DISTINCT t.id) FROM {table} t, {each} "
            f"WHERE {is_list} AND t.id IN ({sql}) GROUP BY e.value",
            params,
        )
        return Counter(dict(cursor.fetchall()))


def _statistics(filterset) -> dict:
    """The figures of the statistics page over the plans `filterset` selects."""
    # Filters select plans with IN (never a join), so the filtered queryset is counted directly.
    plans = filterset.qs
    kinds = dict(Plan.Kind.choices)
    per_year: dict = {}
    for year, kind, n in plans.values_list("year", "kind").annotate(n=Count("pk")).order_by("year", "kind"):
        per_year.setdefault(year, Counter())[kind] = n
    total = sum(sum(c.values()) for c in per_year.values())
    years = [
        {"label": year or _("Unknown"), "count": sum(c.values()), "kinds": [c.get(k, 0) for k in kinds]}
        for year, c in per_year.items()
    ]
    top_year = max((y["count"] for y in years), default=1) or 1
    for y in years:
        y["percent"] = round(100 * y["count"] / top_year)
    countries = sorted(filters.counts("country", plans).items(), key=lambda r: (-r[1], r[0]))
    tags = {}
    for name in ("methods", "datasources"):
        tally = filters.counts(name, plans)
        tags[name] = [(t.name, tally[t.pk], t.slug) for t in filters.top_tags(name, tally)[:15]]
    sdg_tally = filters.counts("sdgs", plans)
    sdgs = SDG.objects.order_by("number")
    stage_counts = _element_counts(LearningQuestion.objects.filter(plan_id__in=plans.values("pk")), "stages")
    handover_labels = dict(cat.HANDOVER_OPTIONS)
    handover = _element_counts(plans, "handover_options")
    return {
        "total": total,
        "kinds": list(kinds.values()),
        "years": years,
        "countries": _bars([(c, n, c) for c, n in countries[:30]]),
        "country_count": len(countries),
        "methods": _bars(tags["methods"]),
        "datasources": _bars(tags["datasources"]),
        "sdgs": _bars([(f"{s.number}. {s.name}", sdg_tally.get(s.pk, 0), s.number, s.colour) for s in sdgs]),
        "stages": _bars([(label, stage_counts.get(key, 0)) for key, label in STAGES]),
        "handover": _bars([(handover_labels.get(k, k), n) for k, n in handover.most_common()]),
    }


@require_GET
@cache.public_page
def stats(request: HttpRequest) -> HttpResponse:
    base = public_plans(request)
    filterset = filters.PlanFilter(request.GET, queryset=base)
    # Cached like the facets: per content version and filters (never page, reader or unknown parameters).
    key = urlencode(filters.filter_params(request.GET))
    figures = cache.get_or_compute("stats", key, lambda: _statistics(filterset), request=request)
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
