"""What the public pages show, computed from plans: the sections of a plan's page (in the order of the form
it answers, from plans/catalogue.py), the chips of active filters and the figures of the statistics page.
No requests are answered here: plans/views.py fetches, caches and renders; this module only shapes data."""

import html
import re
from collections import Counter
from functools import lru_cache
from urllib.parse import quote

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import conditional_escape, strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import get_language, get_language_info
from django.utils.translation import gettext as _

from plans import catalogue as cat
from plans import filters, opendata, postings, search
from plans.countries import by_name, name_of
from plans.models import SDG, STAGES, BlogLink, Partnership, Plan
from plans.sanitise import answer_html
from plans.uploads import is_image
from plans.validators import link_url


def chips(request: HttpRequest, facet_list) -> list[dict]:
    """Active filters as removable chips: each links to the same page without that one value."""
    labels = {f.name: {v.value: v.label for v in f.values} for f in facet_list}
    names = {f.name: f.label for f in facet_list}
    found = []
    for name in ("q", *filters.FACETS):
        for value in request.GET.getlist(name):
            if not value.strip():
                continue
            rest = request.GET.copy()
            rest.setlist(name, [v for v in request.GET.getlist(name) if v != value])
            rest.pop("page", None)
            label = labels.get(name, {}).get(value, value)
            found.append(
                {
                    "facet": names.get(name, _("Search")),
                    "label": label if name != "q" else f"“{value}”",
                    "remove": "?" + rest.urlencode(),
                }
            )
    return found


# A plan's card, as lists and the home page show it. Built here rather than by an included template, as a
# facet's items are (`filters.Facet.values_html`): Django's template engine took ~0.25 ms a card (its
# variable lookups, the kind's lazy label, `striptags`), 5 of the ~15 ms a list computed afresh takes;
# this takes ~0.03 ms. Every value is escaped; the snippet is escaped, then marked (`search.highlight`).
_CARD = (
    '<article class="plan-card">\n'
    '  <p class="plan-card__meta">\n'
    '    <span class="tag tag--kind tag--{kind}">{kind_label}</span>\n'
    "    {country}\n"
    "    {year}\n"
    "  </p>\n"
    '  <h3 class="plan-card__title" lang="{language}"><a href="{url}">{title}</a></h3>\n'
    "  {text}\n"
    "  {sdgs}\n"
    "</article>"
)
_CARD_SDG = (
    '<li class="sdg" style="--sdg: {colour}" title="{name}"><span class="visually-hidden">{sdg} </span>'
    "{number}</li>"
)


def card(plan: Plan) -> SafeString:
    """The card of a plan read with `views.CARD_FIELDS` and its SDGs (`views._cards`); with its search excerpt
    (`plan.search_snippet`) on a search's list, else its summary's first forty words."""
    e = html.escape
    language = e(plan.language)
    if plan.search_snippet:
        text = f'<p class="plan-card__snippet" lang="{language}">{search.highlight(plan.search_snippet)}</p>'
    elif plan.tweet_summary:
        summary = Truncator(strip_tags(plan.tweet_summary)).words(40, truncate=" …")
        text = f'<p class="plan-card__summary" lang="{language}">{e(summary)}</p>'
    else:
        text = ""
    sdgs = plan.card_sdgs
    words = _card_words(get_language())
    if sdgs:
        items = "".join(_card_sdg(get_language(), g.number, g.name, g.colour) for g in sdgs)
        sdgs = f'<ul class="sdg-list" aria-label="{words["SDGs"]}">\n    {items}\n  </ul>'
    country = plan.country_name
    return mark_safe(  # noqa: S308 (every value escaped above)
        _CARD.format(
            kind=e(plan.kind),
            kind_label=words["kinds"].get(plan.kind) or e(plan.kind),
            country=f"<span>{e(country)}</span>" if country else "",
            year=f"<span>{plan.year}</span>" if plan.year else "",
            language=language,
            url=e(words["detail"].format(slug=plan.slug)),
            title=e(plan.title),
            text=text,
            sdgs=sdgs or "",
        )
    )


