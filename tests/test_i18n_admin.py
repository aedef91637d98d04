"""The superuser's admin in French and Spanish: every registered model's list, add and change pages compared
against English and the catalogue (tests/test_i18n_pages.py's rules), the apps and models of the third-party
apps named in the language (plans/third_party.py), the icons' texts, the plan form's hidden field; and the
texts the map's script shows, from the djangojs catalogue."""

import json
import re
from pathlib import Path

import polib
import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from plans.audit import AuditEvent
from plans.models import SDG, Plan, UserPreference
from tests import test_i18n_pages as pages
from tests.test_i18n_pages import LANGUAGES, compare, report

plans = pages.plans  # the fixture: a published plan of each kind, a draft, a submitted plan

REPO = Path(__file__).resolve().parent.parent
# Names that are the same word in English and in a translation (French "Configuration", "Plans").
SAME_WORD = {"fr": {"Plans", "Configuration", "Dates", "Code", "Archive", "Blogs", "Plan"}, "es": set()}
ENGLISH_ALT = {"Search", "True", "False", "None"}


def admin_urls(client) -> list[tuple[str, str]]:
    """(name, URL) of the index and of every registered model's list, add form and first object's change
    form that the superuser may open."""
    urls = [("index", reverse("admin:index"))]
    for model in admin.site._registry:
        info = f"{model._meta.app_label}_{model._meta.model_name}"
        urls.append((f"{info} list", reverse(f"admin:{info}_changelist")))
        try:
            urls.append((f"{info} add", reverse(f"admin:{info}_add")))
        except NoReverseMatch:
            pass
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            urls.append((f"{info} change", reverse(f"admin:{info}_change", args=[first.pk])))
    return urls


@pytest.fixture
def speaker(client, superuser):
    """A `get(url, language)` for the superuser, in that language (remembered on the user)."""
    client.force_login(superuser)

    def get(url, language):
        UserPreference.objects.update_or_create(user=superuser, defaults={"language": language})
        return client.get(url)

    return get


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_it_leaves_no_english_interface_text_in_the_superusers_admin(
    client, speaker, plans, language, monkeypatch
):
    # Rows of the database, not interface: the permissions' and groups' names, audit details, SDG names.
    data = [
        *Permission.objects.values_list("name", flat=True),
        *Group.objects.values_list("name", flat=True),
        *AuditEvent.objects.values_list("detail", flat=True),
        *SDG.objects.values_list("name", flat=True),  # the record the SDG form edits (its English name)
    ]
    data = sorted({text for text in data if text}, key=len, reverse=True)
    monkeypatch.setattr(pages, "USER_DATA", [*pages.USER_DATA, *data])
    found = []
    for name, url in admin_urls(client):
        status = speaker(url, "en").status_code
        if status != 403:  # lists with no add form (audit log, access attempts) refuse it in any language
            found.append((f"superuser {name}", url, url, status))
    assert len(found) > 30

    untranslated, problems = compare(found, language, speaker)

    report(untranslated, problems)


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_it_names_every_admin_app_and_model_in_the_language(speaker, language):
    def names(language_code):
        """{(app label, model or ""): name} as the index shows them (lazy names read in that language)."""
        app_list = speaker(reverse("admin:index"), language_code).context["app_list"]
        with translation.override(language_code):
            found = {(app["app_label"], ""): str(app["name"]) for app in app_list}
            found |= {
                (app["app_label"], m["object_name"]): str(m["name"])
                for app in app_list
                for m in app["models"]
            }
        return found

    english, translated = names("en"), names(language)
    assert set(english) == set(translated)
    pairs = [(english[key], translated[key]) for key in english]
    same = [english for english, text in pairs if english == text and english not in SAME_WORD[language]]
    assert len(pairs) > 20
    assert same == []
    assert not [text for _, text in pairs if "_" in text]  # no "Otp_Totp"


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_it_translates_the_admin_icons_texts(speaker, plans, language):
    # The user list shows yes/no icons; every list with a search box its icon.
    html = speaker(reverse("admin:auth_user_changelist"), language).content.decode()
    alts = set(re.findall(r'<img [^>]*alt="([^"]*)"', html))
    assert alts and not alts & ENGLISH_ALT
    english = speaker(reverse("admin:auth_user_changelist"), "en").content.decode()
    assert {"Search", "Yes"} <= set(re.findall(r'<img [^>]*alt="([^"]*)"', english))


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_it_labels_the_plan_forms_hidden_field_in_the_language(speaker, plans, language):
    url = reverse("admin:plans_plan_change", args=[plans[Plan.Status.DRAFT].pk])
    html = speaker(url, language).content.decode()
    assert "Opened version" not in html and "Version of the plan when" not in html
    assert 'name="opened_version"' in html


def script_texts() -> set[str]:
    """The texts our scripts pass to gettext()."""
    return {
        text
        for path in (REPO / "static" / "js").glob("*.js")
        for text in re.findall(r'gettext\("([^"]+)"\)', path.read_text(encoding="utf-8"))
    }


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_it_gives_the_map_script_its_texts_in_the_language(client, plan_factory, language):
    texts = script_texts()
    assert {"Zoom in", "Zoom out", "Close popup"} <= texts
    po = polib.pofile(str(REPO / "locale" / language / "LC_MESSAGES" / "djangojs.po"))
    translated = {e.msgid: e.msgstr for e in po if e.translated() and not e.fuzzy}
    assert texts <= set(translated)

    page = client.get(f"/{language}/map/").content.decode()
    catalogue_url = f"/{language}/jsi18n/"
    assert page.index(f'<script src="{catalogue_url}">') < page.index("js/map.js")
    catalogue = client.get(catalogue_url)
    assert catalogue["Content-Type"].startswith("text/javascript")
    served = catalogue.content.decode()
    assert [text for text in texts if json.dumps(translated[text]) not in served] == []
    english = client.get("/jsi18n/").content.decode()
    assert not [text for text in texts if translated[text] in english]
