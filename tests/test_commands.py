"""The demo set-up, the search index rebuild and the benchmarks' data generator."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from plans.models import Insight, Plan
from tests.conftest import FIXTURES


def test_it_refuses_to_create_demo_users_when_debug_is_off(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG=1"):
        call_command("setup_demo", "--no-plans")
    assert not get_user_model().objects.exists()


def test_it_creates_demo_users_by_role_once(db, settings):
    settings.DEBUG = True
    call_command("setup_demo", "--no-plans")
    call_command("setup_demo", "--no-plans")  # idempotent
    User = get_user_model()
    assert User.objects.count() == 3
    assert User.objects.get(username="admin").is_superuser
    focal = User.objects.get(username="focal")
    assert focal.is_staff and focal.has_perm("plans.add_plan") and not focal.has_perm("plans.review_plan")
    assert [lab.country for lab in focal.labs.all()] == ["Vietnam"]
    assert User.objects.get(username="reviewer").has_perm("plans.review_plan")


def test_it_imports_the_seed_plans_and_not_twice(db, settings):
    settings.DEBUG = True
    call_command("setup_demo")
    seeded = Plan.objects.published().count()
    assert seeded >= 40
    assert Plan.objects.filter(source_file="000_41ebf5d89bd6417a.txt").exists()
    call_command("setup_demo")
    assert Plan.objects.count() == seeded


def test_it_generates_published_plans_with_their_children_from_imported_ones(db):
    call_command("import_plans", str(FIXTURES / "archive" / "real"), verbosity=0)
    imported = Plan.objects.published().count()
    call_command("bench_generate", str(imported + 25))
    assert Plan.objects.published().count() == imported + 25
    copies = Plan.objects.filter(source_file="")
    assert copies.count() == 25
    original = Plan.objects.exclude(source_file="").filter(insights__isnull=False).first()
    copy = copies.filter(slug__startswith=original.slug[:200] + "-b").order_by("pk").first()
    assert [i.text for i in copy.insights.all()] == [i.text for i in original.insights.all()]
    assert Insight.objects.filter(plan__in=copies).exists()


def test_it_generates_plans_that_stay_on_earth_near_the_poles_and_the_date_line(db):
    call_command("import_plans", str(FIXTURES / "archive" / "real"), verbosity=0)
    # Every original at the edge of the map: an unclamped jitter of up to 2 degrees would leave it.
    Plan.objects.update(latitude=89.5, longitude=179.5)
    imported = Plan.objects.published().count()
    call_command("bench_generate", str(imported + 40))
    copies = Plan.objects.filter(source_file="")
    assert copies.count() == 40
    assert not copies.filter(latitude__gt=90).exists()
    assert not copies.filter(longitude__gt=180).exists()


def test_it_rebuilds_the_search_index(plan_factory):
    from django.db import connection

    from plans import search

    water = plan_factory(title="Water kiosks", status=Plan.Status.PUBLISHED)
    plan_factory(title="Waste pickers", background="Water is scarce too.")
    plan_factory(title="Markets")
    with connection.cursor() as cursor:  # as after restoring a dump taken without the index
        cursor.execute(f"DELETE FROM {search.TABLE}")
    assert not search.search(Plan.objects.all(), "water").exists()
    out = io.StringIO()
    call_command("rebuild_search_index", stdout=out)
    assert out.getvalue().startswith("indexed 3 plans in ") and out.getvalue().count("\n") == 1
    assert sorted(search.search(Plan.objects.all(), "water").values_list("title", flat=True)) == [
        "Waste pickers",
        water.title,
    ]
    call_command("rebuild_search_index", stdout=io.StringIO())  # idempotent
    assert search.search(Plan.objects.all(), "water").count() == 2
