"""Line-level helpers shared by the parser, the writer and the mapping: what counts as blank, how prompts
are matched, and how answer text is decoded once and re-encoded so that the round trip stays exact."""

import html
import re

IMAGE_RE = re.compile(r"^!\[[^\]]*\]\(([^)\s]+)\)$")
GROUP_OPEN = '<div class="group">'
GROUP_CLOSE = "</div>"
_ZERO_WIDTH_CHARS = "\u200b\u2060\ufeff"
_SPACES = re.compile(r"\s+")


def squash(text: str) -> str:
    """Text with entities decoded, zero-width characters dropped and every run of (Unicode) spaces turned
    into one plain space: the form in which the round-trip checker compares lines."""
    if "&" in text:
        text = html.unescape(text)
    # `\s` matches every Unicode space separator (U+00A0, U+202F, …) as well as tabs and line breaks.
    for char in _ZERO_WIDTH_CHARS:
        if char in text:
            text = text.replace(char, "")
    return _SPACES.sub(" ", text).strip()


def is_blank(line: str) -> bool:
    """Blank lines include lines of non-breaking spaces, zero-width spaces or `&nbsp;` only."""
    stripped = line.strip()
    if not stripped:
        return True
    if (
        "&" not in stripped
        and "\u200b" not in stripped
        and "\u2060" not in stripped
        and "\ufeff" not in stripped
    ):
        return False  # the fast path: nothing that squash could still erase
    return squash(stripped) == ""


def is_heading(line: str) -> bool:
    return line[:2] == "##" and (len(line) == 2 or line[2] == " ")


def line_class(line: str) -> str:
    """Which kind of line the round-trip checker would see; used to refuse decodings that change it."""
    if "\n" in line or "\r" in line:
        return "break"
    stripped = line.strip()
    if is_heading(line):
        return "heading"
    if line.startswith(">"):
        return "prompt"
    if stripped == GROUP_OPEN:
        return "open"
    if stripped == GROUP_CLOSE:
        return "close"
    if stripped == "****":
        return "marker"
    if IMAGE_RE.match(stripped):
        return "image"
    if is_blank(line):
        return "blank"
    return "text"


def _stable(line: str) -> bool:
    """True when decoding entities (repeatedly, as double escaping occurs) never changes the line's class."""
    kind = line_class(line)
    for _ in range(4):
        decoded = html.unescape(line)
        if decoded == line:
            return True
        if line_class(decoded) != kind:
            return False
        line = decoded
    return True


def decode_line(raw: str) -> str:
    """Decode HTML entities exactly once, unless that would turn the line into another kind of line
    (`&gt; x` into a prompt, an image URL, `&#10;` into a line break): such lines stay raw."""
    if "&" not in raw or line_class(raw) == "image" or not _stable(raw):
        return raw
    return html.unescape(raw)


def encode_line(text: str) -> str:
    """Inverse of `decode_line`: escape `&` where a reader would otherwise decode something."""
    if "&" not in text or line_class(text) == "image" or not _stable(text):
        return text
    return text.replace("&", "&amp;") if html.unescape(text) != text else text


def decode_text(lines: list[str]) -> str:
    """Answer lines (blank runs already reduced to one empty line) to the text stored in a field."""
    return "\n".join(decode_line(line) for line in lines)


def encode_text(text: str) -> list[str]:
    return [encode_line(line) if line.strip() else "" for line in text.split("\n")]


def paragraphs(lines: list[str]) -> list[list[str]]:
    """Runs of non-blank lines."""
    out: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        if is_blank(line):
            if current:
                out.append(current)
                current = []
        else:
            current.append(line)
    if current:
        out.append(current)
    return out


def join_paragraphs(paras: list[list[str]]) -> list[str]:
    lines: list[str] = []
    for para in paras:
        if lines:
            lines.append("")
        lines.extend(para)
    return lines
