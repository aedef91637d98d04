"""Review comments (plans/comments.py): on the plan, a field or a row; threaded, resolvable, kept with the
revision they were made on, and still on their row after rows are reordered, inserted or published."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from plans import comments, revisions
from plans.models import Plan, ReviewComment


def insight_keys(content):
    return [r["key"] for r in content["children"]["insights"]]


def thread_on(plan, revision, comment):
    return next(t for t in comments.threads(plan, revision) if t["root"].pk == comment.pk)


def test_it_keeps_a_comment_on_its_row_when_rows_are_reordered_or_inserted(live_plan, focal_point, reviewer):
    revision = revisions.save_content(live_plan, revisions.snapshot(live_plan), by=focal_point)
    first, second = insight_keys(revision.content)
    comment = comments.add(
        live_plan, reviewer, "Say who told you this", anchor=f"row:insights:{second}", revision=revision
    )
    assert thread_on(live_plan, revision, comment)["anchor_label"] == "Key insight 2: Second insight"

    # The author inserts a row at the top and swaps the other two.
    content = revision.content
    rows = {r["key"]: r for r in content["children"]["insights"]}
    new = {"key": "0d7e9b7c-0000-4000-8000-00000000000a", "fields": {"text": "A new insight"}}
    content["children"]["insights"] = [new, rows[second], rows[first]]
    revision = revisions.save_content(live_plan, content, by=focal_point)
    thread = thread_on(live_plan, revision, comment)
    assert thread["anchor_label"] == "Key insight 2: Second insight"
    assert not thread["gone"]

    # Published, the row keeps its key: the comment's row is still found on the live plan.
    revision.submit(by=focal_point)
    live_plan.publish(by=reviewer)
    live_row = live_plan.insights.get(text="Second insight")
    assert str(live_row.key) == str(comment.row_key)
    assert [i.text for i in live_plan.insights.all()] == ["A new insight", "Second insight", "First insight"]


def test_it_marks_a_comment_whose_row_was_deleted_and_refuses_new_ones_on_it(
    live_plan, focal_point, reviewer
):
    revision = revisions.save_content(live_plan, revisions.snapshot(live_plan), by=focal_point)
    first, second = insight_keys(revision.content)
    comment = comments.add(
        live_plan, reviewer, "Too vague", anchor=f"row:insights:{first}", revision=revision
    )
    content = revision.content
    content["children"]["insights"] = [r for r in content["children"]["insights"] if r["key"] != first]
    revision = revisions.save_content(live_plan, content, by=focal_point)
    thread = thread_on(live_plan, revision, comment)
    assert thread["gone"] and "First insight" in thread["anchor_label"]
    before = ReviewComment.objects.count()
    with pytest.raises(ValidationError) as refused:
        comments.add(live_plan, reviewer, "And this?", anchor=f"row:insights:{first}", revision=revision)
    assert "no longer exists" in refused.value.messages[0]
    assert ReviewComment.objects.count() == before


def test_it_threads_replies_and_resolves_the_conversation(live_plan, focal_point, reviewer):
    revision = revisions.save_content(live_plan, revisions.snapshot(live_plan), by=focal_point)
    root = comments.add(live_plan, reviewer, "Shorter title?", anchor="field:title", revision=revision)
    reply = comments.add(live_plan, focal_point, "Done", parent=root, revision=revision)
    nested = comments.add(live_plan, reviewer, "Thanks", parent=reply, revision=revision)
    assert reply.parent == root and nested.parent == root  # one level: replies to a reply join its thread
    assert nested.field == "title"
    comments.set_resolved(nested, focal_point, True)
    root.refresh_from_db()
    assert root.resolved_by == focal_point
    [thread] = comments.threads(live_plan, revision)
    assert [c.body for c in thread["replies"]] == ["Done", "Thanks"]
    assert thread["anchor_label"] == "Title"


def test_it_keeps_comments_with_the_revision_they_were_made_on(live_plan, focal_point, reviewer):
    first = revisions.save_content(live_plan, revisions.snapshot(live_plan), by=focal_point)
    comments.add(live_plan, reviewer, "On the first revision", anchor="field:title", revision=first)
    live_plan.discard_revision(by=focal_point)
    second = revisions.save_content(live_plan, revisions.snapshot(live_plan), by=focal_point)
    assert comments.threads(live_plan, second) == []
    assert [t["root"].body for t in comments.threads(live_plan, first)] == ["On the first revision"]


def test_it_refuses_an_empty_comment_or_an_unknown_field(live_plan, reviewer):
    with pytest.raises(ValidationError):
        comments.add(live_plan, reviewer, "   ", anchor="field:title")
    with pytest.raises(ValidationError):
        comments.add(live_plan, reviewer, "Hm", anchor="field:password")
    with pytest.raises(ValidationError):
        comments.add(live_plan, reviewer, "Hm", anchor="row:nonsense:123")
    assert not ReviewComment.objects.exists()


def test_it_answers_a_comment_on_a_deleted_row_over_http_with_a_message(
    client, plan_factory, focal_point, reviewer
):
    plan = plan_factory(status=Plan.Status.SUBMITTED, challenge_statement="x")
    row = plan.insights.create(text="Will be deleted", position=0)
    key = row.key
    row.delete()  # deleted after the reviewer opened the page
    client.force_login(reviewer)
    response = client.post(
        reverse("admin:plans_plan_comment", args=[plan.pk]),
        {"body": "Source?", "anchor": f"row:insights:{key}", "revision": ""},
        follow=True,
    )
    assert response.status_code == 200
    assert "This row no longer exists" in response.content.decode()
    assert not ReviewComment.objects.exists()


def test_it_refuses_a_comment_meant_for_a_revision_published_meanwhile(
    client, live_plan, focal_point, reviewer
):
    revision = revisions.save_content(live_plan, revisions.snapshot(live_plan), by=focal_point)
    live_plan.submit(by=focal_point)
    live_plan.publish(by=reviewer)
    client.force_login(reviewer)
    response = client.post(
        reverse("admin:plans_plan_comment", args=[live_plan.pk]),
        {"body": "Late remark", "anchor": "field:title", "revision": revision.pk},
        follow=True,
    )
    assert "was not saved" in response.content.decode()
    assert not ReviewComment.objects.exists()
