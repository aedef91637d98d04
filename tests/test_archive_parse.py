"""The archive reader and writer on strings: no database, no files."""

import html

import pytest

from plans.archive.document import ArchiveError
from plans.archive.mapping import read, render
from plans.archive.parse import MAX_BYTES, decode, parse
from plans.archive.text import decode_line, encode_line, line_class
from plans.archive.write import write

HEADER = """# A plan

[[focal_point:someone@undp.org]]

[[year:2023]]

[[type:learningplan]]

[[methods:Ethnography]]
[[sdgs:10. Reduced innequalities]]
[[country:Peru]]
[[latlng:-9.1,-75.0]]
"""


def doc(body: str = ""):
    return parse(HEADER + body)


def test_it_reads_the_header():
    document, warnings = doc()
    assert document.title_lines == ["A plan"]
    assert document.value("year") == "2023"
    assert document.values("sdgs") == ["10. Reduced innequalities"]
    assert document.sections == [] and warnings == []


def test_it_splits_lines_on_newline_only():
    document, _ = parse(HEADER.replace("Ethnography", "Ethno\rgraphy"))
    assert document.values("methods") == ["Ethno\rgraphy"]


def test_it_reads_a_title_on_line_two():
    document, _ = parse("# \nThe real title\n\n[[year:2022]]\n")
    content, _layout = read(document)
    assert content["plan"]["title"] == "The real title"


def test_it_keeps_quoted_user_text_as_answer_text():
    document, _ = doc(
        "## Title\n\n> Please provide a name for your action learning plan.\n\nName\n\n"
        "> Behavioral insights: not a prompt\n>> nor this\n"
    )
    [item] = document.sections[0].items
    assert item.key == "plan_name"
    assert item.lines[-2:] == ["> Behavioral insights: not a prompt", ">> nor this"]


def test_it_matches_prompts_with_entities_and_non_breaking_spaces():
    document, _ = doc(
        "## Learning questions\n> Usage of methods:\u00a0Relating to your choice above, how will you use "
        "your "
        "methods &amp; tools for this learning question? What value do these add in answering your learning "
        "question?\n\nWith maps.\n"
    )
    assert document.sections[0].items[0].key == "lq_methods_usage"


def test_it_reads_groups_with_empty_and_none_prompts():
    document, _ = doc(
        "## Challenge statement\n****\n\n> Quantitative evidence:\u00a0What (official) data sources do you "
        "have on this challenge that better exemplifies the importance and urgency of this frontier "
        "challenge? You "
        'can add text, a link, or a picture.\n\n<div class="group">\n\n> None\n\nSome figures\n\n</div>\n'
        '<div class="group">\n> \n</div>\n'
    )
    section = document.sections[0]
    assert section.marker is True
    groups = section.items[0].groups
    assert [g.prompt for g in groups] == ["None", ""]
    assert groups[0].lines[-2:] == ["Some figures", ""]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "binary data"),
        (b"# Caf\xe9\n", "not valid UTF-8"),
        (b"x" * (MAX_BYTES + 1), "2 MB limit"),
    ],
)
def test_it_refuses_what_is_not_a_plan(data, message):
    with pytest.raises(ArchiveError, match=message):
        decode(data)


def test_it_requires_a_header():
    with pytest.raises(ArchiveError, match="no header"):
        parse("## Title\n\n> Please provide a name for your action learning plan.\n")
    with pytest.raises(ArchiveError, match="no header") as error:
        parse("# Title only\n\n## Title\n")
    assert error.value.line >= 1


def test_it_rejects_a_truncated_group_at_its_opening_line():
    with pytest.raises(ArchiveError, match="truncated group") as error:
        doc('## Partners\n\n<div class="group">\n\n> Please state the name of the partner:\n\nX\n## End\n')
    assert error.value.line == HEADER.count("\n") + 3


def test_it_warns_about_a_stray_closing_div_and_keeps_it():
    document, warnings = doc(
        "## Title\n\n> Please provide a name for your action learning plan.\n\nX\n</div>\n"
    )
    assert [w.message for w in warnings] == ['</div> without <div class="group"> kept as text']
    assert document.sections[0].items[0].lines[-1] == "</div>"