# A card's words in each language, translated and escaped once per process: a page of twenty cards asked
# gettext for about a hundred of them (a kind's label, SDG names, "SDG"), each through Django's lazy strings.
# Its link too, as a pattern (a slug needs no quoting): `reverse()` took ~0.1 ms a card.
@lru_cache(maxsize=16)
def _card_words(language: str) -> dict:
    detail = reverse("plans:detail", kwargs={"slug": "SLUG"})
    return {
        "SDGs": html.escape(_("SDGs")),
        "kinds": {kind: html.escape(str(label)) for kind, label in Plan.Kind.choices},
        "detail": detail.replace("{", "{{").replace("}", "}}").replace("SLUG", "{slug}"),
    }


@lru_cache(maxsize=256)
def _card_sdg(language: str, number: int, name: str, colour: str) -> str:
    goal = SDG(number=number, name=name, colour=colour)
    e = html.escape
    return _CARD_SDG.format(colour=e(colour), name=e(goal.display_name), sdg=e(_("SDG")), number=number)


def language_name(code: str) -> str:
    """A language code (a plan's language: "fr", "pt", …) named in the active language."""
    try:
        return get_language_info(code)["name_translated"]
    except KeyError:
        return code


def _stage_labels(values) -> list[str]:
    labels = dict(STAGES)
    return [str(labels.get(v, v)) for v in values]


def authors_numbers(texts: list[str]) -> bool:
    """Whether each text begins with its own number ("1. …", "2) …"), as a third of the archive's insights
    do: the page's list then shows those numbers alone, not its own before them ("1. 1. …")."""
    return bool(texts) and all(re.match(rf"\s*{n}\s*[.)]", text) for n, text in enumerate(texts, 1))


def _numbered_list(rows) -> dict | None:
    """A plan's insights or barriers for its page: their HTML, and whether the authors numbered them."""
    rows = list(rows)
    if not rows:
        return None
    items = [answer_html(r, "text") for r in rows]
    return {"items": items, "numbered": authors_numbers([r.text for r in rows])}


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
            item = {"type": "list", **parts["insights"]}
        elif kind == cat.BARRIERS and parts["barriers"]:
            item = {"type": "list", **parts["barriers"]}
        elif kind == cat.BLOGS and parts["blog_links"]:
            item = {"type": "links", "links": parts["blog_links"]}
        elif kind == cat.CHECKLIST and getattr(plan, name, None):
            options = [cat.option_label(prompt.options, v) for v in getattr(plan, name)]
            item = {"type": "checklist", "options": options}
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
        "insights": _numbered_list(plan.insights.all()),
        "barriers": _numbered_list(plan.barriers.all()),
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
        "language_name": language_name(plan.language),
        "show_email": settings.PUBLIC_FOCAL_POINT_EMAILS,
        "licence": opendata.licence(),
        # Named only once published, whoever reads (the page is cached for everybody).
        "opening_plan": plan.public_opening_plan,
        "closing_report": plan.public_closing_report,
    }


def _bars(rows, total=None):
    """[(label, count[, value to filter by[, colour]])] → rows with the bar width in percent of the largest
    (or of `total`). Every key is present: a template's lookup of a missing one (`row.extra.1`) raised and
    caught three exceptions, for each of the statistics' hundred rows."""
    top = total or max((r[1] for r in rows), default=0) or 1
    return [
        {
            "label": label,
            "count": count,
            "percent": round(100 * count / top),
            "value": value[0] if value else "",
            "colour": value[1] if len(value) > 1 else "",
        }
        for label, count, *value in rows
    ]


