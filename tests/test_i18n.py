"""The interface in English (unprefixed), French (/fr/) and Spanish (/es/): page languages, alternates and
switcher, the page cache, the staff member's remembered language in the admin, e-mails in the recipient's
language, the SDGs' official names, and a plan's own text marked with its language."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.core.cache import caches
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from django.utils.autoreload import file_changed

from plans import cache
from plans.i18n import SDG_NAMES
from plans.models import SDG, Plan, UserPreference
from tests.conftest import whole_sitemap

SITE = "http://127.0.0.1:8000"  # settings.SITE_URL of the test settings


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]*)"', response.content.decode())[1]


@pytest.fixture
def published(plan_factory):
    plan = plan_factory(title="Les déchets de Dakar", language="fr", status=Plan.Status.PUBLISHED)
    plan.sdgs.add(SDG.objects.get(number=1))
    return plan


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/plans/", "/map/", "/stats/"])
def test_it_serves_english_unprefixed_and_french_and_spanish_under_their_prefixes(client, path):
    # A French browser on an unprefixed URL still gets the English page: one URL, one language.
    english = client.get(path, HTTP_ACCEPT_LANGUAGE="fr")
    french, spanish = client.get("/fr" + path), client.get("/es" + path)
    assert [r.status_code for r in (english, french, spanish)] == [200, 200, 200]
    assert [html_lang(r) for r in (english, french, spanish)] == ["en", "fr", "es"]
    assert french["Content-Language"] == "fr"


@pytest.mark.django_db
def test_it_keeps_every_unprefixed_url_working(client, published):
    for path in [
        "/feeds/plans/",
        "/sitemap.xml",
        "/robots.txt",
        "/healthz",
        "/api/plans/",
        f"/plans/{published.slug}/",
    ]:
        assert client.get(path).status_code == 200, path
    with translation.override("en"):  # (a request leaves its language active in the test's thread)
        assert published.get_absolute_url() == f"/plans/{published.slug}/"
    with translation.override("fr"):
        assert published.get_absolute_url() == f"/fr/plans/{published.slug}/"


@pytest.mark.django_db
def test_it_links_every_language_version_with_hreflang(client, published):
    page = client.get(f"/es/plans/{published.slug}/").content.decode()
    alternates = dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', page))
    assert alternates == {
        "en": f"{SITE}/plans/{published.slug}/",
        "fr": f"{SITE}/fr/plans/{published.slug}/",
        "es": f"{SITE}/es/plans/{published.slug}/",
        "x-default": f"{SITE}/plans/{published.slug}/",
    }


@pytest.mark.django_db
def test_it_shows_a_language_switcher_that_keeps_the_page_and_its_filters(client):
    page = client.get("/fr/plans/?kind=plan&q=eau").content.decode()
    switcher = re.search(r'<nav class="languages".*?</nav>', page, re.S)[0]
    links = re.findall(
        r'<a href="([^"]+)" hreflang="(\w+)" lang="\w+"( aria-current="true")?>([^<]+)</a>', switcher
    )
    assert [
        (href.replace("&amp;", "&"), code, bool(current), name) for href, code, current, name in links
    ] == [
        ("/plans/?kind=plan&q=eau", "en", False, "English"),
        ("/fr/plans/?kind=plan&q=eau", "fr", True, "français"),
        ("/es/plans/?kind=plan&q=eau", "es", False, "español"),
    ]


@pytest.mark.django_db
def test_it_switches_language_from_a_plan_a_search_and_a_missing_page(client, published, settings):
    settings.DEBUG = False  # the site's 404 page, which has the switcher too

    def switcher(path: str) -> list[str]:
        page = client.get(path).content.decode()
        nav = re.search(r'<nav class="languages".*?</nav>', page, re.S)[0]
        return [href.replace("&amp;", "&") for href in re.findall(r'<a href="([^"]+)" hreflang=', nav)]

    slug = published.slug
    assert switcher(f"/fr/plans/{slug}/") == [f"/plans/{slug}/", f"/fr/plans/{slug}/", f"/es/plans/{slug}/"]
    # The query as the reader's browser sent it, percent-encoded.
    assert switcher("/es/plans/?q=%C3%A9t%C3%A9&sort=title") == [
        f"{prefix}/plans/?q=%C3%A9t%C3%A9&sort=title" for prefix in ("", "/fr", "/es")
    ]
    # A path of no page is no page in any language: its switcher links to itself.
    assert switcher("/fr/nowhere/?x=1") == ["/fr/nowhere/?x=1"] * 3


@pytest.mark.django_db
def test_it_never_serves_a_cached_page_in_another_language(client, published):
    first = {prefix: client.get(prefix + "/plans/") for prefix in ("", "/fr", "/es")}
    again = {prefix: client.get(prefix + "/plans/") for prefix in ("", "/fr", "/es")}
    assert {p: html_lang(r) for p, r in again.items()} == {"": "en", "/fr": "fr", "/es": "es"}
    assert all(again[p].content == first[p].content for p in first)  # each answered from its own entry

    # The same path asked in two languages (as the staff pages are) makes two entries, not one.
    view = cache.public_page(lambda request: HttpResponse(translation.get_language()))
    request = RequestFactory().get("/same/")
    request.user = AnonymousUser()
    answers = []
    for language in ("en", "fr", "en", "es"):
        with translation.override(language):
            answers.append(view(request).content.decode())
    assert answers == ["en", "fr", "en", "es"]


@pytest.mark.django_db
def test_it_renders_the_header_and_footer_once_per_language_and_marks_the_current_page(client, published):
    def nav(response) -> tuple:
        page = response.content.decode()
        current = re.search(r'<a href="([^"]*)" aria-current="page">([^<]*)</a>', page)
        footer = re.search(r'<footer class="site-footer">.*?<p>([^<]*)</p>', page, re.S)[1]
        return (current[1], current[2]) if current else None, footer

    fragments = caches["fragments"]
    asked = [
        ("/stats/", "en"),
        ("/fr/stats/", "fr"),
        ("/plans/", "en"),
        ("/es/plans/", "es"),
        ("/map/", "en"),
    ]
    first = [nav(client.get(path)) for path, _ in asked]
    rendered = len(fragments._cache)
    caches["default"].clear()  # the pages computed again, their header and footer not
    again = [nav(client.get(path)) for path, _ in asked]
    assert again == first  # the second time from the fragments cache: the same header and footer
    # The head's links and the footer in each of the 3 languages, the header in each language of each view.
    assert rendered == len(fragments._cache) == 3 + 3 + 5
    assert [current for current, _ in first] == [
        ("/stats/", "Statistics"),
        ("/fr/stats/", "Statistiques"),
        ("/plans/", "Browse"),
        ("/es/plans/", "Consultar"),
        ("/map/", "Map"),
    ]
    footers = {language: footer for (_, language), (_, footer) in zip(asked, first, strict=True)}
    assert footers["en"] == "Action Learning Plans of the UNDP Accelerator Labs Network."
    assert len(set(footers.values())) == 3  # one per language
    # A plan's page marks no menu entry, and a page of no view none either.
    assert nav(client.get(f"/fr/plans/{published.slug}/"))[0] is None
    assert nav(client.get("/fr/nowhere/"))[0] is None
    # The development server, told that a template changed, renders them again.
    file_changed.send(sender=None, file_path=Path(settings.BASE_DIR) / "templates" / "base.html")
    assert len(fragments._cache) == 0


@pytest.mark.django_db
def test_it_remembers_the_staff_members_language_and_uses_it_in_the_admin(client, superuser, plan_factory):
    plan = plan_factory(language="es")
    client.force_login(superuser)
    response = client.post("/i18n/setlang/", {"language": "fr", "next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert UserPreference.objects.get(user=superuser).language == "fr"

    # On another device (no language cookie, an English browser) the admin is still in French, and so is
    # the change form of a Spanish plan.
    elsewhere = type(client)()
    elsewhere.force_login(superuser)
    for path in ["/admin/", reverse("admin:plans_plan_change", args=[plan.pk])]:
        response = elsewhere.get(path, HTTP_ACCEPT_LANGUAGE="en")
        assert (response.status_code, html_lang(response), response["Content-Language"]) == (200, "fr", "fr")
    with translation.override("fr"):
        french_title = translation.gettext("Authoring and review")
    assert (
        french_title != "Authoring and review" and french_title in elsewhere.get("/admin/").content.decode()
    )


@pytest.mark.django_db
def test_it_shows_a_language_selector_in_the_admin_and_follows_the_browser_before_sign_in(client):
    page = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="es")
    assert html_lang(page) == "es"
    assert 'action="/i18n/setlang/"' in page.content.decode()
    assert '<option value="fr" lang="fr">français</option>' in page.content.decode()
    client.post("/i18n/setlang/", {"language": "fr", "next": "/admin/login/"})
    assert html_lang(client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="es")) == "fr"  # the cookie's choice
    assert not UserPreference.objects.exists()  # nobody to remember it on


@pytest.mark.django_db
def test_it_mails_each_recipient_in_their_language(
    plan_factory, focal_point, reviewer, django_user_model, lab_a, django_capture_on_commit_callbacks
):
    colleague = django_user_model.objects.create_user("carol", "carol@example.org", "pw", is_staff=True)
    lab_a.members.add(colleague)
    UserPreference.objects.create(user=focal_point, language="fr")
    plan = plan_factory(title="Waste pickers", language="es", status=Plan.Status.SUBMITTED)
    with translation.override("es"), django_capture_on_commit_callbacks(execute=True):
        plan.return_to_author(by=reviewer, comment="Please add the time split")
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    expected = {}
    for address, language in [("alice@example.org", "fr"), ("carol@example.org", "en")]:
        with translation.override(language):
            announcement = translation.gettext("%(actor)s returned the plan “%(plan)s” to its authors.") % {
                "actor": "rita",
                "plan": "Waste pickers",
            }
            expected[address] = translation.gettext("[AccLab Plans] %(announcement)s") % {
                "announcement": announcement
            }
    assert subjects == expected
    # The French catalogue is compiled: alice's mail is really French, carol's English (neither the
    # plan's Spanish nor the acting request's).
    assert subjects["alice@example.org"] != subjects["carol@example.org"]
    assert subjects["carol@example.org"].startswith("[AccLab Plans] rita returned the plan")


@pytest.mark.django_db
def test_it_names_the_sdgs_officially_in_each_language(client, published):
    assert SDG.objects.get(number=13).name == "Climate action"  # the database keeps the English name
    with translation.override("fr"):
        assert SDG.objects.get(number=1).display_name == "Pas de pauvreté"
        assert str(SDG.objects.get(number=2)).replace("\xa0", " ") == "2. Faim « zéro »"  # French spacing
    with translation.override("es"):
        assert SDG.objects.get(number=1).display_name == "Fin de la pobreza"
    assert len(SDG_NAMES) == 17 and set(SDG_NAMES) == set(SDG.objects.values_list("number", flat=True))
    # Wherever a name is shown: the plan page, its card (the list), the facets and the statistics.
    for path in [f"/fr/plans/{published.slug}/", "/fr/plans/", "/fr/stats/"]:
        assert "Pas de pauvreté" in client.get(path).content.decode(), path
    assert "Fin de la pobreza" in client.get("/es/plans/").content.decode()
    assert "No poverty" in client.get("/plans/").content.decode()
    # A card's goals in each language, one language after another (its words are kept per language).
    goals = [
        ("/fr", "Pas de pauvreté", "ODD"),
        ("/es", "Fin de la pobreza", "ODS"),
        ("", "No poverty", "SDG"),
    ]
    for prefix, name, sdg in goals:
        page = client.get(f"{prefix}/plans/?sort=title").content.decode()
        assert f'title="{name}"><span class="visually-hidden">{sdg} </span>1</li>' in page, prefix


@pytest.mark.django_db
def test_it_shows_the_sdg_names_in_the_staff_members_language_in_the_admin(client, superuser):
    UserPreference.objects.create(user=superuser, language="es")
    client.force_login(superuser)
    assert "Hambre cero" in client.get(reverse("admin:plans_sdg_changelist")).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", ["", "/fr", "/es"])
def test_it_marks_a_plans_own_text_with_its_language_on_any_interface(client, published, prefix):
    detail = client.get(f"{prefix}/plans/{published.slug}/").content.decode()
    assert re.search(r'<h1 lang="fr">Les déchets de Dakar</h1>', detail)
    card = client.get(f"{prefix}/plans/").content.decode()
    assert re.search(r'<h3 class="plan-card__title" lang="fr"><a href="[^"]+">Les déchets de Dakar</a>', card)
    # The card's interface parts (kind, SDG labels) are in the interface's language, not the plan's.
    assert '<article class="plan-card">' in card


@pytest.mark.django_db
def test_it_lists_every_language_version_in_the_sitemap_and_translates_the_feed(client, published):
    sitemap = whole_sitemap(client)
    for prefix in ("", "/fr", "/es"):
        assert f"<loc>http://testserver{prefix}/plans/{published.slug}/</loc>" in sitemap
    assert f'hreflang="x-default" href="http://testserver/plans/{published.slug}/"' in sitemap
    feed = client.get("/fr/feeds/plans/").content.decode()
    assert 'xml:lang="fr"' in feed and f"http://testserver/fr/plans/{published.slug}/" in feed
    with translation.override("fr"):
        assert translation.gettext("Action Learning Plans of the UNDP Accelerator Labs") in feed


@pytest.mark.django_db
def test_it_mails_a_password_reset_in_the_recipients_language(client, reviewer, mailoutbox):
    UserPreference.objects.create(user=reviewer, language="fr")
    client.post("/admin/password_reset/", {"email": "rita@example.org"}, HTTP_ACCEPT_LANGUAGE="en")
    with translation.override("fr"):
        expected = translation.gettext("Password reset on %(site_name)s") % {"site_name": "127.0.0.1:8000"}
    assert [m.subject for m in mailoutbox] == [expected]
    assert expected.startswith("Réinitialisation")


@pytest.mark.django_db
def test_it_answers_the_api_in_the_readers_language_at_its_unprefixed_urls(client):
    french = client.get("/api/plans/no-such-plan/", HTTP_ACCEPT_LANGUAGE="fr")
    english = client.get("/api/plans/no-such-plan/", HTTP_ACCEPT_LANGUAGE="en")
    assert (french.status_code, french["Content-Language"], english["Content-Language"]) == (404, "fr", "en")
    assert french.json()["detail"].startswith("Aucun") and english.json()["detail"].startswith("No ")
