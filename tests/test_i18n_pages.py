"""No English interface text left on the French and Spanish pages: every public page and the main admin
pages, fetched in English and in the other language, compared against the catalogue.

A catalogue entry whose translation differs from its msgid, and whose msgid (or a literal run of it between
placeholders and tags) is at least two words, must not appear in the translated page's visible text where it
appears in the English page's. Text the catalogue lacks (never marked for translation) is found too: no
piece of text of three words or more is the same on both pages. The plan's own text (elements whose `lang`
differs from the page's) and the fixtures' user data (titles, answers, names) are left out before comparing,
since they are not interface.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.urls import reverse
from django.utils import timezone, translation

from plans.models import SDG, STAGES, BlogLink, Evidence, Plan, UserPreference
from tests.conftest import COMPLETE_CHALLENGE, COMPLETE_INSIGHT, COMPLETE_QUESTION

REPO = Path(__file__).resolve().parent.parent
LANGUAGES = ["fr", "es"]
# Placeholders and tags split a msgid into the literal runs a page can show.
MARKUP = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]|\{[^{}]*\}|<[^>]*>")
# Attributes a reader sees or hears (tooltips, placeholders, screen readers), and the page's descriptions
# (search results, shared link cards).
SHOWN_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label"}
SHOWN_META = {"description", "og:title", "og:description", "og:site_name"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# The fixtures' own words (user data, not interface, whatever language the page is in). The admin shows
# them without a `lang` (form fields, read-only answers) and a French plan's English words keep the page's.
TITLES = {
    Plan.Kind.OPENING: "Opening the water markets",
    Plan.Kind.CLOSING: "Closing the loop on plastic",
    Plan.Kind.HYBRID: "Hybrid waste pickers",
    Plan.Status.DRAFT: "Clean water kiosks",
    Plan.Status.SUBMITTED: "Solar pumps for farms",
}
ANSWERS = {
    "challenge_statement": "Markets are dirty.",
    "tweet_summary": "Less plastic.",
    "method": "Ethnography",
    "datasource": "Satellite data",
    "thematic_area": "recycling",
    "partner": "City hall",
    "partner_description": "Co-design",
    "question": "Who buys plastic?",
    "insight": "Buyers exist.",
    "barrier": "No budget.",
    "evidence": "42 tonnes",
    "extra_section": "End",
    "extra_prompt": "Other",
    "extra_answer": "Thanks a lot",
    "handover": "Handed over to government",  # an imported plan's answer outside the fixed list
}
USER_DATA = [
    "Accelerator Lab Viet Nam",
    "Accelerator Lab Peru",
    *TITLES.values(),
    *[f"{status.title()} blog" for status in BlogLink.Status],
    *ANSWERS.values(),
    COMPLETE_CHALLENGE,  # what plan_factory gives a draft so that it may be submitted
    COMPLETE_QUESTION,
    COMPLETE_INSIGHT,
]
# Every page, even the feed and the 404, shows at least this many translated sentences of two words or more.
MIN_TRANSLATED = 4
WORD = re.compile(r"[^\W\d_]{2,}")


def phrases(language: str) -> dict[str, str]:
    """English phrase -> its translation (whitespace collapsed): every literal run of two or more words of a
    translated entry that the translation does not keep as it is (a brand name, a placeholder's neighbour)."""
    po = polib.pofile(str(REPO / "locale" / language / "LC_MESSAGES" / "django.po"))
    found = {}
    for entry in po:
        if entry.obsolete or not entry.translated():
            continue
        pairs = [(entry.msgid, entry.msgstr)] if not entry.msgid_plural else []
        pairs += [
            (entry.msgid if n == 0 else entry.msgid_plural, text) for n, text in entry.msgstr_plural.items()
        ]
        for source, text in pairs:
            if source == text:
                continue
            for run in MARKUP.split(source):
                run = " ".join(run.split()).strip(" .,:;()·–—")
                text = " ".join(text.split())
                if len(run.split()) >= 2 and run not in text:
                    found[run] = text
    return found


class VisibleText(HTMLParser):
    """The text a reader of `language` sees, without elements in another language (the plan's own text),
    scripts, styles and form fields' contents (user data)."""

    HIDDEN = {"script", "style", "textarea", "template", "noscript"}

    def __init__(self, language: str):
        super().__init__(convert_charrefs=True)
        self.language = language
        self.stack: list[tuple[str, bool]] = []  # (tag, skipped), skipped inherited by children
        self.parts: list[str] = []
        self.root_lang = None

    def skipping(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        lang = attrs.get("lang") or attrs.get("xml:lang")
        if self.root_lang is None:  # <html lang>, or the feed's <feed xml:lang>
            self.root_lang = lang or ""
        hidden = (
            "hidden" in attrs or "hidden" in (attrs.get("class") or "").split()
        )  # the admin's hidden rows
        skipped = self.skipping() or tag in self.HIDDEN or hidden or bool(lang and lang != self.language)
        if not skipped:
            self.parts += [attrs[a] for a in SHOWN_ATTRIBUTES if attrs.get(a)]
            if tag == "meta" and (attrs.get("name") or attrs.get("property")) in SHOWN_META:
                self.parts.append(attrs.get("content") or "")
            if tag == "input" and attrs.get("type") in {"submit", "button", "reset"} and attrs.get("value"):
                self.parts.append(attrs["value"])
        if tag not in VOID:
            self.stack.append((tag, skipped))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        # Unclosed <p>/<li>: close up to the matching tag; a stray end tag closes nothing.
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        if not self.skipping():
            self.parts.append(data)


def visible(content: bytes, language: str) -> tuple[list[str], str | None]:
    """The pieces of visible text (whitespace collapsed, user data cut out) and the page's language."""
    parser = VisibleText(language)
    parser.feed(content.decode())
    pieces = []
    for part in parser.parts:
        text = " ".join(part.replace("\xa0", " ").replace("\u202f", " ").split())
        for data in USER_DATA:
            text = text.replace(data, "|")
        pieces += [piece.strip() for piece in text.split("|") if piece.strip()]
    return pieces, parser.root_lang


def compare(pages, language, get) -> tuple[list[str], list[str]]:
    """Fetch each (name, English URL, translated URL) with `get`; return the untranslated phrases (with the
    page) and the problems of the translated pages (status, html lang, too few translated phrases)."""
    catalogue = phrases(language)
    untranslated, problems = [], []
    for name, english_url, translated_url, status in pages:
        english, translated = get(english_url, "en"), get(translated_url, language)
        if (english.status_code, translated.status_code) != (status, status):
            problems.append(f"{name}: status {english.status_code}/{translated.status_code}, not {status}")
            continue
        english_pieces, _lang = visible(english.content, "en")
        translated_pieces, page_language = visible(translated.content, language)
        if page_language != language:
            problems.append(f"{name}: the page says it is in {page_language!r}")
        english_text, translated_text = " | ".join(english_pieces), " | ".join(translated_pieces)
        shown = [p for p in catalogue if p in english_text]
        untranslated += [f"{name}: {p!r}" for p in shown if p in translated_text]
        same = set(english_pieces) & set(translated_pieces)
        untranslated += [
            f"{name}: {p!r} (the same as in English)"
            for p in sorted(same)
            if len(p.split()) >= 3 <= len(WORD.findall(p))
        ]
        done = {text for text in catalogue.values() if len(text.split()) >= 2 and text in translated_text}
        if len(done) < MIN_TRANSLATED:
            problems.append(f"{name}: only {len(done)} translated phrases")
    return untranslated, problems


@pytest.fixture
def plans(plan_factory, lab_a):
    """A published plan of each kind with children, tags and SDGs, a draft and a submitted plan of lab A."""
    made = {}
    for kind, form_version, language in [
        (Plan.Kind.OPENING, Plan.FormVersion.OPENING, "en"),
        (Plan.Kind.CLOSING, Plan.FormVersion.CLOSING_V2, "fr"),
        (Plan.Kind.HYBRID, Plan.FormVersion.HYBRID, "es"),
    ]:
        plan = plan_factory(
            title=TITLES[kind],
            kind=kind,
            form_version=form_version,
            language=language,
            status=Plan.Status.PUBLISHED,
            published_at=timezone.now(),
            challenge_statement=ANSWERS["challenge_statement"],
            challenge_type="big_bet",
            tweet_summary=ANSWERS["tweet_summary"],
            time_sense=10,
            time_explore=20,
            time_test=30,
            time_grow=40,
            handover_options=["programming", "private_sector", ANSWERS["handover"]],
            latitude=6.37,
            longitude=2.39,
        )
        plan.methods.add(ANSWERS["method"])
        plan.datasources.add(ANSWERS["datasource"])
        plan.thematic_areas.add(ANSWERS["thematic_area"])
        plan.sdgs.add(SDG.objects.get(number=12), SDG.objects.get(number=6))
        plan.partnerships.create(
            name=ANSWERS["partner"], sector="government", description=ANSWERS["partner_description"]
        )
        plan.learning_questions.create(question=ANSWERS["question"], stages=["sense", "test"])
        plan.insights.create(text=ANSWERS["insight"])
        plan.barriers.create(text=ANSWERS["barrier"])
        plan.evidence.create(
            kind=Evidence.Kind.QUANTITATIVE, text=ANSWERS["evidence"], url="https://example.org/d"
        )
        for status in BlogLink.Status:
            plan.blog_links.create(
                url=f"https://example.org/{status}", title=f"{status.title()} blog", status=status
            )
        plan.extra_answers.create(
            section=ANSWERS["extra_section"], prompt=ANSWERS["extra_prompt"], answer=ANSWERS["extra_answer"]
        )
        made[kind] = plan
    for status in (Plan.Status.DRAFT, Plan.Status.SUBMITTED):
        made[status] = plan_factory(
            title=TITLES[status], status=status, challenge_statement=ANSWERS["challenge_statement"]
        )
    return made


def report(untranslated, problems):
    assert (untranslated, problems) == ([], []), "\n".join(["untranslated:", *untranslated, *problems])


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_it_leaves_no_english_interface_text_on_the_public_pages(client, settings, plans, language):
    settings.DEBUG = False  # the site's 404 page, not Django's technical one
    paths = [
        ("home", "/", 200),
        ("list", "/plans/", 200),
        ("filtered list", "/plans/?kind=closing&sdgs=12&thematic_areas=recycling", 200),
        ("search", "/plans/?q=plastic", 200),
        ("search without results", "/plans/?q=zzzzqqq", 200),
        ("bogus page", "/plans/?page=bogus", 200),
        *[(f"{kind} plan", f"/plans/{plans[kind].slug}/", 200) for kind in Plan.Kind],
        ("map", "/map/", 200),
        ("statistics", "/stats/", 200),
        ("every value of a facet", "/stats/values/thematic_areas/?kind=closing", 200),
        ("404", "/plans/no-such-plan/", 404),
        ("feed", "/feeds/plans/", 200),
    ]
    pages = [(name, path, f"/{language}{path}", status) for name, path, status in paths]

    untranslated, problems = compare(pages, language, lambda url, _language: client.get(url))

    report(untranslated, problems)


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("persona", ["focal_point", "reviewer"])
def test_it_leaves_no_english_interface_text_in_the_admin(client, request, plans, language, persona):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    paths = [
        ("admin index", reverse("admin:index")),
        ("plan list", reverse("admin:plans_plan_changelist")),
        ("plan list filtered", reverse("admin:plans_plan_changelist") + "?status__exact=published"),
        ("blog links", reverse("admin:plans_bloglink_changelist")),
        ("history", reverse("admin:plans_plan_history", args=[plans[Plan.Kind.CLOSING].pk])),
    ]
    if persona == "focal_point":
        paths += [
            ("draft change form", reverse("admin:plans_plan_change", args=[plans[Plan.Status.DRAFT].pk])),
            ("draft preview", reverse("admin:plans_plan_preview", args=[plans[Plan.Status.DRAFT].pk])),
            ("new plan choice", reverse("admin:plans_plan_add")),
            ("opening add form", reverse("admin:plans_plan_add") + "?form=opening"),
            ("closing add form", reverse("admin:plans_plan_add") + "?form=closing_v2"),
            ("older closing add form", reverse("admin:plans_plan_add") + "?form=closing_v1"),
        ]
    else:
        pending = plans[Plan.Kind.CLOSING].blog_links.get(status=BlogLink.Status.PENDING)
        paths += [
            ("review queue", reverse("admin:plans_plan_review_queue")),
            (
                "submitted change form",
                reverse("admin:plans_plan_change", args=[plans[Plan.Status.SUBMITTED].pk]),
            ),
            ("published change form", reverse("admin:plans_plan_change", args=[plans[Plan.Kind.HYBRID].pk])),
            ("blog link change form", reverse("admin:plans_bloglink_change", args=[pending.pk])),
            ("blog link rejection", reverse("admin:plans_bloglink_reject", args=[pending.pk])),
        ]
    pages = [(f"{persona} {name}", path, path, 200) for name, path in paths]

    def get(url, language):
        UserPreference.objects.update_or_create(user=user, defaults={"language": language})
        return client.get(url)

    untranslated, problems = compare(pages, language, get)

    report(untranslated, problems)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", *LANGUAGES])
def test_it_shows_a_read_only_learning_questions_stages_by_their_labels(client, reviewer, plans, language):
    # A reviewer sees a published plan read-only: the stages by their labels, not the stored keys' list.
    UserPreference.objects.create(user=reviewer, language=language)
    client.force_login(reviewer)
    response = client.get(reverse("admin:plans_plan_change", args=[plans[Plan.Kind.HYBRID].pk]))
    pieces, _lang = visible(response.content, language)
    with translation.override(language):
        labels = ", ".join(str(label) for key, label in STAGES if key in ("sense", "test"))
    assert labels in pieces
    assert not [p for p in pieces if '"sense"' in p]


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_it_translates_the_admin_words_djangos_own_catalogue_leaves_english(
    client, reviewer, plans, language
):
    UserPreference.objects.create(user=reviewer, language=language)
    client.force_login(reviewer)
    page = client.get(reverse("admin:plans_bloglink_changelist")).content.decode()
    with translation.override(language):
        expected = [
            translation.gettext("- Select an option -"),
            translation.gettext("Search %(name)s") % {"name": BlogLink._meta.verbose_name_plural},
        ]
    assert expected[0] != "- Select an option -" and not expected[1].startswith("Search ")
    assert [text in page for text in expected] == [True, True]
