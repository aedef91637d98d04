"""Revisions of plans (django-reversion): every admin save is one, comparable and restorable."""

import reversion
from django.urls import reverse
from reversion.models import Version

from plans import history, permissions
from plans.models import BlogLink, MethodTag, Plan
from plans.parts import CHILD_RELATED_NAMES, CHILDREN, TAG_VOCABULARIES

INLINES = [
    "insights",
    "barriers",
    "partnerships",
    "learning_questions",
    "evidence",
    "blog_links",
    "extra_answers",
]


def post_plan(client, plan, *, insights=(), **fields):
    """Save `plan` through its admin change form with `fields` and exactly `insights` as key insights."""
    # Methods are a closed list for focal points: the ones posted are on it (a reviewer added them).
    MethodTag.resolve([n.strip() for n in fields.get("methods", "").split(",") if n.strip()])
    plan.refresh_from_db()
    existing = list(plan.insights.all())
    data = {
        "title": plan.title,
        "kind": plan.kind,
        "form_version": plan.form_version,
        "lab": plan.lab_id,
        "language": plan.language,
        "year": plan.year,
        "challenge_statement": plan.challenge_statement,  # what submit requires: kept
        "opened_version": plan.updated_at.isoformat(),
        "methods": ", ".join(t.name for t in plan.methods.all()),
        "_save": "Save",
        **{f"{p}-TOTAL_FORMS": "0" for p in INLINES},
        **{f"{p}-INITIAL_FORMS": "0" for p in INLINES},
    }
    data.update(fields)
    rows = [(obj, text) for obj, text in zip(existing, insights, strict=False)]
    rows += [(None, text) for text in insights[len(existing) :]]
    rows += [(obj, None) for obj in existing[len(insights) :]]
    data["insights-TOTAL_FORMS"], data["insights-INITIAL_FORMS"] = str(len(rows)), str(len(existing))
    for i, (obj, text) in enumerate(rows):
        data[f"insights-{i}-position"] = i
        data[f"insights-{i}-text"] = text or obj.text
        if obj is not None:
            data[f"insights-{i}-id"] = obj.pk
            data[f"insights-{i}-plan"] = plan.pk
            if text is None:
                data[f"insights-{i}-DELETE"] = "on"
    response = client.post(reverse("admin:plans_plan_change", args=[plan.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    plan.refresh_from_db()
    return plan


def test_it_records_a_revision_with_author_children_and_tags_on_every_admin_save(
    client, focal_point, plan_factory
):
    plan = plan_factory(kind="closing", form_version="closing_v1", title="First title")
    client.force_login(focal_point)
    post_plan(client, plan, insights=["Insight one"], methods="Ethnography")
    post_plan(
        client,
        plan,
        insights=["Insight one", "Insight two"],
        methods="Ethnography, Mapping",
        title="Second title",
    )
    versions = list(Version.objects.get_for_object(plan))
    assert len(versions) == 2
    latest = versions[0].revision
    assert latest.user == focal_point
    stored = {v.content_type.model for v in latest.version_set.all()}
    assert {"plan", "insight", "taggedmethod", "methodtag"} <= stored
    assert sorted(v.object_repr for v in latest.version_set.filter(content_type__model="insight")) == [
        "Insight one",
        "Insight two",
    ]


def test_it_compares_two_revisions(client, focal_point, plan_factory):
    plan = plan_factory(kind="closing", form_version="closing_v1", title="First title")
    client.force_login(focal_point)
    post_plan(client, plan, insights=["Insight one"], methods="Ethnography")
    post_plan(client, plan, insights=["Insight two"], methods="Mapping", title="Second title")
    new, old = Version.objects.get_for_object(plan)
    history = client.get(reverse("admin:plans_plan_history", args=[plan.pk]))
    assert history.status_code == 200 and "Compare the two selected versions" in history.content.decode()
    response = client.get(reverse("admin:plans_plan_compare", args=[plan.pk]), {"a": new.pk, "b": old.pk})
    body = response.content.decode()
    assert response.status_code == 200
    for text in ["First title", "Second title", "Insight one", "Insight two", "Ethnography", "Mapping"]:
        assert text in body
    crumbs = body[body.index('<ol class="breadcrumbs">') : body.index("</ol>")]
    assert (
        reverse("admin:plans_plan_changelist") in crumbs
        and reverse("admin:plans_plan_history", args=[plan.pk]) in crumbs
    )
    table = body[body.index('class="changes"') :]
    assert table.index("First title") < table.index("Second title")  # older on the left, whatever the order


def test_it_restores_a_revision_as_a_new_revision_keeping_the_workflow_state(
    client, focal_point, reviewer, superuser, plan_factory
):
    plan = plan_factory(kind="closing", form_version="closing_v1", title="Good title")
    client.force_login(focal_point)
    post_plan(client, plan, insights=["Keep me"], methods="Ethnography")
    good = Version.objects.get_for_object(plan).first()
    link = plan.blog_links.create(url="https://example.org/later")
    post_plan(client, plan, insights=["Keep me", "Mistake"], methods="Mapping", title="Bad title")
    link.approve(by=reviewer)
    plan.submit(by=focal_point)
    plan.refresh_from_db()
    plan.publish(by=reviewer)

    client.force_login(superuser)
    response = client.post(reverse("admin:plans_plan_restore", args=[plan.pk, good.pk]))
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.title == "Good title"
    assert [i.text for i in plan.insights.all()] == ["Keep me"]
    assert [t.name for t in plan.methods.all()] == ["Ethnography"]
    assert plan.status == Plan.Status.PUBLISHED  # restoring content does not bypass the workflow
    assert not BlogLink.objects.filter(pk=link.pk).exists()  # added after that version
    versions = list(Version.objects.get_for_object(plan))
    assert len(versions) == 3 and versions[0].revision.user == superuser
    assert "Restored" in versions[0].revision.get_comment()


def test_it_keeps_review_decisions_when_restoring(client, focal_point, reviewer, plan_factory):
    plan = plan_factory()
    link = plan.blog_links.create(url="https://example.org/post")
    client.force_login(focal_point)
    post_plan(client, plan, title="One")
    version = Version.objects.get_for_object(plan).first()
    link.reject(by=reviewer, note="Off topic")
    post_plan(client, plan, title="Two")
    client.post(reverse("admin:plans_plan_restore", args=[plan.pk, version.pk]))
    link.refresh_from_db()
    plan.refresh_from_db()
    assert plan.title == "One"
    assert (link.status, link.review_note) == (BlogLink.Status.REJECTED, "Off topic")


def test_it_refuses_a_restore_to_users_who_may_not_edit(
    client, focal_point, reviewer, other_focal_point, plan_factory
):
    plan = plan_factory(title="Original")
    client.force_login(focal_point)
    post_plan(client, plan, title="Edited")
    version = Version.objects.get_for_object(plan).first()
    post_plan(client, plan, title="Edited again")
    plan.submit(by=focal_point)
    url = reverse("admin:plans_plan_restore", args=[plan.pk, version.pk])
    for user, status in ((focal_point, 403), (reviewer, 403), (other_focal_point, 404)):
        client.force_login(user)
        assert client.post(url).status_code == status
    assert client.get(url).status_code in (404, 405)
    plan.refresh_from_db()
    assert plan.title == "Edited again" and Version.objects.get_for_object(plan).count() == 2


# ---------------------------------------------------------------- plans/history.py, without HTTP


def save_revision(plan, user, **fields):
    """Change `plan` and record a revision of it, as an admin save does."""
    with reversion.create_revision():
        for name, value in fields.items():
            setattr(plan, name, value)
        plan.save()
        reversion.set_user(user)
        reversion.add_to_revision(plan)
    return history.plan_versions(plan).first()


def test_it_registers_every_part_of_a_plan_with_its_history():
    followed = set(reversion.revisions._get_options(Plan).follow)
    assert set(CHILD_RELATED_NAMES) <= followed
    for vocabulary in TAG_VOCABULARIES:
        assert reversion.is_registered(vocabulary.through) and reversion.is_registered(vocabulary.tag_model)
    assert all(reversion.is_registered(c.model) for c in CHILDREN)


def test_it_compares_two_revisions_field_by_field_tag_by_tag_child_by_child(plan_factory, focal_point):
    plan = plan_factory(title="Before", challenge_statement="Short.")
    plan.methods.add("Ethnography")
    plan.insights.create(text="Stays", position=1)
    old = save_revision(plan, focal_point)
    plan.methods.set(["Mapping"])
    plan.insights.create(text="New insight", position=2)
    new = save_revision(plan, focal_point, title="After")
    sections = {s["title"]: s["rows"] for s in history.compare_versions(old, new)}
    assert sections["plan"] == [{"label": "title", "before": "Before", "after": "After", "diff": ""}]
    assert [(r["label"], r["before"], r["after"]) for r in sections["methods"]] == [
        ("removed", "Ethnography", ""),
        ("added", "", "Mapping"),
    ]
    assert [(r["label"], r["after"]) for r in sections["key insights"]] == [("added", "New insight")]
    assert history.compare_versions(new, new) == []


def test_it_restores_a_revision_directly_as_a_new_revision_by_its_user(plan_factory, focal_point, superuser):
    plan = plan_factory(title="Good")
    plan.insights.create(text="Keep me", position=1)
    good = save_revision(plan, focal_point)
    plan.insights.create(text="Mistake", position=2)
    save_revision(plan, focal_point, title="Bad", status=Plan.Status.SUBMITTED)
    restored = history.restore_revision(plan, good, superuser)
    assert (restored.title, restored.status) == ("Good", Plan.Status.SUBMITTED)
    assert [i.text for i in restored.insights.all()] == ["Keep me"]
    latest = history.plan_versions(plan).first().revision
    assert latest.user == superuser and latest.get_comment().startswith("Restored the version of")


# ---------------------------------------------------------------- a restore bypasses no review (issue 12, 2)


def test_it_sends_an_approved_link_whose_url_a_restore_changes_back_to_review(
    client, plan_factory, focal_point, reviewer
):
    plan = plan_factory()
    link = plan.blog_links.create(url="https://phishing.example/login")
    client.force_login(focal_point)
    post_plan(client, plan, title="With the old link")
    old = history.plan_versions(plan).first()
    link.url = "https://example.org/our-blog"
    link.save()
    link.approve(by=reviewer)
    client.post(reverse("admin:plans_plan_restore", args=[plan.pk, old.pk]))
    link.refresh_from_db()
    assert link.url == "https://phishing.example/login"
    assert (link.status, link.reviewed_by, link.reviewed_at) == (BlogLink.Status.PENDING, None, None)
    assert not permissions.visible_blog_links(None, plan.blog_links.all(), plan).exists()


def test_it_keeps_the_review_of_a_link_whose_url_a_restore_leaves_alone(plan_factory, focal_point, reviewer):
    plan = plan_factory(title="One")
    link = plan.blog_links.create(url="https://example.org/post")
    old = save_revision(plan, focal_point)
    save_revision(plan, focal_point, title="Two")
    link.approve(by=reviewer)
    history.restore_revision(plan, old, focal_point)
    link.refresh_from_db()
    assert (link.status, link.reviewed_by) == (BlogLink.Status.APPROVED, reviewer)


def test_it_never_reverts_a_tag_renamed_since_by_a_restore(plan_factory, focal_point, reviewer):
    plan = plan_factory(title="One")
    plan.methods.add("Etnografy")
    old = save_revision(plan, focal_point)
    save_revision(plan, focal_point, title="Two")
    tag = MethodTag.objects.get()
    tag.name = "Ethnography"  # a reviewer corrects the shared tag
    tag.save()
    history.restore_revision(plan, old, focal_point)
    tag.refresh_from_db()
    assert tag.name == "Ethnography"
    assert [t.name for t in plan.methods.all()] == ["Ethnography"]


def test_it_never_takes_a_shared_tag_from_other_plans_by_a_restore(plan_factory, focal_point, lab_b):
    plan, other = plan_factory(title="One"), plan_factory(title="Other", lab=lab_b)
    old = save_revision(plan, focal_point)
    plan.methods.add("Mapping")
    other.methods.add("Mapping")
    save_revision(plan, focal_point, title="Two")
    history.restore_revision(plan, old, focal_point)
    assert list(plan.methods.all()) == []
    assert [t.name for t in other.methods.all()] == ["Mapping"]


def test_it_brings_back_a_tag_deleted_since_by_a_restore(plan_factory, focal_point):
    plan = plan_factory(title="One")
    plan.methods.add("Surveys")
    old = save_revision(plan, focal_point)
    MethodTag.objects.all().delete()
    history.restore_revision(plan, old, focal_point)
    assert [t.name for t in plan.methods.all()] == ["Surveys"]
