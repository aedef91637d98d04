"""The three interface languages: the SDGs' official names, the links between a page's language versions,
the staff member's remembered language (the admin, the sign-in pages, e-mails) and Django's set_language
view that remembers it.

Public pages live under /fr/… and /es/… with English unprefixed (acclab/urls.py). Django's LocaleMiddleware
then forces English on every unprefixed path, the admin included: `chosen_language` gives the staff pages
and the API the language the person chose instead (remembered on the user, else the language cookie, else
the browser's Accept-Language), whatever the language of the plan being edited.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, get_script_prefix, reverse, translate_url
from django.utils import translation
from django.utils.encoding import iri_to_uri
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from django.views import i18n

# The official UN short names; the database keeps the English one (SDG.name), the catalogues translate
# these (the French and Spanish official names are in the fr/es catalogues).
SDG_NAMES = {
    1: _("No poverty"),
    2: _("Zero hunger"),
    3: _("Good health and well-being"),
    4: _("Quality education"),
    5: _("Gender equality"),
    6: _("Clean water and sanitation"),
    7: _("Affordable and clean energy"),
    8: _("Decent work and economic growth"),
    9: _("Industry, innovation and infrastructure"),
    10: _("Reduced inequalities"),
    11: _("Sustainable cities and communities"),
    12: _("Responsible consumption and production"),
    13: _("Climate action"),
    14: _("Life below water"),
    15: _("Life on land"),
    16: _("Peace, justice and strong institutions"),
    17: _("Partnerships for the goals"),
}

# Django 6.1's Spanish catalogues leave these untranslated: the blank choice of its forms
# (django.db.models.fields.BLANK_CHOICE_LABEL) and the admin list's search heading (admin/search_form.html,
# read by screen readers); marked here so that our catalogues translate them.
gettext_noop("- Select an option -")
gettext_noop("Search %(name)s")

# Unprefixed paths in the reader's chosen language: the admin and its sign-in, two-factor and password-reset
# pages, the language switch itself, and the API (its documentation and messages; its page cache is keyed on
# the language). The other unprefixed paths are the English public pages, or files and data.
CHOSEN_LANGUAGE_PATHS = ("/admin/", "/reset/", "/i18n/", "/api/")


@dataclass(frozen=True)
class LanguageLink:
    code: str
    name: str  # in its own language ("Français"), as a reader looking for theirs expects
    url: str  # the same page in this language, with its query (the switcher keeps the reader's filters)
    alternate: str  # the same page in this language, absolute and without query (hreflang, like canonical)
    current: bool
    default: bool  # the unprefixed English page: hreflang's x-default


def language_links(request: HttpRequest) -> list[LanguageLink]:
    """The current page in each interface language; a page outside the language-prefixed URLs (the 404 of
    an unknown path) links to itself."""
    here, links = translation.get_language(), []
    for code, _name in settings.LANGUAGES:
        url = _translated(request, code)
        alternate = settings.SITE_URL + url.split("?", 1)[0]
        name = translation.get_language_info(code)["name_local"]
        links.append(LanguageLink(code, name, url, alternate, code == here, code == settings.LANGUAGE_CODE))
    return links


def _translated(request: HttpRequest, code: str) -> str:
    """The request's path and query in the language `code`: its view reversed in that language, as
    `translate_url` does, from the match Django made for the request (`translate_url` resolved the path
    again for each language: 0.1 ms of every page). Outside a view (a 404), `translate_url`."""
    match = request.resolver_match
    if match is None or not match.url_name:
        return translate_url(request.get_full_path(), code)
    name = f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name
    arguments = tuple(match.args), tuple(sorted(match.kwargs.items()))
    path = _reversed_in(code, name, *arguments, get_script_prefix())
    if path is None:
        return translate_url(request.get_full_path(), code)
    query = request.META.get("QUERY_STRING", "")
    return f"{path}?{iri_to_uri(query)}" if query else path


@lru_cache(maxsize=4096)
def _reversed_in(code: str, name: str, args: tuple, kwargs: tuple, _prefix: str) -> str | None:
    """The path of the view `name` with these arguments in the language `code` (None: no such path), kept:
    every page computed afresh links itself in the three languages, which took 0.15 ms of reversing in each
    language. Keyed by the script prefix too, which `reverse` starts paths with."""
    with translation.override(code):
        try:
            return reverse(name, args=args, kwargs=dict(kwargs))
        except NoReverseMatch:
            return None


def remembered_language(user) -> str | None:
    """The interface language `user` chose with set_language, if any (None for anonymous users). Select
    `preference` with the users when asking for many."""
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.preference.language
    except ObjectDoesNotExist:
        return None


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language (cookie, and `next` translated to the chosen language), which also remembers
    the choice on a signed-in user, so that their admin and their e-mails follow it on any device."""
    response = i18n.set_language(request)
    language = request.POST.get(i18n.LANGUAGE_QUERY_PARAMETER)
    if request.method == "POST" and request.user.is_authenticated and language in dict(settings.LANGUAGES):
        from plans.models import UserPreference

        UserPreference.objects.update_or_create(user=request.user, defaults={"language": language})
    return response


def chosen_language(get_response: Callable[[HttpRequest], HttpResponse]):
    """For CHOSEN_LANGUAGE_PATHS, after AuthenticationMiddleware: activate the signed-in user's
    remembered language, else the cookie's or the browser's, which LocaleMiddleware ignores there because
    English is unprefixed."""

    def middleware(request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(CHOSEN_LANGUAGE_PATHS):
            language = remembered_language(request.user) or translation.get_language_from_request(
                request, check_path=False
            )
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return get_response(request)

    return middleware


def language_of(user) -> str:
    """The language in which to write to `user`: the one they chose, else the site's default."""
    return remembered_language(user) or settings.LANGUAGE_CODE
