"""The changes feed for harvesters: `/api/plans/?modified_since=…` lists the plans changed since, oldest
change first, with withdrawn plans as tombstones; a mirror that follows it ends equal to the site."""

import pytest
from django.urls import reverse
from django.utils import timezone

from plans.models import Plan

API = reverse("api:plan-list")


def published(plan_factory, **kwargs):
    return plan_factory(status="published", published_at=timezone.now(), **kwargs)


def feed(client, since: str, **params) -> list[dict]:
    """Every record of the feed since `since`, following `next` to the end."""
    records, url, query = [], API, {"modified_since": since, **params}
    while url:
        response = client.get(url, query)
        assert response.status_code == 200, response.content
        body = response.json()
        records += body["results"]
        url, query = body["next"], None
        assert body["previous"] is None
    return records


class Mirror:
    """A harvester: a full copy first, then only the changes since the last `modified_at` it saw."""

    def __init__(self, client):
        self.client = client
        self.plans: dict[str, dict] = {}
        self.mark = "2000-01-01T00:00:00Z"

    def harvest(self) -> int:
        records = feed(self.client, self.mark, page_size=2)
        for record in records:
            if record.get("deleted"):
                self.plans.pop(record["slug"], None)
            else:
                self.plans[record["slug"]] = self.client.get(record["api_url"]).json()
            self.mark = max(self.mark, record["modified_at"].replace("+00:00", "Z"))
        return len(records)


def site_state(client) -> dict[str, dict]:
    slugs = [p["slug"] for p in client.get(API, {"page_size": 200}).json()["results"]]
    return {slug: client.get(reverse("api:plan-detail", kwargs={"slug": slug})).json() for slug in slugs}


def test_it_lists_changes_oldest_first_with_tombstones(client, plan_factory, reviewer):
    first, second, third = (published(plan_factory, title=t) for t in ("First", "Second", "Third"))
    second.title = "Second, edited"
    second.save()
    plan_factory(title="Never published", status="draft")
    first.withdraw(by=reviewer)
    records = feed(client, "2000-01-01")
    assert [r["slug"] for r in records] == [third.slug, second.slug, first.slug]
    assert records[2] == {
        "slug": first.slug,
        "api_url": "http://testserver" + reverse("api:plan-detail", kwargs={"slug": first.slug}),
        "modified_at": records[2]["modified_at"],
        "deleted": True,
    }
    assert "deleted" not in records[0] and records[0]["title"] == "Third"
    stamps = [r["modified_at"] for r in records]
    assert stamps == sorted(stamps)
    # Without modified_since the list is unchanged: published plans only, no tombstone.
    assert {p["slug"] for p in client.get(API).json()["results"]} == {second.slug, third.slug}


def test_it_pages_by_the_last_record_so_that_a_change_while_paging_skips_nothing(client, plan_factory):
    plans = [published(plan_factory) for _n in range(5)]
    first = client.get(API, {"modified_since": "2000-01-01", "page_size": 2}).json()
    assert [r["slug"] for r in first["results"]] == [p.slug for p in plans[:2]]
    plans[0].title = "Changed while paging"
    plans[0].save()  # moves to the end: a numbered page 2 would now skip plans[2]
    rest = []
    url = first["next"]
    while url:
        body = client.get(url).json()
        rest += [r["slug"] for r in body["results"]]
        url = body["next"]
    assert rest == [p.slug for p in plans[2:]] + [plans[0].slug]


def test_a_mirror_ends_equal_to_the_site_after_edits_and_a_withdrawal(client, plan_factory, reviewer):
    plans = [published(plan_factory, title=f"Plan {n}") for n in range(5)]
    plans[1].blog_links.create(url="https://example.org/pending", title="Pending")
    mirror = Mirror(client)
    assert mirror.harvest() == 5
    assert mirror.plans == site_state(client)

    plans[0].title = "Renamed"
    plans[0].save()
    plans[1].blog_links.get().approve(by=reviewer)  # changes the plan's public record, not its row
    plans[2].insights.create(text="A new insight", position=0)
    plans[3].methods.add("Mapping")
    plans[4].withdraw(by=reviewer)
    late = published(plan_factory, title="Published later")
    assert mirror.harvest() == 6
    assert mirror.plans == site_state(client)
    assert plans[4].slug not in mirror.plans and late.slug in mirror.plans
    assert mirror.plans[plans[1].slug]["blog_links"] == [
        {"url": "https://example.org/pending", "title": "Pending"}
    ]

    # Nothing changed: the next harvest brings only the last record again (modified_since is inclusive).
    assert mirror.harvest() <= 1
    assert mirror.plans == site_state(client)


def test_a_lab_rename_reaches_the_mirror(client, plan_factory, lab_a):
    plan = published(plan_factory)
    mirror = Mirror(client)
    mirror.harvest()
    lab_a.name = "Accelerator Lab Viet Nam (renamed)"
    lab_a.save()
    assert mirror.harvest() >= 1
    assert mirror.plans[plan.slug]["lab"]["name"] == "Accelerator Lab Viet Nam (renamed)"


@pytest.mark.parametrize("since", ["yesterday", "2026-02-30", "1700000000", ""])
def test_it_refuses_a_malformed_modified_since(client, plan_factory, since):
    published(plan_factory)
    response = client.get(API, {"modified_since": since})
    assert response.status_code == 400
    assert "modified_since" in response.json()


def test_a_withdrawn_plan_is_a_tombstone_and_nothing_else(client, plan_factory, reviewer):
    plan = published(plan_factory, title="Secret title", tweet_summary="Secret summary")
    plan.withdraw(by=reviewer)
    body = client.get(API, {"modified_since": "2000-01-01"}).content.decode()
    assert plan.slug in body and "Secret" not in body
    assert client.get(reverse("api:plan-detail", kwargs={"slug": plan.slug})).status_code == 404
    assert Plan.objects.get(pk=plan.pk).modified_at > plan.published_at


def test_a_deleted_plan_leaves_a_tombstone_that_mirrors_follow(client, plan_factory, reviewer):
    plans = [published(plan_factory, title=f"Plan {n}") for n in range(4)]
    draft = plan_factory(title="Never published", status="draft")
    mirror = Mirror(client)
    mirror.harvest()
    # A superuser deletes two published plans and a draft; another plan changes at the same time.
    type(plans[0]).objects.filter(pk__in=[plans[0].pk, plans[1].pk, draft.pk]).delete()
    plans[2].title = "Changed"
    plans[2].save()
    records = feed(client, mirror.mark, page_size=1)  # one record a page: the cursor walks both kinds
    deleted = [r["slug"] for r in records if r.get("deleted")]
    assert sorted(deleted) == sorted([plans[0].slug, plans[1].slug])
    assert mirror.harvest() >= 3
    assert mirror.plans == site_state(client)
    assert set(mirror.plans) == {plans[2].slug, plans[3].slug}
