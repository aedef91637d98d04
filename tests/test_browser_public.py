"""The public site in a real browser (headless Debian Chromium through Playwright): console errors, axe-core
WCAG 2.1 A/AA audits, keyboard-only filtering, no horizontal scrolling, and screenshots for review."""

from importlib import import_module

import pytest
from django.utils import timezone
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from plans import search
from plans.models import SDG, BlogLink, Evidence, Lab, Plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Loaded by URL from our origin: the Content-Security-Policy refuses an inline copy, as it should.
AXE = "/static/vendor/axe-core/axe.min.js"
WCAG21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture
def site(lab_a, lab_b):
    with search.batch():  # index each plan once, not after each tag: most of the time it takes
        return _site(lab_a, lab_b)


def _site(lab_a, lab_b):
    # Transactional tests flush the tables between tests, SDG rows of the data migration included.
    for number, name, colour in import_module("plans.migrations.0002_sdgs").SDGS:
        SDG.objects.update_or_create(number=number, defaults={"name": name, "colour": colour})
    now = timezone.now()
    benin = Lab.objects.create(name="Accelerator Lab Benin", country="Benin", iso3="BEN")

    def make(**kwargs):
        kwargs.setdefault("status", Plan.Status.PUBLISHED)
        kwargs.setdefault("published_at", now)
        kwargs.setdefault("year", 2023)
        return Plan.objects.create(**kwargs)

    opening = make(
        title="Turning market waste into compost in Hanoi",
        lab=lab_a,
        country="Vietnam",
        latitude=21.03,
        longitude=105.85,
        year=2022,
        plan_name="Compost from markets",
        challenge_statement="Markets throw away <b>40 tonnes</b> of organic waste every day.",
        background="Vendors pay to dump waste.\n\nSee https://example.org/hanoi-waste for the survey.",
        value_proposition="Cheaper fertiliser for peri-urban farmers.",
        tweet_summary="Market waste becomes compost for farmers.",
        partners_overview="City markets board and a farmers' cooperative.",
    )
    opening.methods.add("Ethnography", "Participatory mapping")
    opening.datasources.add("Satellite imagery")
    opening.thematic_areas.add("circular economy")
    opening.sdgs.add(*SDG.objects.filter(number__in=[11, 12, 13]))
    opening.partnerships.create(name="Hanoi Markets Board", sector="government", description="Gives access.")
    opening.learning_questions.create(
        question="Who would buy compost?",
        stages=["sense", "explore"],
        methods_usage="Interviews",
        data_gaps="Prices",
    )
    opening.evidence.create(
        kind=Evidence.Kind.QUANTITATIVE, text="40 tonnes a day", url="https://example.org/d"
    )

    closing = make(
        title="What we learned about informal transport in Lima",
        lab=lab_b,
        country="Peru",
        latitude=-12.05,
        longitude=-77.04,
        kind=Plan.Kind.CLOSING,
        form_version=Plan.FormVersion.CLOSING_V2,
        language="en",
        time_sense=25,
        time_explore=25,
        time_test=40,
        time_grow=10,
        handover_options=["Handed over to a government partner"],
        handover_details="The city took it over.",
        why_data="Mobile data was the only source.",
        why_methods="Fast.",
    )
    closing.insights.create(text="Drivers organise through messaging groups.")
    closing.barriers.create(text="No open data on routes.")
    closing.methods.add("Ethnography")
    closing.blog_links.create(
        url="https://example.org/blog", title="Our blog post", status=BlogLink.Status.APPROVED
    )
    closing.blog_links.create(url="https://example.org/pending", title="Pending post")

    french = make(
        title="Valorisation des déchets ménagers à Cotonou",
        lab=benin,
        country="Benin",
        latitude=6.37,
        longitude=2.39,
        language="fr",
        year=2021,
        challenge_statement="La gestion des déchets ménagers reste un défi pour les municipalités.",
        background="Les ménages paient des pré-collecteurs informels.",
        tweet_summary="Des déchets à la valeur.",
    )
    french.methods.add("Cartographie participative")
    french.sdgs.add(SDG.objects.get(number=11))
    french.learning_questions.create(question="Qui paie la pré-collecte ?", stages=["test"])
    for i in range(25):
        make(
            title=f"Learning plan {i:02d} on solar energy",
            lab=lab_a if i % 2 else lab_b,
            country="Vietnam" if i % 2 else "Peru",
            latitude=10.0 + i,
            longitude=100.0 + i,
            year=2020 + i % 4,
            challenge_statement="Solar mini-grids for villages.",
        )
    make(title="A draft nobody sees", lab=lab_a, status=Plan.Status.DRAFT)
    return {"opening": opening, "closing": closing, "french": french}


def audit(page) -> list[str]:
    page.add_script_tag(url=AXE)
    violations = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations"
        ".map(v => `${v.id} (${v.impact}): ${v.help} — `"
        "  + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))",
        WCAG21_AA,
    )
    return violations


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def pages(site):
    return {
        "home": "/",
        "list": "/plans/?country=Peru&country=Vietnam&methods=ethnography&sort=title",
        "search": "/plans/?q=d%C3%A9chets",
        "opening": site["opening"].get_absolute_url(),
        "closing": site["closing"].get_absolute_url(),
        "french": site["french"].get_absolute_url(),
        "map": "/map/",
        "stats": "/stats/",
    }


