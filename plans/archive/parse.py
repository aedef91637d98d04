"""Read one archive file into a `Document`. Pure Python: tested on strings alone.

The reader follows the line classes of the format spec (section 2): a `>` line is a prompt only when it
matches a known prompt (or opens a group), so that answers quoting with `>` stay answers. Problems are
raised as `ArchiveError(line, message)`; what can be recovered without loss is returned as warnings.
"""

import re

from plans.archive.document import (
    META_KEYS,
    ArchiveError,
    Document,
    Group,
    Item,
    Problem,
    Section,
    gettext_noop,
)
from plans.archive.text import GROUP_CLOSE, GROUP_OPEN, is_blank, is_heading
from plans.catalogue import match_heading, match_prompt

_ = gettext_noop
TRUNCATED = _('truncated group: <div class="group"> is never closed')
MAX_BYTES = 2 * 1024 * 1024  # the largest real plan is 46 KB; anything this big is not a plan
META_RE = re.compile(r"^\[\[([^:\]\n]+):(.*)\]\]$")


def decode(data: bytes) -> str:
    """Bytes of a file to text, refusing what cannot be a plan (too big, empty, binary, not UTF-8)."""
    if len(data) > MAX_BYTES:
        raise ArchiveError(1, _("file is %(size).1f MB, larger than the 2 MB limit"), size=len(data) / 2**20)
    if not data.strip():
        raise ArchiveError(1, _("empty file"))
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise ArchiveError(line, _("binary data (NUL byte), not a text file"))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ArchiveError(line, _("not valid UTF-8 (byte 0x%(byte)02x)"), byte=data[exc.start]) from None
    return text.removeprefix("\ufeff")


def _prompt_text(line: str) -> str:
    return line[2:] if line.startswith("> ") else line[1:]


def parse(text: str) -> tuple[Document, list[Problem]]:
    """Parse the text of one file. Lines are split on "\\n" only: one metadata value holds a bare "\\r"."""
    warnings: list[Problem] = []
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or not (lines[0].startswith("# ") or lines[0].rstrip() == "#"):
        raise ArchiveError(1, _("no header: the first line must be '# <title>'"))
    body_start = next((n for n, line in enumerate(lines) if is_heading(line)), len(lines))

    title_lines = [lines[0][2:]]
    meta: list[tuple[str, str]] = []
    header_extra: list[str] = []
    for n in range(1, body_start):
        line = lines[n]
        match = META_RE.match(line.rstrip(" \t\u00a0"))
        if match:
            key = match.group(1).strip()
            if key not in META_KEYS:
                warnings.append(Problem(n + 1, _("unknown metadata key %(key)r kept as is"), {"key": key}))
            meta.append((key, match.group(2)))
        elif not meta:
            title_lines.append(line)
        elif not is_blank(line):
            warnings.append(Problem(n + 1, _("text between the metadata lines kept as is")))
            header_extra.append(line)
    while len(title_lines) > 1 and is_blank(title_lines[-1]):
        title_lines.pop()
    if not meta:
        raise ArchiveError(min(body_start, len(lines)) or 1, _("no header: no [[key:value]] metadata lines"))
    doc = Document(title_lines=title_lines, meta=meta, header_extra=header_extra)

    section: Section | None = None
    item: Item | None = None
    group: Group | None = None
    expect_marker = False
    for n in range(body_start, len(lines)):
        line, number = lines[n], n + 1
        stripped = line.strip()
        if is_heading(line):
            if group:
                raise ArchiveError(group.line, TRUNCATED)
            heading = line[3:] if line.startswith("## ") else ""
            section = Section(line=number, heading=heading)
            doc.sections.append(section)
            if heading.strip() and match_heading(heading)[0] is None:
                warnings.append(
                    Problem(number, _("unknown heading %(text)r kept verbatim"), {"text": heading})
                )
            item, expect_marker = None, True
            continue
        assert section is not None
        if expect_marker and not is_blank(line):
            expect_marker = False
            if stripped == "****":
                section.marker = True
                continue
        if group is not None:
            if stripped == GROUP_CLOSE:
                group = None
            elif stripped == GROUP_OPEN:
                raise ArchiveError(group.line, TRUNCATED)
            elif line.startswith(">") and group.prompt is None and all(map(is_blank, group.lines)):
                group.prompt, group.lines = _prompt_text(line), []
            else:
                group.lines.append(line)
            continue
        if stripped == GROUP_OPEN:
            if item is None:
                item = Item(line=number)
                section.items.append(item)
            group = Group(line=number)
            item.groups.append(group)
            continue
        if stripped == GROUP_CLOSE:
            warnings.append(Problem(number, _('</div> without <div class="group"> kept as text')))
        elif line.startswith(">"):
            prompt = match_prompt(_prompt_text(line))
            if prompt is not None:
                item = Item(line=number, prompt=_prompt_text(line), key=prompt.key)
                section.items.append(item)
                continue
        if item is None:
            if is_blank(line):
                continue
            item = Item(line=number)
            section.items.append(item)
        (item.tail if item.groups else item.lines).append(line)
    if group is not None:
        raise ArchiveError(group.line, TRUNCATED)
    return doc, warnings
