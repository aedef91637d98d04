"""Small things seen and left alone during the review-workspace work, over HTTP: the map's popups name the
country in the page's language; the admin's language filter names languages; the form of a live plan's
revision offers no "Save and add another"; the admin's plan list shows a few tags a row and how many more.
Seen in Chromium in tests/test_browser_left_alone.py."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from plans import revisions
from plans.models import Plan


@pytest.fixture
def placed(plan_factory, lab_b):
    """Two published plans with a place: one in Peru (its code known), one in a country without a code
    (and no lab, whose country would stand in for it)."""
    peru = plan_factory(
        title="Buses of Lima", lab=lab_b, status="published", published_at=timezone.now(), latitude=-12.05
    )
    peru.longitude = -77.04
    peru.save()
    nowhere = plan_factory(
        title="Somewhere else",
        status="published",
        published_at=timezone.now(),
        lab=None,
        country="Atlantis",
        latitude=10.0,
        longitude=10.0,
    )
    return peru, nowhere


@pytest.mark.parametrize(("prefix", "peru"), [("", "Peru"), ("/fr", "Pérou"), ("/es", "Perú")])
def test_it_names_the_country_of_a_map_pin_in_the_pages_language(client, placed, prefix, peru):
    assert [p.country_code for p in placed] == ["PER", ""]
    pins = client.get(f"{prefix}/map/pins.json").json()["pins"]
    countries = {pin[3]: pin[5] for pin in pins}
    assert countries == {"Buses of Lima": peru, "Somewhere else": "Atlantis"}


def changelist(client, **params):
    return client.get(reverse("admin:plans_plan_changelist"), params).content.decode()


def filter_choices(body: str, parameter: str) -> dict[str, str]:
    """{link text: value} of the changelist filter choices that set `parameter`."""
    links = re.findall(rf'<a href="\?{parameter}=([^"&]+)"[^>]*>\s*([^<]+?)\s*</a>', body)
    return {text: value for value, text in links}


@pytest.mark.parametrize(
    ("language", "names"),
    [
        ("en", {"English": "en", "French": "fr", "Portuguese": "pt"}),
        ("fr", {"Anglais": "en", "Français": "fr", "Portugais": "pt"}),
        ("es", {"Inglés": "en", "Francés": "fr", "Portugués": "pt"}),
    ],
)
def test_it_names_the_languages_in_the_admins_filter(client, plan_factory, superuser, language, names):
    for code in ("en", "fr", "pt"):
        plan_factory(title=f"Plan in {code}", language=code)
    client.force_login(superuser)
    client.cookies["django_language"] = language
    body = changelist(client)
    assert filter_choices(body, "language__exact") == names
    filtered = changelist(client, language__exact="pt")
    assert "Plan in pt" in filtered and "Plan in fr" not in filtered


def test_it_offers_a_focal_point_only_the_languages_of_their_plans(client, plan_factory, focal_point, lab_b):
    plan_factory(title="Ours", language="fr")
    plan_factory(title="Theirs", language="pt", lab=lab_b)
    client.force_login(focal_point)
    assert filter_choices(changelist(client), "language__exact") == {"French": "fr"}


def test_it_offers_no_save_and_add_another_on_a_live_plans_revision(
    client, live_plan, plan_factory, focal_point, superuser
):
    client.force_login(focal_point)
    live = client.get(reverse("admin:plans_plan_change", args=[live_plan.pk])).content.decode()
    assert 'name="_continue"' in live and 'name="_addanother"' not in live
    draft = plan_factory(title="A draft")
    body = client.get(reverse("admin:plans_plan_change", args=[draft.pk])).content.decode()
    assert 'name="_addanother"' in body
    # A superuser edits the live plan itself until it has a revision; then that revision.
    client.force_login(superuser)
    url = reverse("admin:plans_plan_change", args=[live_plan.pk])
    assert 'name="_addanother"' in client.get(url).content.decode()
    revisions.save_content(live_plan, revisions.snapshot(live_plan), by=focal_point)
    assert 'name="_addanother"' not in client.get(url).content.decode()


def test_it_shows_three_tags_a_row_and_how_many_more(client, plan_factory, superuser):
    many = plan_factory(title="Many methods")
    many.methods.add("Delta", "Alpha", "Echo", "Charlie", "Bravo")
    many.datasources.add("Survey", "Satellite", "Census", "Mobile data")
    few = plan_factory(title="Few methods")
    few.methods.add("Alpha", "Bravo", "Charlie")
    client.force_login(superuser)
    body = changelist(client)
    assert (
        '<td class="field-method_list"><span title="Alpha, Bravo, Charlie, Delta, Echo">'
        'Alpha, Bravo, Charlie <span class="more-tags">+2 more</span></span></td>' in body
    )
    assert '<span class="more-tags">+1 more</span>' in body  # the data sources
    assert '<td class="field-method_list">Alpha, Bravo, Charlie</td>' in body
    client.cookies["django_language"] = "fr"
    assert '<span class="more-tags">+ 2 autres</span>' in changelist(client)
    client.cookies["django_language"] = "es"
    assert '<span class="more-tags">+ 1 más</span>' in changelist(client)


def test_it_keeps_the_plan_list_free_of_a_query_per_row_for_the_tags(
    client, plan_factory, superuser, django_assert_num_queries
):
    def add(n):
        for i in range(n):
            plan_factory(title=f"Plan {i}").methods.add(*(f"Method {i}-{m}" for m in range(6)))

    add(2)
    client.force_login(superuser)
    client.get(reverse("admin:plans_plan_changelist"))
    with CaptureQueriesContext(connection) as two:
        client.get(reverse("admin:plans_plan_changelist"))
    add(8)
    with django_assert_num_queries(len(two.captured_queries)):
        body = client.get(reverse("admin:plans_plan_changelist")).content.decode()
    assert body.count("+3 more") == 10
    assert Plan.objects.count() == 10
