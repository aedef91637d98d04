"""Answers are sanitised once, when saved or imported, and pages only show the stored clean HTML (issue 12,
finding 8): 50,000 nested <div> took 19 s to sanitise on every render. Nesting is capped before nh3 runs,
so what an author pastes no longer decides what a page costs."""

import importlib
import io
import random
import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.core.management import call_command

from plans.archive.mapping import read
from plans.archive.parse import decode, parse
from plans.models import ExtraAnswer, Insight, Plan
from plans.parts import CHILDREN
from plans.sanitise import MAX_DEPTH, flatten, sanitise
from tests.conftest import CORPUS, needs_corpus

DEEP = 50_000
EVIL = '<script>alert(1)</script><b onclick="x()">Bold</b> and https://example.org/page'


class Depth(HTMLParser):
    """The deepest nesting of an HTML fragment, and its text."""

    VOID = {"br", "img", "hr"}

    def __init__(self):
        super().__init__()
        self.depth = self.deepest = 0
        self.text = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.depth += 1
            self.deepest = max(self.deepest, self.depth)

    def handle_endtag(self, tag):
        if tag not in self.VOID:
            self.depth -= 1

    def handle_data(self, data):
        self.text.append(data)


def depth_of(html: str) -> Depth:
    parser = Depth()
    parser.feed(html)
    parser.close()
    return parser


@pytest.fixture
def forbid_sanitising(monkeypatch):
    """Call it to make any later call to nh3 fail the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("nh3 ran while a page was shown")

    return lambda: monkeypatch.setattr("plans.sanitise.nh3.clean", refuse)


def test_it_stores_clean_html_and_keeps_the_answer_as_written(plan_factory):
    plan = plan_factory(background=EVIL)
    plan.refresh_from_db()
    assert plan.background == EVIL  # the archive round trip needs the answer exactly as written
    html = plan.answers_html["background"]
    assert "<script" not in html and "alert" not in html and "onclick" not in html
    assert "<b>Bold</b>" in html
    assert '<a href="https://example.org/page" rel="nofollow noopener noreferrer">' in html


def test_it_stores_clean_html_of_child_rows(plan_factory):
    plan = plan_factory()
    insight = Insight.objects.create(plan=plan, text=EVIL)
    assert "<script" not in insight.answers_html["text"] and "<b>Bold</b>" in insight.answers_html["text"]
    insight.text = "Now plain"
    insight.save(update_fields=["text", "answers_html"])
    insight.refresh_from_db()
    assert insight.answers_html == {"text": "<p>Now plain</p>"}


def test_it_shows_a_page_without_sanitising_anything(client, plan_factory, forbid_sanitising):
    plan = plan_factory(status=Plan.Status.PUBLISHED, challenge_statement=EVIL)
    ExtraAnswer.objects.bulk_create([ExtraAnswer(plan=plan, section="Other", prompt="", answer=EVIL)])
    forbid_sanitising()
    html = client.get(plan.get_absolute_url()).content.decode()
    assert "<b>Bold</b>" in html  # the stored clean HTML
    # A row written past save() (a bulk insert) has no clean HTML: its text is shown escaped, not run.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html


def test_it_caps_nesting_so_that_sanitising_is_linear(plan_factory):
    deep = "<div>" * DEEP + "deep words" + "</div>" * DEEP
    assert depth_of(flatten(deep)).deepest == MAX_DEPTH
    plan = plan_factory(background=deep)
    stored = depth_of(plan.answers_html["background"])
    assert stored.deepest <= MAX_DEPTH
    assert "deep words" in "".join(stored.text)


@pytest.mark.parametrize(
    "html",
    [
        "<p>one<p>two<p>three",  # implied end tags are not nesting
        "<ul>" + "<li>item" * 100 + "</ul>",
        "<b><i>misnested</b></i> text",
        "a < b and c > d",
    ],
)
def test_it_keeps_shallow_html_as_nh3_would(html):
    assert flatten(html) == html


def test_it_unwraps_only_what_is_too_deep():
    html = "<b>" * 25 + "x" + "</b>" * 25 + "<i>after</i>"
    flat = flatten(html, max_depth=3)
    assert flat == "<b><b><b>x</b></b></b><i>after</i>"
    assert sanitise(html).count("<b>") == MAX_DEPTH - 1  # inside the paragraph plain text is wrapped in


@pytest.mark.django_db
def test_it_stores_clean_html_when_importing(tmp_path):
    path = tmp_path / "raw.md"
    path.write_text(
        "# Raw\n\n[[focal_point:someone@undp.org]]\n\n[[year:2021]]\n\n[[type:learningplan]]\n\n"
        "[[country:Libya]]\n## Challenge statement\n\n> Background: What is the history of your challenge? "
        "What is causing or driving it? Who is involved? How does the current situation look like? What "
        f"undesired effects does it produce?\n\n{EVIL}\n",
        encoding="utf-8",
    )
    call_command("import_plans", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    plan = Plan.objects.get(source_file="raw.md")
    assert plan.background == EVIL
    assert (
        "<script" not in plan.answers_html["background"] and "<b>Bold</b>" in plan.answers_html["background"]
    )


def test_it_fills_existing_rows_in_a_data_migration(plan_factory):
    plan = plan_factory(background=EVIL)
    insight = Insight.objects.create(plan=plan, text="An insight")
    Plan.objects.update(answers_html={})
    Insight.objects.update(answers_html={})
    importlib.import_module("plans.migrations.0016_answers_html").fill(apps, None)
    plan.refresh_from_db()
    insight.refresh_from_db()
    assert "<b>Bold</b>" in plan.answers_html["background"]
    assert insight.answers_html == {"text": "<p>An insight</p>"}


@pytest.fixture
def through_nh3(monkeypatch):
    """Call it to send every answer through nh3, as before plain text skipped it."""
    return lambda: monkeypatch.setattr("plans.sanitise.NEEDS_NH3", re.compile(""))


def random_answers(n: int = 3000) -> list[str]:
    """Plain-looking texts with every character html5ever might treat specially (controls, CR, NUL, no-break
    and other Unicode spaces, quotes, entities' ampersands, angle brackets) and URLs."""
    rng = random.Random(15)
    pieces = [*"abc xyz\n\n\n\t\r\0\x0b\x0c\x1f\x7f\x85\u00a0\u2003\u2028\ufeff\ufffe\"'=/;.,)!?é€😀&<>"]
    pieces += ["http://example.org/a", "https://x.org/?q=1&b=2", " www.site.org ", "&amp;", "&nbsp;", "<b>"]
    return ["".join(rng.choices(pieces, k=rng.randint(1, 40))) for _ in range(n)]


def test_it_gives_plain_text_the_html_nh3_gives_it(through_nh3):
    texts = random_answers()
    fast = [sanitise(text) for text in texts]
    through_nh3()
    assert [sanitise(text) for text in texts] == fast


@needs_corpus
@pytest.mark.corpus
def test_it_gives_every_answer_of_the_corpus_the_html_nh3_gives_it(through_nh3):
    texts = []
    for path in sorted(CORPUS.glob("*.md")):
        if path.name == "README.md":
            continue
        content, _layout = read(parse(decode(path.read_bytes()))[0])
        texts += [v for v in content["plan"].values() if isinstance(v, str)]
        for child in CHILDREN:
            texts += [row.get(name, "") for row in content[child.content_key] for name in child.answer_fields]
    fast = [sanitise(text) for text in texts]
    through_nh3()
    assert [sanitise(text) for text in texts] == fast
