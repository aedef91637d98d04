"""The authoring UI: changelist and change form of plans, the lost-update guard, the review lists."""

import io
import json
import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from plans import search
from plans.admin.fieldsets import content_blocks, section_fields
from plans.catalogue import ANSWER_FIELDS, plan_fields, template
from plans.models import (
    SDG,
    BlogLink,
    MethodTag,
    Plan,
    PlanEvent,
    validate_archive_layout,
    validate_source_file,
)
from plans.parts import VOCABULARY_NAMES, vocabulary
from tests.conftest import FIXTURES

INLINE_PREFIXES = [
    "insights",
    "barriers",
    "partnerships",
    "learning_questions",
    "evidence",
    "blog_links",
    "extra_answers",
]


def plan_form_data(plan, client, **overrides):
    """The POST a browser would send for `plan`'s change form as opened now (by `client`'s user)."""
    response = client.get(reverse("admin:plans_plan_change", args=[plan.pk]))
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None:
            continue
        if isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        else:
            data[name] = field.widget.format_value(value) if name == "archive_layout" else value
    for prefix in INLINE_PREFIXES:
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    data["_save"] = "Save"
    data.update(overrides)
    return data


@pytest.fixture
def many_plans(plan_factory, lab_a):
    def make(n):
        sdg = SDG.objects.first()
        with search.batch():  # index each plan once, not after each tag: most of the time it takes
            for i in range(n):
                plan = plan_factory(title=f"Plan number {i}", status=Plan.Status.PUBLISHED)
                plan.methods.add("Ethnography", f"Method {i % 3}")
                plan.datasources.add("Survey")
                plan.sdgs.add(sdg)

    return make


@pytest.mark.parametrize("n", [5, 50])
def test_it_lists_plans_with_a_bounded_number_of_queries(
    client, superuser, many_plans, n, django_assert_max_num_queries
):
    many_plans(n)
    client.force_login(superuser)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("admin:plans_plan_changelist"))
    assert response.status_code == 200
    assert response.content.decode().count('<td class="field-method_list">Ethnography, Method') == n


def test_it_filters_the_changelist_by_tag_and_status(client, superuser, many_plans, plan_factory):
    many_plans(3)
    plan_factory(title="Draft without tags")
    client.force_login(superuser)
    url = reverse("admin:plans_plan_changelist")
    assert "Draft without tags" not in client.get(url, {"status__exact": "published"}).content.decode()
    tag = MethodTag.objects.get(name="Ethnography")
    response = client.get(url, {"methods__id__exact": tag.pk})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 3


def test_it_names_the_lab_in_the_plan_list_only_for_those_who_see_several(
    client, focal_point, reviewer, plan_factory, lab_b
):
    plan_factory(title="Plan of lab A")
    plan_factory(title="Plan of lab B", lab=lab_b)
    url = reverse("admin:plans_plan_changelist")

    client.force_login(focal_point)  # a focal point of one lab: every row is of that lab
    one = client.get(url).content.decode()
    assert "Plan of lab A" in one and "Plan of lab B" not in one
    assert "column-lab" not in one and "lab__id__exact" not in one
    lab_b.members.add(focal_point)  # a focal point of two labs
    client.force_login(focal_point)
    assert "column-lab" in client.get(url).content.decode()
    client.force_login(reviewer)
    several = client.get(url).content.decode()
    assert "column-lab" in several and "lab__id__exact" in several
    # No left sidebar: the list has the screen's width beside its filters.
    assert 'id="nav-sidebar"' not in several


def headings(body: str) -> list[str]:
    """The section headings of a change form, in page order."""
    return [h.split(">", 1)[1].split("<", 1)[0].strip() for h in body.split('class="fieldset-heading"')[1:]]


