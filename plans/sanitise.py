"""Render archive answers safely: raw HTML, entities and bare URLs come from the archive and from authors.

`nh3` (the Rust `ammonia` sanitiser) keeps a small set of formatting tags and drops everything else; plain
text keeps its paragraphs and line breaks; bare http(s) URLs become links that carry `rel=nofollow`.
"""

import re

import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "p",
    "br",
    "a",
    "strong",
    "b",
    "em",
    "i",
    "u",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
    "pre",
    "sub",
    "sup",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "span",
    "div",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}
BLOCK = re.compile(r"<\s*(p|br|ul|ol|li|div|table|blockquote|h[1-6])\b", re.IGNORECASE)
URL = re.compile(r"""(?<![\w/"'=@])(https?://[^\s<>"']+?)(?=[.,;:!?)\]]*(?:\s|$|<|&nbsp;|&lt;|&gt;))""")
TAG = re.compile(r"(<[^>]*>)")


def _paragraphs(text: str) -> str:
    paragraphs = [p.strip("\n") for p in re.split(r"\n[ \t\u00a0]*\n", text.strip()) if p.strip()]
    return "".join("<p>" + p.replace("\n", "<br>\n") + "</p>" for p in paragraphs)


def _linkify(html: str) -> str:
    out, in_link = [], 0
    for part in TAG.split(html):
        if part.startswith("<"):
            if re.match(r"<a\b", part, re.IGNORECASE):
                in_link += 1
            elif re.match(r"</a\s*>", part, re.IGNORECASE):
                in_link = max(0, in_link - 1)
            out.append(part)
        elif in_link:
            out.append(part)
        else:
            out.append(URL.sub(r'<a href="\1" rel="nofollow noopener noreferrer">\1</a>', part))
    return "".join(out)


def sanitise(text: str | None) -> SafeString:
    """HTML safe to insert in a page, from an answer that may hold HTML, entities, URLs or plain text."""
    if not text or not text.strip():
        return mark_safe("")
    if not BLOCK.search(text):
        text = _paragraphs(text)
    cleaned = nh3.clean(
        text,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )
    # Linkify after cleaning: the URL regex then only sees escaped text, and its output cannot be HTML
    # the sanitiser would have refused (the URL runs up to the first space, quote or angle bracket).
    return mark_safe(_linkify(cleaned))  # noqa: S308