def test_it_warns_about_an_unknown_heading_and_keeps_it_verbatim():
    document, warnings = doc("## Annexe\n\nFree text.\n")
    assert "unknown heading" in warnings[0].message
    assert document.sections[0].heading == "Annexe"
    assert "## Annexe" in write(document)


def test_it_decodes_entities_once_and_encodes_them_back():
    for raw in ["a &amp; b", "a &amp;amp;nbsp; b", "&gt; not a prompt", "&amp;gt; x", "&lt;p&gt;", "R&D"]:
        written = encode_line(decode_line(raw))
        # What a reader (and the round-trip checker) sees is unchanged, and so is the kind of line.
        assert html.unescape(written) == html.unescape(raw)
        assert line_class(written) == line_class(raw)
    assert decode_line("a &amp; b") == "a & b"
    assert decode_line("&gt; x") == "&gt; x"  # decoding would turn the line into a prompt


def test_it_starts_a_new_partner_when_a_field_comes_again():
    name, sector, description = (
        "> Please state the name of the Parter:",
        "> What sector does our partner belong to?",
        "> Please provide a brief description of the collaboration.",
    )

    def group(prompt, text=""):
        return f'<div class="group">\n{prompt}\n\n{text}\n</div>\n'

    document, _ = doc(
        "## Partners\n> Who are your top 5 partners for this challenge? Please submit from MOST to LEAST "
        "important and state Name, Sector and a brief description of the (intended) collaboration.\n\n"
        + group(name, "Ministry")
        + group(sector)
        + group(description, "Policy lab")
        + group(name, "University")
        + group(description, "Research")
        + group(description, "No name given")
    )
    content, _layout = read(document)
    assert [(p["name"], p["description"]) for p in content["partners"]] == [
        ("Ministry", "Policy lab"),
        ("University", "Research"),
        ("", "No name given"),
    ]


def test_it_reads_checklists_blog_links_and_pending_blogs():
    document, _ = parse(
        HEADER + "## Learnings on your challenge\n\n"
        "> Considering the outcomes of this learning challenge, which of the following best describe the "
        "handover process? (Please select all that apply)\n\n- Our work has not yet scaled\n- Other\n\n"
        "> Please paste any link(s) to blog(s) or publication(s) that articulate the learnings on your "
        "frontier"
        " challenge.\n[https://a.org/x](https://a.org/x)\n\n1 blogs pending approval\n"
    )
    content, _layout = read(document)
    assert content["plan"]["form_version"] == "closing_v2"
    assert content["plan"]["handover_options"] == ["not_scaled", "other"]
    assert content["blog_links"] == [{"url": "https://a.org/x"}]
    assert content["extra_answers"][0]["answer"] == "1 blogs pending approval"


def test_it_writes_a_plan_without_layout_with_the_prompts_of_its_template():
    document, _ = doc()
    content, _layout = read(document)
    content["plan"]["form_version"] = "opening"
    content["plan"]["background"] = "Why it matters."
    content["insights"] = []
    text = write(render(content, {}))
    assert "## Challenge statement" in text
    assert "> Background:\u00a0What is the history" in text
    assert "Why it matters." in text
    again, _ = parse(text)
    assert read(again)[0]["plan"]["background"] == "Why it matters."


def test_it_writes_a_partner_field_whose_group_the_source_lacked_in_form_order():
    document, _ = doc(
        "## Partners\n> Who are your top 5 partners for this challenge? Please submit from MOST to LEAST "
        "important and state Name, Sector and a brief description of the (intended) collaboration.\n"
        '<div class="group">\n> Please state the name of the Parter:\nMinistry\n</div>\n'
        '<div class="group">\n> Please provide a brief description of the collaboration.\n'
        "Policy lab\n</div>\n"
    )
    content, layout = read(document)
    content["partners"][0]["sector"] = "government"
    text = write(render(content, layout))
    assert text.index("Ministry") < text.index("Government") < text.index("Policy lab")
    again, _layout = read(parse(text)[0])
    assert again["partners"] == content["partners"]
