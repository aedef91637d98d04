"""The Atom feed's summaries are text, never HTML: an answer holding raw or broken HTML must not put an
unterminated tag into every feed reader (issue 12, finding 13)."""

import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from plans.models import Plan

ATOM = "{http://www.w3.org/2005/Atom}"


class Tags(HTMLParser):
    """The tags an HTML fragment opens, and its text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def summaries(client) -> dict[str, str]:
    response = client.get("/feeds/plans/")
    root = ET.fromstring(response.content)  # well-formed XML or this raises
    return {e.findtext(f"{ATOM}title"): e.findtext(f"{ATOM}summary") for e in root.iter(f"{ATOM}entry")}


@pytest.mark.parametrize(
    "summary",
    [
        "Mapping kiosks <script>alert(1)</script> in <b>Hanoi</b> and <a href='x' onclick='y'",
        "Mapping kiosks in Hanoi <img src=x onerror=alert(1)",
        "Mapping kiosks in Hanoi " + "<div>" * 30 + "with long answers",
    ],
)
def test_it_summarises_a_plan_as_text_without_any_tag(client, plan_factory, summary):
    plan_factory(
        title="Kiosks", status=Plan.Status.PUBLISHED, published_at=timezone.now(), tweet_summary=summary
    )
    html = summaries(client)["Kiosks"]
    parser = Tags()
    parser.feed(html)
    parser.close()
    assert parser.tags == []
    assert "<" not in html  # not even an unterminated tag that a lenient parser would read as text
    assert "".join(parser.text).startswith("Mapping kiosks")


def test_it_cuts_a_long_summary_on_words(client, plan_factory):
    words = " ".join(f"<i>word{n}</i>" for n in range(100))
    plan_factory(
        title="Long", status=Plan.Status.PUBLISHED, published_at=timezone.now(), challenge_statement=words
    )
    html = summaries(client)["Long"]
    assert "<" not in html
    assert html.startswith("word0 word1") and "word59" in html and "word60" not in html
