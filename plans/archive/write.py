"""Write a `Document` as archive text, in the canonical layout of the seed plan. Pure Python.

Blank lines are layout only (the round-trip checker ignores their number), so the writer uses the seed's
spacing whatever the source had; everything else is written exactly as held in the document.
"""

from plans.archive.document import Document, Group, Item
from plans.archive.text import GROUP_CLOSE, GROUP_OPEN, join_paragraphs, paragraphs

_SPACED_KEYS = ("focal_point", "year", "type")  # the seed puts a blank line after each of these


def _answer(lines: list[str]) -> list[str]:
    return join_paragraphs(paragraphs(lines))


def _group(group: Group) -> list[str]:
    out = ["", "", GROUP_OPEN, "", ""]
    if group.prompt is not None:
        out += ["> " + group.prompt if group.prompt else "> ", ""]
    answer = _answer(group.lines)
    if answer:
        out += [*answer, ""]
    return [*out, "", GROUP_CLOSE, ""]


def _item(item: Item) -> list[str]:
    out = [""]
    answer = _answer(item.lines)
    if item.prompt is not None:
        out.append("> " + item.prompt if item.prompt else "> ")
        # A link answer starts right under its prompt in the archive; other answers after a blank line.
        if answer and not answer[0].startswith("["):
            out.append("")
    elif not answer:
        out.pop()
    out += answer
    for group in item.groups:
        out += _group(group)
    tail = _answer(item.tail)
    if tail:
        out += ["", *tail]
    return out


def write(doc: Document) -> str:
    title = doc.title_lines or [""]
    out = ["# " + title[0], *title[1:], ""]
    for key, value in doc.meta:
        out.append(f"[[{key}:{value}]]")
        if key in _SPACED_KEYS:
            out.append("")
    if doc.header_extra:
        out += ["", *doc.header_extra, ""]
    for section in doc.sections:
        out.append("## " + section.heading)
        if section.marker:
            out.append("****")
        for item in section.items:
            out += _item(item)
    while len(out) > 1 and out[-1] == "" and out[-2] == "":
        out.pop()
    return "\n".join(out).rstrip("\n") + "\n"