def test_it_renders_the_change_form_for_a_superuser_with_bounded_queries(
    client, superuser, plan_factory, django_assert_max_num_queries
):
    plan = plan_factory(kind=Plan.Kind.CLOSING, form_version=Plan.FormVersion.CLOSING_V2)
    plan.insights.create(text="People trust neighbours", position=1)
    plan.blog_links.create(url="https://example.org/blog", title="Our blog")
    plan.methods.add("Ethnography")
    client.force_login(superuser)
    # 45 before the review workspace; it adds a fixed few: the rows comments can anchor on (one query per
    # kind of row), the comments, and the edit-session mark (who else is editing).
    with django_assert_max_num_queries(57):
        response = client.get(reverse("admin:plans_plan_change", args=[plan.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    # The sections of the second closing form, in its order, none of the opening plan's; the
    # classification every plan has; status and archive.
    assert headings(body) == [
        "Where and who",
        "Learnings on your challenge",
        "Data and methods",
        "Partners",
        "End",
        "Challenge classification",
        "Status",
        "Archive",
    ]
    assert "Other fields" not in body and "challenge_statement" not in body
    assert 'type="checkbox" name="sdgs"' in body
    assert "1 blog link pending approval" in body


def test_it_shows_other_templates_answers_only_on_plans_that_hold_some(client, superuser, plan_factory):
    plan = plan_factory(form_version="closing_v2", challenge_statement="Imported from an opening plan")
    plan.learning_questions.create(question="Kept from the archive")
    client.force_login(superuser)
    body = client.get(reverse("admin:plans_plan_change", args=[plan.pk])).content.decode()
    assert "Other fields" in body and "Imported from an opening plan" in body
    assert "Kept from the archive" in body  # a list the template does not ask for, shown since it has rows
    assert 'name="background"' not in body


def add_url(form):
    return reverse("admin:plans_plan_add") + f"?form={form}"


def new_plan_data(lab, form, **fields):
    """The POST of a new plan's add form with no child rows, plus `fields`."""
    return {
        "form_version": form,
        "lab": lab.pk,
        "language": "en",
        "year": "2024",
        **{f"{p}-TOTAL_FORMS": "0" for p in INLINE_PREFIXES},
        **{f"{p}-INITIAL_FORMS": "0" for p in INLINE_PREFIXES},
        **fields,
    }


def test_it_asks_which_form_before_writing(client, focal_point):
    client.force_login(focal_point)
    response = client.get(reverse("admin:plans_plan_add"))
    assert response.templates[0].name == "admin/plans/plan/choose_form.html"
    body = response.content.decode()
    for form in ("opening", "closing_v2", "closing_v1"):
        assert f'href="{add_url(form)}"' in body
    changelist = client.get(reverse("admin:plans_plan_changelist")).content.decode()
    assert "New opening plan" in changelist and f'href="{add_url("closing_v2")}"' in changelist


def test_it_shows_only_the_chosen_templates_sections_with_its_prompts(client, focal_point, lab_a):
    client.force_login(focal_point)
    response = client.get(add_url("closing_v1"))
    body = response.content.decode()
    assert headings(body)[:6] == [
        "Where and who",
        "Learnings on your challenge",
        "Time split",
        "Data and methods",
        "Partners",
        "End",
    ]
    form = response.context["adminform"].form
    assert "kind" not in form.fields
    assert form["form_version"].value() == "closing_v1" and form.fields["form_version"].widget.is_hidden
    assert form.fields["why_data"].label == "Why these data"
    assert str(form.fields["why_data"].help_text).startswith("Relating to your types of data")
    # Each child list inside its section, in the form's order: insights, blogs, barriers; no partner rows
    # (the first closing form asks about partners in words), no opening plan's learning questions.
    for prefix in ("insights", "blog_links", "barriers", "evidence"):
        assert f'id="{prefix}-group"' in body
    assert body.index('id="insights-group"') < body.index('id="blog_links-group"')
    assert body.index('id="barriers-group"') < body.index("time-split")
    assert body.index('id="evidence-group"') > body.index(">End<")
    for prefix in ("partnerships", "learning_questions", "extra_answers"):
        assert f'id="{prefix}-group"' not in body
    # An empty row waits in each list the author writes row by row.
    assert 'name="insights-0-text"' in body and 'name="insights-1-text"' not in body
    assert "challenge_statement" not in body and "handover_options" not in body
    # Defaults that fit: the focal point's one lab, its country, this year, the page's language.
    assert form["lab"].value() == lab_a.pk and form["country"].value() == "Vietnam"
    assert form["language"].value() == "en"


def test_it_saves_a_closing_report_with_children_and_tags(client, focal_point, lab_a):
    # Methods are a closed list that reviewers keep (issue 16): the focal point chooses from it.
    for name in ("Ethnography", "Mapping"):
        vocabulary("methods").tag_model.objects.create(name=name)
    client.force_login(focal_point)
    response = client.get(add_url("closing_v2"))
    assert list(response.context["adminform"].form.fields["lab"].queryset) == [lab_a]
    body = response.content.decode()
    # The partners: the prompt's answer, then the partner rows (a name on one line) under their own heading.
    assert body.count("Partners worked with") == 1
    assert 'id="partnerships-heading" class="inline-heading">Partners<' in body
    assert '<input type="text" name="partnerships-0-name"' in body
    data = {
        "title": "Waste pickers",
        "form_version": "closing_v2",
        "lab": lab_a.pk,
        "language": "en",
        "year": "2024",
        "methods": "Ethnography, Mapping",
        "datasources": "Survey",
        "handover_options": ["not_scaled"],
        "sdgs": [SDG.objects.get(number=11).pk],
        **{f"{p}-TOTAL_FORMS": "0" for p in INLINE_PREFIXES},
        **{f"{p}-INITIAL_FORMS": "0" for p in INLINE_PREFIXES},
        "insights-TOTAL_FORMS": "2",
        "insights-0-text": "Informal recyclers know the city",
        "insights-0-position": "0",  # as rendered: the script sets positions only after a reorder
        "insights-1-text": "Prices move weekly",
        "insights-1-position": "0",
        "partnerships-TOTAL_FORMS": "1",
        "partnerships-0-position": "0",
        "partnerships-0-name": "Hanoi recyclers' union",
        "partnerships-0-sector": "civil_society",
        "partnerships-0-is_new_and_unusual": "yes",
        "_save": "Save",
    }
    response = client.post(add_url("closing_v2"), data)
    assert response.status_code == 302, response.context["errors"]
    plan = Plan.objects.get(title="Waste pickers")
    assert plan.created_by == focal_point
    assert (plan.kind, plan.form_version) == ("closing", "closing_v2")  # the kind follows the form
    assert sorted(t.name for t in plan.methods.all()) == ["Ethnography", "Mapping"]
    assert plan.handover_options == ["not_scaled"]
    # Rows posted without positions (no script) keep the order given.
    assert [(i.text, i.position) for i in plan.insights.all()] == [
        ("Informal recyclers know the city", 1),
        ("Prices move weekly", 2),
    ]
    assert plan.partnerships.get().name == "Hanoi recyclers' union"


def test_it_saves_an_opening_plan_with_its_learning_questions(client, focal_point, lab_a):
    client.force_login(focal_point)
    data = new_plan_data(
        lab_a,
        "opening",
        title="Who recycles",
        language="fr",
        challenge_statement="Our challenge is that nobody counts recyclers.",
        **{
            "learning_questions-TOTAL_FORMS": "1",
            "learning_questions-0-question": "Who recycles?",
            "learning_questions-0-stages": ["sense", "test"],
            "learning_questions-0-position": "0",
        },
    )
    response = client.post(add_url("opening"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    plan = Plan.objects.get(title="Who recycles")
    assert (plan.kind, plan.language) == ("opening", "fr")
    assert plan.learning_questions.get().stages == ["sense", "test"]


@pytest.mark.parametrize(
    "field, value",
    [("year", "1999"), ("year", "2999"), ("latitude", "91"), ("longitude", "-181"), ("language", "de")],
)
def test_it_range_checks_what_a_new_plan_is_given(client, focal_point, lab_a, field, value):
    client.force_login(focal_point)
    data = new_plan_data(lab_a, "opening", title="Out of range", **{field: value})
    response = client.post(add_url("opening"), data)
    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == [field]


def test_it_says_once_that_the_time_split_does_not_add_up(client, focal_point, plan_factory):
    plan = plan_factory(form_version="closing_v1", kind="closing")
    client.force_login(focal_point)
    data = plan_form_data(plan, client, time_sense="40", time_explore="30", time_test="10", time_grow="5")
    response = client.post(reverse("admin:plans_plan_change", args=[plan.pk]), data)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count("must add up to 100") == 1 and "must be empty or add up" not in body
    assert response.context["adminform"].form.errors["time_sense"] == [
        "The time spent in the learning cycle must add up to 100 %; it sums to 85."
    ]


def test_it_lets_a_superuser_add_a_plan_without_typing_a_slug(client, superuser, lab_a):
    client.force_login(superuser)
    data = new_plan_data(lab_a, "opening", title="A plan by the administrator", archive_layout="{}")
    response = client.post(add_url("opening"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Plan.objects.get(title="A plan by the administrator").slug == "a-plan-by-the-administrator"


def test_it_shows_learning_question_stages_by_name_to_a_reader(client, reviewer, plan_factory):
    plan = plan_factory(status=Plan.Status.SUBMITTED)
    plan.learning_questions.create(question="Who pays?", stages=["test"])
    client.force_login(reviewer)
    body = client.get(reverse("admin:plans_plan_change", args=[plan.pk])).content.decode()
    assert "Who pays?" in body and "Test" in body
    assert "[&quot;test&quot;]" not in body and '["test"]' not in body
    # Read-only: the language by its name, and no handles to reorder rows that cannot move.
    assert '<div class="readonly">English</div>' in body
    assert 'class="drag-handle"' not in body and "data-reorderable" not in body


def test_it_keeps_handover_answers_outside_the_fixed_list(client, superuser, plan_factory):
    plan = plan_factory(handover_options=["Mise en place d'une organisation pour la coordination"])
    client.force_login(superuser)
    data = plan_form_data(plan, client, title="Renamed")
    assert client.post(reverse("admin:plans_plan_change", args=[plan.pk]), data).status_code == 302
    plan.refresh_from_db()
    assert plan.title == "Renamed"
    assert plan.handover_options == ["Mise en place d'une organisation pour la coordination"]


def test_it_refuses_a_save_when_someone_saved_since_the_form_was_opened(
    client, focal_point, superuser, plan_factory
):
    plan = plan_factory(title="Original")
    client.force_login(focal_point)
    stale = plan_form_data(plan, client, title="Alice's title", challenge_statement="typed by alice")

    other = type(client)()
    other.force_login(superuser)
    response = other.post(
        reverse("admin:plans_plan_change", args=[plan.pk]), plan_form_data(plan, other, title="Root's title")
    )
    assert response.status_code == 302

    response = client.post(reverse("admin:plans_plan_change", args=[plan.pk]), stale)
    assert response.status_code == 200
    body = response.content.decode()
    assert "root saved this plan on" in body
    assert "typed by alice" in body  # what alice typed is still in the form
    plan.refresh_from_db()
    assert plan.title == "Root's title"

    # Told what happened, a second save is a deliberate overwrite.
    again = {**stale, "opened_version": response.context["adminform"].form["opened_version"].value()}
    assert client.post(reverse("admin:plans_plan_change", args=[plan.pk]), again).status_code == 302
    plan.refresh_from_db()
    assert plan.title == "Alice's title"


def test_it_shows_only_the_transitions_the_user_may_make(client, focal_point, reviewer, plan_factory):
    plan = plan_factory(status=Plan.Status.SUBMITTED)
    client.force_login(reviewer)
    body = client.get(reverse("admin:plans_plan_change", args=[plan.pk])).content.decode()
    assert 'value="publish"' in body and 'value="return"' in body
    assert 'value="submit"' not in body and 'value="withdraw"' not in body
    assert 'name="comment"' in body
    assert 'value="claim"' in body and 'value="schedule"' in body and 'value="recall"' not in body
    client.force_login(focal_point)
    body = client.get(reverse("admin:plans_plan_change", args=[plan.pk])).content.decode()
    # Its author may only take the submission back (issue 13: recall).
    assert body.count('name="transition"') == 1 and 'value="recall"' in body
    assert "cannot be edited now" in body


def test_it_returns_a_plan_with_a_comment_and_shows_it_on_the_timeline(
    client, reviewer, focal_point, plan_factory, django_capture_on_commit_callbacks
):
    plan = plan_factory(status=Plan.Status.SUBMITTED)
    client.force_login(reviewer)
    url = reverse("admin:plans_plan_transition", args=[plan.pk, "return"])
    response = client.post(url, {"comment": ""})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == Plan.Status.SUBMITTED  # no comment, no return
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"comment": "Please add your partners."})
    plan.refresh_from_db()
    assert plan.status == Plan.Status.DRAFT
    assert [m.to for m in mail.outbox] == [[focal_point.email]]
    client.force_login(focal_point)
    body = client.get(reverse("admin:plans_plan_change", args=[plan.pk])).content.decode()
    assert "Please add your partners." in body and "Return to author" in body


def test_it_rejects_a_transition_by_get(client, reviewer, plan_factory):
    plan = plan_factory(status=Plan.Status.SUBMITTED)
    client.force_login(reviewer)
    response = client.get(reverse("admin:plans_plan_transition", args=[plan.pk, "publish"]))
    assert response.status_code == 405
    plan.refresh_from_db()
    assert plan.status == Plan.Status.SUBMITTED


def test_it_lists_the_review_queue_oldest_submission_first(client, reviewer, focal_point, plan_factory):
    first, second = plan_factory(title="Submitted first"), plan_factory(title="Submitted second")
    plan_factory(title="Still a draft")
    first.submit(by=focal_point)
    second.submit(by=focal_point)
    client.force_login(reviewer)
    body = client.get(reverse("admin:plans_plan_review_queue")).content.decode()
    assert body.index("Submitted first") < body.index("Submitted second")
    assert "Still a draft" not in body
    client.force_login(focal_point)
    assert client.get(reverse("admin:plans_plan_review_queue")).status_code == 403


def test_it_approves_and_rejects_blog_links_in_bulk_with_a_note(client, reviewer, plan_factory):
    plan = plan_factory(status=Plan.Status.PUBLISHED)
    links = [plan.blog_links.create(url=f"https://example.org/{i}") for i in range(4)]
    client.force_login(reviewer)
    url = reverse("admin:plans_bloglink_changelist")
    body = client.get(url, {"status__exact": "pending"}).content.decode()
    assert body.count("formaction=") == 4
    client.post(url, {"action": "approve_selected", "_selected_action": [links[0].pk, links[1].pk]})
    response = client.post(url, {"action": "reject_selected", "_selected_action": [links[2].pk, links[3].pk]})
    assert response.status_code == 200 and "Why is the link rejected?" in response.content.decode()
    assert BlogLink.objects.filter(status=BlogLink.Status.REJECTED).count() == 0
    client.post(
        url,
        {
            "action": "reject_selected",
            "_selected_action": [links[2].pk, links[3].pk],
            "note": "Not about this plan",
        },
    )
    statuses = {link.pk: link.status for link in BlogLink.objects.all()}
    assert [statuses[link.pk] for link in links] == ["approved", "approved", "rejected", "rejected"]
    assert (
        PlanEvent.objects.filter(action=PlanEvent.Action.REJECT_LINK, comment="Not about this plan").count()
        == 2
    )


def test_it_rejects_a_single_link_only_with_a_note(client, reviewer, plan_factory):
    link = plan_factory().blog_links.create(url="https://example.org/x")
    client.force_login(reviewer)
    url = reverse("admin:plans_bloglink_reject", args=[link.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"note": ""})
    link.refresh_from_db()
    assert link.status == BlogLink.Status.PENDING
    client.post(url, {"note": "Broken link"})
    link.refresh_from_db()
    assert (link.status, link.review_note, link.reviewed_by) == ("rejected", "Broken link", reviewer)


def test_it_leads_the_admin_pages_breadcrumbs_to_their_model_list(client, reviewer, plan_factory):
    link = plan_factory().blog_links.create(url="https://example.org/x")
    client.force_login(reviewer)
    pages = {
        reverse("admin:plans_plan_review_queue"): reverse("admin:plans_plan_changelist"),
        reverse("admin:plans_bloglink_reject", args=[link.pk]): reverse("admin:plans_bloglink_changelist"),
    }
    for page, changelist in pages.items():
        body = client.get(page).content.decode()
        crumbs = body[body.index('<ol class="breadcrumbs">') : body.index("</ol>")]
        assert f'href="{changelist}"' in crumbs and 'aria-current="page"' in crumbs


def test_it_lets_a_focal_point_add_a_blog_link_to_a_published_plan(client, focal_point, plan_factory):
    plan = plan_factory(status=Plan.Status.PUBLISHED)
    client.force_login(focal_point)
    body = client.get(reverse("admin:plans_plan_change", args=[plan.pk])).content.decode()
    assert "Add a blog link" in body
    response = client.post(
        reverse("admin:plans_bloglink_add") + f"?plan={plan.pk}",
        {"plan": plan.pk, "url": "https://example.org/blog", "title": "Blog", "position": 0, "_save": "Save"},
    )
    assert response.status_code == 302
    assert plan.blog_links.get().status == BlogLink.Status.PENDING


def test_it_previews_a_draft_for_its_authors_and_reviewers_only(
    client, focal_point, other_focal_point, reviewer, plan_factory
):
    plan = plan_factory(title="Secret draft", challenge_statement="How might we recycle?")
    url = reverse("admin:plans_plan_preview", args=[plan.pk])
    for user in (focal_point, reviewer):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200 and "How might we recycle?" in response.content.decode()
    client.force_login(other_focal_point)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_it_links_reviewers_to_their_lists_from_the_admin_index(client, reviewer, focal_point):
    client.force_login(reviewer)
    body = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:plans_plan_review_queue") in body and "0 blog links awaiting approval" in body
    client.force_login(focal_point)
    assert reverse("admin:plans_plan_review_queue") not in client.get(reverse("admin:index")).content.decode()


def test_it_cuts_a_long_blog_address_to_one_line_on_the_reviewers_dashboard(client, reviewer, plan_factory):
    # Some archive answers hold several addresses in one link: the list shows its start, the tooltip all.
    long = "https://www.undp.org/es/peru/blog/" + "creando-parte-1-learning-community " * 6
    plan_factory(title="With links").blog_links.create(url=long, title="")
    client.force_login(reviewer)

    body = client.get(reverse("admin:index")).content.decode()

    shown = re.search(r'<a href="/admin/plans/bloglink/\d+/change/" title="([^"]*)">([^<]*)</a>', body)
    assert shown.group(1) == long and len(shown.group(2)) == 70 and shown.group(2).endswith("…")


def test_it_shows_a_read_only_plan_with_readable_checklist_answers(client, reviewer, plan_factory):
    plan = plan_factory(
        status=Plan.Status.SUBMITTED, form_version="closing_v2", handover_options=["not_scaled"]
    )
    client.force_login(reviewer)
    body = client.get(reverse("admin:plans_plan_change", args=[plan.pk])).content.decode()
    assert "Our work has not yet scaled" in body and "not_scaled" not in body
    assert "opened_version" not in body


def test_it_derives_the_plan_fieldsets_from_the_catalogue():
    for form in ("opening", "closing_v1", "closing_v2", "hybrid"):
        blocks = content_blocks(form)
        placed = [f for b in blocks for f in b.fields]
        flat = [name for f in placed for name in ((f,) if isinstance(f, str) else f)]
        asked = {n for p in template(form).prompts() for n in plan_fields(p)}
        # The template's answer fields and every vocabulary, each once, nothing of another template.
        assert sorted(flat) == sorted({*asked, *VOCABULARY_NAMES})
        assert set(flat) <= {*ANSWER_FIELDS, *VOCABULARY_NAMES}
    closing = [b.name for b in content_blocks("closing_v1") if b.name]
    with_fields = [str(s.label) for s in template("closing_v1").sections if section_fields(s)]
    assert [n for n in closing if n in with_fields] == with_fields
    opening = {b.name: b for b in content_blocks("opening")}
    assert opening["Challenge statement"].fields[:2] == ["challenge_type", "challenge_statement"]
    assert opening["Challenge classification"].fields == ["thematic_areas", "sdgs", "methods", "datasources"]
    assert [c.related_name for c in opening["Learning question"].children] == ["learning_questions"]


# ---------------------------------------------------------------- archive fields (issue 12, finding 3)


def test_it_does_not_let_focal_points_edit_the_archive_fields(client, focal_point, plan_factory):
    plan = plan_factory(source_file="waste_pickers.md", archive_layout={"v": 1, "sections": []})
    client.force_login(focal_point)
    response = client.get(reverse("admin:plans_plan_change", args=[plan.pk]))
    fields = response.context["adminform"].form.fields
    assert "source_file" not in fields and "archive_layout" not in fields and "slug" not in fields
    data = plan_form_data(plan, client, source_file="hijacked.md", archive_layout='{"sections": 5}')
    assert client.post(reverse("admin:plans_plan_change", args=[plan.pk]), data).status_code == 302
    plan.refresh_from_db()
    assert (plan.source_file, plan.archive_layout) == ("waste_pickers.md", {"v": 1, "sections": []})


def one_item(*parts):
    return {
        "sections": [{"h": "T", "m": False, "k": None, "items": [{"p": None, "k": None, "parts": parts}]}]
    }


@pytest.mark.parametrize(
    "layout",
    [
        ["not", "an", "object"],
        {"sections": 5},
        {"sections": [{"h": "Title", "m": False, "k": None}]},  # no items
        one_item(["zz"]),  # an unknown part
        one_item(["e", "quantitative", "3"]),  # a count that is not a number
        one_item(["g", None, [["q", "first", "question"]]]),  # inside a group
        {"meta": [["year"]]},
    ],
)
def test_it_refuses_a_malformed_archive_layout_with_a_clear_error(client, superuser, plan_factory, layout):
    plan = plan_factory()
    client.force_login(superuser)
    data = plan_form_data(plan, client, archive_layout=json.dumps(layout))
    response = client.post(reverse("admin:plans_plan_change", args=[plan.pk]), data)
    assert response.status_code == 200
    [error] = response.context["adminform"].form.errors["archive_layout"]
    assert error.startswith("The archive layout is malformed at ")
    plan.refresh_from_db()
    assert plan.archive_layout == {}


def test_it_lets_a_superuser_edit_a_well_formed_archive_layout(client, superuser, plan_factory):
    plan = plan_factory()
    layout = {
        "v": 1,
        "meta": [["year", "2023"]],
        "sections": [{"h": "Challenge statement", "m": True, "k": "challenge_statement", "items": []}],
    }
    client.force_login(superuser)
    data = plan_form_data(plan, client, archive_layout=json.dumps(layout), source_file="plan.md")
    assert client.post(reverse("admin:plans_plan_change", args=[plan.pk]), data).status_code == 302
    plan.refresh_from_db()
    assert (plan.archive_layout, plan.source_file) == (layout, "plan.md")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("evil.md\r\nSet-Cookie: x=1", "A source file is a plain file name"),
        ("../other_lab/plan.md", "A source file is a plain file name"),
        ("folder\\plan.md", "A source file is a plain file name"),
        ("tab\there.md", "A source file is a plain file name"),
        ("their_plan.md", "Another plan already comes from this archive file."),
    ],
)
def test_it_refuses_a_source_file_that_is_not_a_plain_unused_file_name(
    client, superuser, plan_factory, lab_b, name, message
):
    plan_factory(lab=lab_b, source_file="their_plan.md")
    plan = plan_factory(source_file="ours.md")
    client.force_login(superuser)
    data = plan_form_data(plan, client, source_file=name)
    response = client.post(reverse("admin:plans_plan_change", args=[plan.pk]), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors.as_data()
    assert any(str(m).startswith(message) for e in errors.values() for err in e for m in err.messages)
    plan.refresh_from_db()
    assert plan.source_file == "ours.md"


def test_it_validates_the_archive_fields_on_every_path_that_validates(plan_factory, lab_b):
    plan_factory(lab=lab_b, source_file="taken.md")
    plan = plan_factory()
    for fields in (
        {"archive_layout": {"sections": [1]}},
        {"source_file": "a\nb"},
        {"source_file": "taken.md"},
    ):
        for name, value in fields.items():
            setattr(plan, name, value)
        with pytest.raises(ValidationError):
            plan.full_clean()
        plan.refresh_from_db()


def test_it_accepts_every_archive_layout_the_importer_writes(db):
    real = FIXTURES / "archive" / "real"
    call_command("import_plans", str(real), stdout=io.StringIO(), stderr=io.StringIO())
    plans = list(Plan.objects.exclude(archive_layout={}))
    assert len(plans) == len(list(real.glob("*.md")))
    for plan in plans:
        validate_archive_layout(plan.archive_layout)
        validate_source_file(plan.source_file)


# ---------------------------------------------------------------- reference data (issue 12, finding 13)


def test_it_shows_focal_points_only_their_own_labs_and_members(
    client, focal_point, other_focal_point, reviewer, lab_a, lab_b
):
    client.force_login(focal_point)
    body = client.get(reverse("admin:plans_lab_changelist")).content.decode()
    assert lab_a.name in body and '<td class="field-member_list">alice</td>' in body
    assert lab_b.name not in body and "bob" not in body
    # Another lab's page is absent (the admin's "does not exist" answer), whatever its address.
    response = client.get(reverse("admin:plans_lab_change", args=[lab_b.pk]), follow=True)
    assert response.redirect_chain == [(reverse("admin:index"), 302)]
    assert lab_b.name not in response.content.decode() and "bob" not in response.content.decode()
    client.force_login(reviewer)
    body = client.get(reverse("admin:plans_lab_changelist")).content.decode()
    assert lab_a.name in body and lab_b.name in body


def test_it_shows_focal_points_only_tags_of_published_plans_and_of_their_labs(
    client, focal_point, other_focal_point, reviewer, plan_factory, lab_b
):
    plan_factory(lab=lab_b).methods.add("Secret drone survey")  # only another lab's draft uses it
    plan_factory(lab=lab_b, status=Plan.Status.PUBLISHED).methods.add("Ethnography")
    plan_factory().methods.add("Our own draft tag")
    client.force_login(focal_point)
    response = client.get(reverse("admin:plans_methodtag_changelist"))
    assert sorted(t.name for t in response.context["cl"].result_list) == ["Ethnography", "Our own draft tag"]
    secret = MethodTag.objects.get(name="Secret drone survey")
    response = client.get(reverse("admin:plans_methodtag_change", args=[secret.pk]), follow=True)
    assert response.redirect_chain == [(reverse("admin:index"), 302)]
    assert "Secret drone survey" not in response.content.decode()
    client.force_login(reviewer)
    assert client.get(reverse("admin:plans_methodtag_changelist")).context["cl"].result_count == 3


def test_it_keeps_the_kind_with_the_form_when_a_superuser_corrects_the_form(client, superuser, plan_factory):
    plan = plan_factory(kind=Plan.Kind.OPENING, form_version="opening")
    client.force_login(superuser)
    data = plan_form_data(plan, client, form_version="closing_v2", archive_layout="{}")
    assert "kind" not in data  # not a field of the form: it follows the form
    response = client.post(reverse("admin:plans_plan_change", args=[plan.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    plan.refresh_from_db()
    assert (plan.form_version, plan.kind) == ("closing_v2", "closing")
