"""Answers as safe HTML, made once when they are saved or imported, never when a page is shown.

Answers come from the archive and from authors and may hold raw HTML, entities and bare URLs. `nh3` (the
Rust `ammonia` sanitiser) keeps a small set of formatting tags and drops everything else; plain text keeps
its paragraphs and line breaks; bare http(s) URLs become links that carry `rel=nofollow`.

Sanitising costs time that grows with what an author pasted (50,000 nested `<div>` took 19 s, on every
render), so it happens when a row is saved (a `pre_save` receiver, which also sees revision restores) or
imported (`plans.archive.load`), and the result is stored in the row's `answers_html`; pages only mark it
safe. Nesting deeper than MAX_DEPTH is flattened before nh3 runs, so that its cost is linear in the size of
the answer whatever its shape. The answer fields themselves keep the text exactly as written: the archive
round trip needs it.
"""

import re
from collections import Counter

import nh3
from django.apps import apps
from django.db.models.signals import pre_save
from django.utils.html import linebreaks
from django.utils.safestring import SafeString, mark_safe

from plans.catalogue import TEXT_ANSWER_FIELDS
from plans.parts import CHILDREN

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
# Plain text that nh3 would give back unchanged once in paragraphs: html5ever escapes "&", "<", ">" and the
# no-break space, turns CR into LF and drops NUL; other control characters are left out of the fast path too.
NEEDS_NH3 = re.compile(r"[&<>\x00-\x08\x0b-\x1f\x7f\u00a0]")

# Deeper than this, elements are unwrapped (their text stays). Real answers nest a few levels.
MAX_DEPTH = 20
ELEMENT = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(/?)>")
VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
# Elements whose start tag closes an open one of the same name (HTML's implied end tags): a run of
# unclosed <p> or <li> is not nesting.
SELF_CLOSING_SIBLINGS = frozenset("p li dt dd tr td th option".split())


def flatten(html: str, max_depth: int = MAX_DEPTH) -> str:
    """`html` with every element nested deeper than `max_depth` unwrapped, in one linear pass. The tag
    matching is approximate (it reads tags, not a DOM): it decides only which tags are dropped, and nh3
    sanitises whatever comes out."""
    open_tags: list[str] = []
    dropped: Counter = Counter()

    def visit(match: re.Match) -> str:
        closing, name, self_closing = match[1], match[2].lower(), match[3]
        if name in VOID or self_closing:
            return match[0]
        if closing:
            if dropped[name]:  # the innermost open elements are the ones that were dropped
                dropped[name] -= 1
                return ""
            if name in open_tags:
                while open_tags.pop() != name:
                    pass
            return match[0]
        if name in SELF_CLOSING_SIBLINGS and open_tags and open_tags[-1] == name:
            open_tags.pop()
        if len(open_tags) >= max_depth:
            dropped[name] += 1
            return ""
        open_tags.append(name)
        return match[0]

    return ELEMENT.sub(visit, html)


def _paragraphs(text: str) -> str:
    paragraphs = [p.strip("\n") for p in re.split(r"\n[ \t\u00a0]*\n", text.strip()) if p.strip()]
    return "".join("<p>" + p.replace("\n", "<br>\n") + "</p>" for p in paragraphs)


def _linkify(html: str) -> str:
    if "http" not in html:  # no URL to link (URL needs "http"): most answers
        return html
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


def sanitise(text: str | None) -> str:
    """HTML safe to insert in a page, from an answer that may hold HTML, entities, URLs or plain text.
    Costly: call it when an answer is saved, never when a page is shown (see `answer_html`)."""
    if not text or not text.strip():
        return ""
    if not BLOCK.search(text):
        if not NEEDS_NH3.search(text):
            # Plain text (two answers in three): nh3 would return its paragraphs as they are
            # (tests/test_sanitising.py compares the two over the archive and random text).
            return _linkify(_paragraphs(text))
        text = _paragraphs(text)
    cleaned = nh3.clean(
        flatten(text),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )
    # Linkify after cleaning: the URL regex then only sees escaped text, and its output cannot be HTML
    # the sanitiser would have refused (the URL runs up to the first space, quote or angle bracket).
    return _linkify(cleaned)


def answers_html(values, fields: tuple[str, ...]) -> dict[str, str]:
    """The clean HTML of each non-empty answer `fields` of `values` (a model instance or a dict of
    column values), as stored in `answers_html`."""
    get = values.get if isinstance(values, dict) else lambda name: getattr(values, name, "")
    return {name: sanitise(get(name)) for name in fields if (get(name) or "").strip()}


def answer_html(obj, field: str) -> SafeString:
    """The stored clean HTML of one answer of `obj`, for a page. A row written past `save()` (a bulk
    insert that did not fill `answers_html`) shows its text escaped instead: safe, and still cheap."""
    text = getattr(obj, field) or ""
    if not text.strip():
        return mark_safe("")
    stored = (obj.answers_html or {}).get(field)
    if stored is None:
        return mark_safe(linebreaks(text, autoescape=True))  # noqa: S308 (linebreaks escaped it)
    return mark_safe(stored)  # noqa: S308 (made by sanitise() when the row was saved)


def answer_fields(model) -> tuple[str, ...]:
    """The answer fields of a plan or child model whose clean HTML is stored (plans/parts.py names the
    children's)."""
    if model is apps.get_model("plans", "Plan"):
        return TEXT_ANSWER_FIELDS
    return next((c.answer_fields for c in CHILDREN if c.model is model), ())


def _store(sender, instance, update_fields=None, **kwargs):
    fields = answer_fields(sender)
    if fields and (update_fields is None or set(fields) & set(update_fields)):
        instance.answers_html = answers_html(instance, fields)


def connect() -> None:
    """Sanitise the answers of every plan and child row when it is saved, including raw saves (fixtures,
    revision restores); a save limited to `update_fields` that include answers must list `answers_html`."""
    for model in (apps.get_model("plans", "Plan"), *(c.model for c in CHILDREN if c.answer_fields)):
        pre_save.connect(_store, sender=model, dispatch_uid=f"sanitise-{model.__name__}")
