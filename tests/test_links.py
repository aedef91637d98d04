"""Links from authors and the archive: only http, https and mailto URLs ever become links (issue 12,
finding 1). The importer keeps a `javascript:` or `data:` link as text, models refuse it, a migration
neutralises old rows, and every surface (page, admin, API, downloads) checks again before emitting."""

import csv
import importlib
import io

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from plans.models import BlogLink, Evidence, ExtraAnswer, Plan
from plans.validators import link_url

HEADER = (
    "# Evil plan\n\n[[focal_point:someone@undp.org]]\n\n[[year:2021]]\n\n[[type:learningplan]]\n\n"
    "[[country:Libya]]\n[[latlng:27.0,18.0]]\n"
)
EVIDENCE_PROMPT = (
    "> Quantitative evidence: What (official) data sources do you have on this challenge that better "
    "exemplifies the importance and urgency of this frontier challenge? You can add text, a link, or a "
    "picture."
)
BLOG_PROMPT = (
    "> Please paste the link(s) to the blog(s) that articulate the learnings on your frontier challenge."
)
SCRIPT = "javascript:alert(document.domain)"
DATA = "data:text/html,<script>alert(1)</script>"
BAD = [SCRIPT, DATA, " JaVa\tScRiPt:alert(1)", "vbscript:msgbox(1)", "ftp://example.org/x", "/admin/"]


def link(url: str) -> str:
    return f"[{url}]({url})"


def import_file(tmp_path, body: str) -> Plan:
    path = tmp_path / "evil.md"
    path.write_text(HEADER + body, encoding="utf-8")
    call_command("import_plans", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    return Plan.objects.get(source_file="evil.md")


@pytest.mark.parametrize("url", ["https://example.org/a", "http://example.org", "mailto:a@example.org"])
def test_it_lets_http_https_and_mailto_become_links(url):
    assert link_url(url) == url


@pytest.mark.parametrize("url", [*BAD, "", "example.org", "javascript&#58;alert(1)", "\x01javascript:x"])
def test_it_refuses_every_other_link(url):
    assert link_url(url) == ""


@pytest.mark.django_db
def test_it_keeps_an_imported_script_link_as_text_and_never_links_it(tmp_path, client):
    evidence = "\n\n".join(f'<div class="group">\n\n> \n\n{link(url)}\n\n</div>' for url in (SCRIPT, DATA))
    plan = import_file(tmp_path, f"## Challenge statement\n\n{EVIDENCE_PROMPT}\n\n{evidence}\n")
    rows = list(plan.evidence.all())
    assert [r.url for r in rows] == ["", ""]
    assert [r.text for r in rows] == [link(SCRIPT), link(DATA)]
    html = client.get(plan.get_absolute_url()).content.decode()
    assert "alert(document.domain)" in html  # the words are kept…
    assert 'href="javascript' not in html.lower() and 'href="data' not in html.lower()  # …never as a link


@pytest.mark.django_db
def test_it_keeps_an_imported_script_blog_link_as_an_answer_not_a_link(tmp_path):
    body = f"## Learnings on your challenge\n\n{BLOG_PROMPT}\n{link(SCRIPT)}\n\n{link('https://blog.example/a')}\n"
    plan = import_file(tmp_path, body)
    assert list(plan.blog_links.values_list("url", flat=True)) == ["https://blog.example/a"]
    assert ExtraAnswer.objects.filter(plan=plan, answer=link(SCRIPT)).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("url", BAD)
def test_it_refuses_such_links_in_model_validation(plan_factory, url):
    plan = plan_factory()
    with pytest.raises(ValidationError) as evidence_error:
        Evidence(plan=plan, kind="quantitative", url=url).full_clean()
    assert "url" in evidence_error.value.message_dict
    with pytest.raises(ValidationError) as image_error:
        Evidence(plan=plan, kind="quantitative", image_url=url).full_clean()
    assert "image_url" in image_error.value.message_dict
    with pytest.raises(ValidationError) as blog_error:
        BlogLink(plan=plan, url=url).full_clean()
    assert "url" in blog_error.value.message_dict


@pytest.mark.django_db
def test_it_accepts_https_links_in_model_validation(plan_factory):
    plan = plan_factory()
    Evidence(
        plan=plan, kind="quantitative", url="https://example.org", image_url="https://e.org/a.png"
    ).full_clean()
    BlogLink(plan=plan, url="https://example.org/blog").full_clean()


@pytest.fixture
def stored_script_links(plan_factory, reviewer):
    """A published plan whose rows hold script URLs, written past validation as old rows or a raw SQL
    edit would be: every surface must still refuse to link them."""
    plan = plan_factory(title="Old rows", status=Plan.Status.PUBLISHED)
    Evidence.objects.create(plan=plan, kind="quantitative", text="Survey", url=SCRIPT, image_url=DATA)
    BlogLink.objects.create(plan=plan, url=SCRIPT, title="A blog", status=BlogLink.Status.APPROVED)
    return plan


def test_it_never_links_a_stored_script_url_on_the_public_page(client, stored_script_links):
    html = client.get(stored_script_links.get_absolute_url()).content.decode().lower()
    assert "javascript:" not in html and "data:text" not in html
    assert "survey" in html


def test_it_never_links_a_stored_script_url_in_the_admin(client, superuser, stored_script_links):
    client.force_login(superuser)
    html = client.get(reverse("admin:plans_bloglink_changelist")).content.decode().lower()
    assert 'href="javascript:' not in html
    assert ">a blog</a></th>" in html  # the row is listed, linked to its change page only


def test_it_never_emits_a_stored_script_url_in_the_api_or_downloads(client, stored_script_links):
    slug = stored_script_links.slug
    api = client.get(reverse("api:plan-detail", kwargs={"slug": slug}), HTTP_ACCEPT="application/json")
    assert api.json()["evidence"][0]["url"] == "" and api.json()["evidence"][0]["image_url"] == ""
    assert "javascript:" not in api.content.decode()
    body = client.get(reverse("downloads:plan_json", kwargs={"slug": slug})).content.decode()
    assert "javascript:" not in body and "data:text" not in body
    csv_body = b"".join(client.get(reverse("downloads:csv")).streaming_content).decode("utf-8-sig")
    (row,) = csv.DictReader(io.StringIO(csv_body))
    assert "javascript:" not in "".join(row.values())


def test_it_neutralises_old_rows_in_a_data_migration(stored_script_links):
    migration = importlib.import_module("plans.migrations.0012_untrusted_links_and_coordinates")
    Evidence.objects.create(plan=stored_script_links, kind="qualitative", url="https://ok.example")
    migration.neutralise(apps, None)
    bad, good = stored_script_links.evidence.order_by("pk")
    assert (bad.url, bad.image_url, bad.text) == ("", "", f"Survey\n{SCRIPT}\n{DATA}")
    assert good.url == "https://ok.example"
    blog = stored_script_links.blog_links.get()
    assert blog.status == BlogLink.Status.REJECTED and blog.review_note