def test_it_loads_every_page_without_console_errors_or_accessibility_violations(page, site):
    for name, url in pages(site).items():
        response = page.goto(url)
        assert response.status == 200, name
        page.wait_for_load_state("networkidle")
        assert page.console_errors == [], (name, page.console_errors)
        assert audit(page) == [], name
        assert no_horizontal_scroll(page), name


def test_it_fits_a_360_pixel_screen_and_saves_screenshots(page, site, artifacts_dir):
    for width in (360, 375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        for name, url in pages(site).items():
            page.goto(url)
            page.wait_for_load_state("networkidle")
            assert no_horizontal_scroll(page), (width, name)
            if width != 360 and name in {"list", "opening", "closing", "french", "home", "map", "stats"}:
                page.screenshot(path=str(artifacts_dir / f"public-{name}-{width}.png"), full_page=True)
    assert page.console_errors == []


def test_it_clusters_published_plans_on_the_map(page, site):
    page.goto("/map/")
    page.wait_for_selector(".marker-cluster, .leaflet-marker-icon")
    page.wait_for_selector("path.leaflet-interactive, .leaflet-overlay-pane svg path")

    assert page.locator(".marker-cluster").count() >= 1
    page.wait_for_selector("#plan-map[data-pin-count]")
    assert page.locator("#plan-map").get_attribute("data-pin-count") == "28"
    assert page.console_errors == []


@pytest.mark.parametrize(
    ("language", "zoom_in", "zoom_out", "close"),
    [
        ("en", "Zoom in", "Zoom out", "Close popup"),
        ("fr", "Zoom avant", "Zoom arrière", "Fermer la fenêtre"),
        ("es", "Acercar", "Alejar", "Cerrar la ventana emergente"),
    ],
)
def test_it_labels_the_maps_controls_in_the_pages_language(
    page, site, artifacts_dir, language, zoom_in, zoom_out, close
):
    page.goto("/map/" if language == "en" else f"/{language}/map/")
    page.wait_for_selector(".leaflet-control-zoom-in")
    assert page.locator(".leaflet-control-zoom-in").get_attribute("title") == zoom_in
    assert page.locator(".leaflet-control-zoom-out").get_attribute("title") == zoom_out
    page.wait_for_selector("#plan-map[data-pin-count]")
    pin = page.locator(".leaflet-marker-icon:not(.marker-cluster)")
    if not pin.count():  # every pin in a cluster: open one
        page.locator(".marker-cluster").first.click()
        pin.first.wait_for()
    # Opening a cluster zooms with an animation: a pin clicked while it moves (a loaded machine) may miss;
    # click once the map is still, and again if no popup opened.
    for _ in range(3):
        page.wait_for_function("() => !document.querySelector('.leaflet-zoom-anim')")
        pin.first.click()
        try:
            page.wait_for_selector(".leaflet-popup-close-button", timeout=5000)
            break
        except PlaywrightTimeout:
            continue
    page.wait_for_selector(".leaflet-popup-close-button")
    assert page.locator(".leaflet-popup-close-button").get_attribute("aria-label") == close
    page.screenshot(path=str(artifacts_dir / f"map-controls-{language}.png"))
    assert page.console_errors == []


def test_it_shows_the_location_pin_on_a_plan(page, site):
    page.goto(site["french"].get_absolute_url())
    page.wait_for_selector("#mini-map .pin")

    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").get_attribute("lang") == "fr"
    assert page.console_errors == []


def _tab_to(page, selector, limit=200):
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(sel) => document.activeElement && document.activeElement.matches(sel)", selector):
            return
    raise AssertionError(f"could not reach {selector} with the Tab key")


def _chevron(page, summary: str) -> str:
    return page.eval_on_selector(summary, "s => getComputedStyle(s, '::before').backgroundImage")


def test_it_filters_by_keyboard_alone(page, site):
    page.goto("/plans/")

    _tab_to(page, 'input[name="country"][value="PER"]')
    page.keyboard.press("Space")
    chevron = 'details[data-facet="methods"] > summary'
    closed = _chevron(page, chevron)
    _tab_to(page, chevron)  # closed facets open with Enter
    page.keyboard.press("Enter")
    # A closed facet points its chevron right, an open one down, though every facet sits in the open panel.
    assert "chevron-small-right" in closed and "chevron-small-down" in _chevron(page, chevron)
    _tab_to(page, 'input[name="methods"][value="ethnography"]')
    page.keyboard.press("Space")
    _tab_to(page, ".facets button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert "country=PER" in page.url and "methods=ethnography" in page.url
    assert page.locator(".plan-card__title").all_inner_texts() == [
        "What we learned about informal transport in Lima"
    ]

    _tab_to(page, ".chip")  # the first chip removes the country filter
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert "country=PER" not in page.url and "methods=ethnography" in page.url
    assert len(page.locator(".plan-card__title").all_inner_texts()) == 2

    _tab_to(page, "#sort")
    page.keyboard.press("End")  # selects the last option: title
    _tab_to(page, ".sort button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "sort=title" in page.url
    assert page.console_errors == []


def test_it_answers_404_for_an_unpublished_plan(page, site):
    draft = Plan.objects.get(status=Plan.Status.DRAFT)

    response = page.goto(draft.get_absolute_url())

    assert response.status == 404