# A chart's rows, built here as a plan's card is: the statistics page has about a hundred, whose five values
# each Django's template engine took ~25 us to look up, localise and escape (16 ms of a page computed afresh).
_BAR_ROW = (
    '<tr><th scope="row">{label}</th>\n'
    '<td class="num">{count}</td>\n'
    '<td class="bar-cell" aria-hidden="true">'
    '<span class="bar" style="width: {percent}%{colour}"></span></td></tr>'
)
_BAR_LINK = '<a href="{url}?{param}={value}">{label}</a>'


# A chart: a table of `bar_rows`, or a line saying there is nothing to chart (its message in a call of its
# own, where makemessages finds it: not in an f-string).
_NOTHING_TO_CHART = "<p>{}</p>"
_BAR_TABLE = '\n<figure class="chart">\n  <figcaption>{caption}</figcaption>\n  {body}\n</figure>\n'
_BAR_TABLE_BODY = (
    '\n  <table class="bar-table">\n'
    '    <thead><tr><th scope="col">{label}</th><th scope="col" class="num">{counted}</th>'
    '<th scope="col"><span class="visually-hidden">{bar}</span></th></tr></thead>\n'
    "    <tbody>\n    {rows}\n    </tbody>\n  </table>\n  "
)


@lru_cache(maxsize=4096)
def _bar_label(label: str, url: str, link_param: str, value: str) -> str:
    """A chart row's label, escaped, and linked to the list filtered by its value when `link_param` names
    the filter: the same on every statistics page (a hundred rows, 0.3 ms of escaping and quoting each
    time), kept per text as a facet value's (`filters._item_text`)."""
    e = html.escape
    if not link_param:
        return e(label)
    return _BAR_LINK.format(url=e(url), param=e(link_param), value=e(quote(value, safe="/")), label=e(label))


def bar_table(caption, rows: list[dict], label_heading, link_param: str = "", count_heading="") -> SafeString:
    """A chart of the statistics page, its caption and headings given translated (escaped here unless
    safe, as the template that it replaces did): six templates included took 0.5 ms of a page."""
    e = conditional_escape
    if rows:
        body = _BAR_TABLE_BODY.format(
            label=e(label_heading),
            counted=e(count_heading or _("Plans")),
            bar=e(_("Bar")),
            rows=bar_rows(rows, link_param),
        )
    else:
        body = _NOTHING_TO_CHART.format(e(_("No data for these filters.")))
    return mark_safe(_BAR_TABLE.format(caption=e(caption), body=body))  # noqa: S308 (escaped above)


# The chart of plans per year and kind (`year_table`): a row per year, a column per kind.
_YEAR_TABLE = '<figure class="chart">\n      <figcaption>{caption}</figcaption>\n      {body}\n    </figure>'
_YEAR_TABLE_BODY = (
    '\n      <table class="bar-table">\n'
    '        <thead><tr><th scope="col">{year}</th>{kinds}<th scope="col" class="num">{total}</th>'
    '<th scope="col"><span class="visually-hidden">{bar}</span></th></tr></thead>\n'
    "        <tbody>{rows}</tbody>\n      </table>\n      "
)
_YEAR_ROW = (
    '\n          <tr><th scope="row">{label}</th>{kinds}<td class="num">{count}</td>\n'
    '          <td class="bar-cell" aria-hidden="true"><span class="bar" style="width: {percent}%"></span>'
    "</td></tr>\n        "
)


def year_table(years: list[dict], kinds: list) -> SafeString:
    """The statistics page's chart of plans per year and kind (`statistics()`'s `years` and `kinds`), as
    its template wrote it: the template's loops over about twenty years took 0.5 ms of a page."""
    e = conditional_escape
    if not years:
        body = _NOTHING_TO_CHART.format(e(_("No data for these filters.")))
    else:
        rows = "".join(
            _YEAR_ROW.format(
                label=e(y["label"]),
                kinds="".join(f'<td class="num">{n}</td>' for n in y["kinds"]),
                count=y["count"],
                percent=y["percent"],
            )
            for y in years
        )
        body = _YEAR_TABLE_BODY.format(
            year=e(_("Year")),
            kinds="".join(f'<th scope="col" class="num">{e(k)}</th>' for k in kinds),
            total=e(_("Total")),
            bar=e(_("Bar")),
            rows=rows,
        )
    return mark_safe(_YEAR_TABLE.format(caption=e(_("Plans per year and kind")), body=body))  # noqa: S308


