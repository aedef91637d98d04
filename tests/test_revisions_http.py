"""A live plan changed through a reviewed revision, over HTTP: the public never sees the revision before a
reviewer publishes it; the reviewer sees what changed; the authors cannot miss a request for changes."""

import json

from django.urls import reverse

from plans.history import plan_versions
from plans.models import Plan, PlanRevision

SECRET = "Xylophonic"  # a word found nowhere else, to look for on every public page


def change_url(plan):
    return reverse("admin:plans_plan_change", args=[plan.pk])


def form_data(client, plan, **overrides):
    """The POST a browser sends for the change form as it is now: the plan's fields and every inline row."""
    response = client.get(change_url(plan))
    assert response.status_code == 200
    data = {}

    def add(form):
        for name, field in form.fields.items():
            value = form[name].value()
            if value is None or getattr(field, "disabled", False):
                continue
            key = form.add_prefix(name)
            if isinstance(value, list | tuple):
                data[key] = [str(v) for v in value]
            elif isinstance(value, bool):
                if value:
                    data[key] = "on"
            else:
                data[key] = field.widget.format_value(value) if name == "archive_layout" else value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    data["_save"] = "Save"
    data.update(overrides)
    return data


def public_texts(client, plan):
    """What the public reads of the plan: its page, the API, the downloads, the feed, a search."""
    client.logout()
    pages = [
        reverse("plans:detail", args=[plan.slug]),
        f"/api/plans/{plan.slug}/",
        reverse("downloads:plan_json", args=[plan.slug]),
        reverse("plans:archive", args=[plan.slug]),
        reverse("downloads:csv"),
        "/feeds/plans/",
    ]
    texts = {}
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        texts[url] = body.decode("utf-8-sig")
    return texts


def found_by_search(client, plan) -> tuple[bool, int]:
    """Whether the public search page lists the plan, and how many plans the API's search finds."""
    client.logout()
    page = client.get(f"/plans/?q={SECRET}").content.decode()
    api = json.loads(client.get(f"/api/plans/?q={SECRET}").content)
    return f'href="{plan.get_absolute_url()}"' in page, api["count"]


def transition(client, plan, action, **data):
    revision = plan.pending_revision
    return client.post(
        reverse("admin:plans_plan_transition", args=[plan.pk, action]),
        {"revision": revision.pk if revision else "", **data},
    )


def test_it_runs_the_whole_cycle_with_the_live_plan_online(client, live_plan, focal_point, reviewer):
    client.force_login(focal_point)
    data = form_data(client, live_plan, title=f"Informal waste pickers {SECRET}")
    # The second insight changed, a new one added in front of both.
    data["insights-1-text"] = f"Second insight, {SECRET} corrected"
    data["insights-2-text"] = "A brand new insight"
    data["insights-2-position"] = "1"
    data["insights-0-position"], data["insights-1-position"] = "2", "3"
    data["insights-TOTAL_FORMS"] = "3"
    response = client.post(change_url(live_plan), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    revision = PlanRevision.objects.get()
    assert revision.status == PlanRevision.Status.EDITING
    assert revision.content["fields"]["title"].endswith(SECRET)

    # The live plan is unchanged everywhere public.
    live_plan.refresh_from_db()
    assert live_plan.title == "Informal waste pickers" and live_plan.status == Plan.Status.PUBLISHED
    assert [i.text for i in live_plan.insights.all()] == ["First insight", "Second insight"]
    for url, text in public_texts(client, live_plan).items():
        assert SECRET not in text, url
    assert found_by_search(client, live_plan) == (False, 0)

    # The author sees the revision in the form, with the banner and a link to the live page.
    client.force_login(focal_point)
    body = client.get(change_url(live_plan)).content.decode()
    assert 'id="revision-banner"' in body and "You are editing a revision of a live plan." in body
    assert f'href="{live_plan.get_absolute_url()}"' in body
    assert f"Informal waste pickers {SECRET}" in body
    # A second save goes to the same revision (new rows keep their identity between saves).
    data = form_data(client, live_plan, challenge_statement="How might waste pickers earn a living wage?")
    assert client.post(change_url(live_plan), data).status_code == 302
    assert PlanRevision.objects.count() == 1
    keys = [r["key"] for r in PlanRevision.objects.get().content["children"]["insights"]]
    assert keys == [r["key"] for r in revision.content["children"]["insights"]]
    # The preview shows the revision, the public page still the live plan.
    assert SECRET in client.get(reverse("admin:plans_plan_preview", args=[live_plan.pk])).content.decode()

    assert transition(client, live_plan, "submit_revision").status_code == 302
    assert live_plan.pending_revision.status == PlanRevision.Status.SUBMITTED

    # The reviewer sees what changed against the live plan.
    client.force_login(reviewer)
    page = client.get(reverse("admin:plans_plan_revision", args=[live_plan.pk]))
    diff = page.context["diff"]
    assert [(f["name"], f["before"]) for f in diff["fields"]] == [
        ("title", "Informal waste pickers"),
        ("challenge_statement", "How might waste pickers earn more?"),
    ]
    insights = next(p for p in diff["children"] if p["related_name"] == "insights")["rows"]
    assert {r["label"]: r["change"] for r in insights} == {
        "A brand new insight": "added",
        f"Second insight, {SECRET} corrected": "changed",
    }
    assert (
        transition(client, live_plan, "return_revision", comment="Name the partner in full").status_code
        == 302
    )

    # Changes requested: at the top of the author's form and in their list.
    client.force_login(focal_point)
    body = client.get(change_url(live_plan)).content.decode()
    assert body.index('id="changes-requested"') < body.index('id="workflow"')
    assert "Name the partner in full" in body
    listing = client.get(reverse("admin:plans_plan_changelist")).content.decode()
    assert "Changes requested" in listing and "Name the partner in full" in listing

    data = form_data(client, live_plan)
    data["partnerships-0-name"] = "People's Committee of Hanoi"
    assert client.post(change_url(live_plan), data).status_code == 302
    assert transition(client, live_plan, "submit_revision").status_code == 302
    for url, text in public_texts(client, live_plan).items():
        assert SECRET not in text, url
    assert found_by_search(client, live_plan) == (False, 0)

    client.force_login(reviewer)
    response = transition(client, live_plan, "publish_revision")
    assert response.status_code == 302
    live_plan.refresh_from_db()
    assert live_plan.status == Plan.Status.PUBLISHED
    assert live_plan.title == f"Informal waste pickers {SECRET}"
    assert [i.text for i in live_plan.insights.all()] == [
        "A brand new insight",
        "First insight",
        f"Second insight, {SECRET} corrected",
    ]
    assert live_plan.partnerships.get().name == "People's Committee of Hanoi"
    texts = public_texts(client, live_plan)
    for url in (
        reverse("plans:detail", args=[live_plan.slug]),
        f"/api/plans/{live_plan.slug}/",
        "/feeds/plans/",
    ):
        assert SECRET in texts[url], url
    assert found_by_search(client, live_plan) == (True, 1)
    # The history holds the live version before and the published revision.
    titles = [v.field_dict["title"] for v in plan_versions(live_plan)]
    assert titles[:2] == [f"Informal waste pickers {SECRET}", "Informal waste pickers"]


def test_it_refuses_a_stale_lost_update_on_a_revision_and_shows_what_changed(
    client, live_plan, focal_point, django_user_model, lab_a
):
    from tests.conftest import _group

    colleague = django_user_model.objects.create_user("carol", "carol@example.org", "pw", is_staff=True)
    colleague.groups.add(_group("Focal points"))
    lab_a.members.add(colleague)
    client.force_login(focal_point)
    stale = form_data(client, live_plan, title="Alice's title")

    other = type(client)()
    other.force_login(colleague)
    body = other.get(change_url(live_plan)).content.decode()
    assert 'id="soft-lock"' in body and "alice has been editing this plan since" in body
    assert (
        other.post(change_url(live_plan), form_data(other, live_plan, title="Carol's title")).status_code
        == 302
    )

    response = client.post(change_url(live_plan), stale)
    assert response.status_code == 200
    body = response.content.decode()
    assert "carol saved this plan on" in body
    assert 'id="other-changes"' in body and "Carol&#x27;s title" in body
    assert PlanRevision.objects.get().content["fields"]["title"] == "Carol's title"
    again = {**stale, "opened_version": response.context["adminform"].form["opened_version"].value()}
    assert client.post(change_url(live_plan), again).status_code == 302
    assert PlanRevision.objects.get().content["fields"]["title"] == "Alice's title"
    live_plan.refresh_from_db()
    assert live_plan.title == "Informal waste pickers"


def test_it_shows_a_published_plan_as_read_only_to_reviewers_and_other_labs(
    client, live_plan, focal_point, other_focal_point, reviewer
):
    client.force_login(focal_point)
    assert (
        client.post(change_url(live_plan), form_data(client, live_plan, title="Changed")).status_code == 302
    )
    client.force_login(reviewer)
    response = client.get(change_url(live_plan))
    body = response.content.decode()
    assert "This live plan has a revision in progress" in body
    assert response.context["original"].title == "Informal waste pickers"
    assert client.post(change_url(live_plan), {"title": "Reviewer edit"}).status_code == 403
    client.force_login(other_focal_point)
    assert client.get(change_url(live_plan)).status_code == 302  # another lab's plan: absent from the admin
    assert client.get(reverse("admin:plans_plan_revision", args=[live_plan.pk])).status_code in (302, 404)


def test_it_shows_what_the_other_person_saved_when_a_draft_save_is_refused(
    client, plan_factory, focal_point, superuser
):
    plan = plan_factory(title="Original")
    client.force_login(focal_point)
    client.post(change_url(plan), form_data(client, plan, title="First save"))  # a version to compare from
    stale = form_data(client, plan, title="Alice's title")
    other = type(client)()
    other.force_login(superuser)
    assert other.post(change_url(plan), form_data(other, plan, title="Root's title")).status_code == 302
    response = client.post(change_url(plan), stale)
    assert response.status_code == 200
    changes = response.context["adminform"].form.other_changes
    rows = [row for section in changes["sections"] for row in section["rows"]]
    assert ("First save", "Root's title") in [(r["before"], r["after"]) for r in rows]
    assert 'id="other-changes"' in response.content.decode()


def test_it_keeps_blog_links_out_of_a_revision(client, live_plan, focal_point):
    link = live_plan.blog_links.create(url="https://example.org/post", title="Our post")
    client.force_login(focal_point)
    response = client.get(change_url(live_plan))
    formset = next(
        f.formset for f in response.context["inline_admin_formsets"] if f.formset.model is type(link)
    )
    assert not formset.forms or all(not f.has_changed() for f in formset.forms)
    inline = next(f for f in response.context["inline_admin_formsets"] if f.formset.model is type(link))
    assert not inline.has_add_permission and not inline.has_change_permission
    data = form_data(client, live_plan, title="Changed")
    assert client.post(change_url(live_plan), data).status_code == 302
    assert live_plan.blog_links.get() == link  # untouched, its approval its own
    assert "blog_links" in live_plan.pending_revision.content["children"]