def bar_rows(rows: list[dict], link_param: str = "") -> SafeString:
    """The rows of a chart table (`_bars`), each label linking to the list filtered by its value when
    `link_param` names the filter."""
    url = reverse("plans:list")
    found = []
    for row in rows:
        label = _bar_label(str(row["label"]), url, link_param, str(row["value"]))
        colour = f"; background: {html.escape(row['colour'])}" if row["colour"] else ""
        found.append(_BAR_ROW.format(label=label, count=row["count"], percent=row["percent"], colour=colour))
    return mark_safe("\n".join(found))  # noqa: S308 (every value escaped above)


def statistics(filterset) -> dict:
    """The figures of the statistics page over the plans `filterset` selects."""
    # Every figure from the bitmaps (plans/postings.py): the plans chosen, and each value's. Grouping the
    # chosen plans by year and kind in SQL took 18 ms at 100,000 plans; decoding every plan's JSON lists
    # (handover, stages) 1.2 s. Years ascending, then plans without a year, on both databases.
    params = filters.filter_params(filterset.data)
    found, matches = postings.current(), filters.selection(params, filterset.queryset)
    kinds = dict(Plan.Kind.choices)
    of_kind = {kind: found.values["kind"].get(kind, 0) & matches for kind in kinds}
    per_year: list[tuple] = []
    undated = matches
    for year, carriers in sorted(found.values["year"].items()):
        chosen = carriers & matches
        if chosen:
            per_year.append((year, chosen))
            undated &= ~carriers
    if undated:
        per_year.append((None, undated))
    years = [
        {
            "label": year or _("Unknown"),
            "count": chosen.bit_count(),
            "kinds": [(chosen & carriers).bit_count() for carriers in of_kind.values()],
        }
        for year, chosen in per_year
    ]
    total = matches.bit_count()
    top_year = max((y["count"] for y in years), default=1) or 1
    for y in years:
        y["percent"] = round(100 * y["count"] / top_year)
    # The most plans first; countries with as many in the reader's alphabetical order (not their codes').
    charted = ("country", "methods", "datasources", "sdgs")
    tally = filters.selected_tallies(charted, params, filterset.queryset)
    language = get_language()
    names = {code: name_of(code, language) for code in tally["country"]}  # once each, not at each comparison
    countries = sorted(tally["country"].items(), key=lambda r: (-r[1], by_name(names[r[0]])))
    tags = {
        name: [(t.label, tally[name][t.pk], t.slug) for t in filters.top_tags(name, tally[name])[:15]]
        for name in ("methods", "datasources")
    }
    sdg_tally = tally["sdgs"]
    sdgs = found.goals().values()
    chosen = filters.counted(matches)
    stage_counts = found.rows(postings.STAGES, chosen)
    handover = Counter(found.tally(postings.HANDOVER, chosen))
    return {
        "total": total,
        "kinds": list(kinds.values()),
        "years": years,
        "countries": _bars([(names[c], n, c) for c, n in countries[:30]]),
        "country_count": len(countries),
        "methods": _bars(tags["methods"]),
        "datasources": _bars(tags["datasources"]),
        "sdgs": _bars([(str(s), sdg_tally.get(s.pk, 0), s.number, s.colour) for s in sdgs]),
        "stages": _bars([(label, stage_counts.get(key, 0)) for key, label in STAGES]),
        "handover": _bars(
            [(cat.option_label(cat.HANDOVER_OPTIONS, k), n) for k, n in handover.most_common()]
        ),
    }
