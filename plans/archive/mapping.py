"""Document ⇄ (content, layout): the heart of the importer and the exporter, pure Python.

*Content* is what the plan says, as plain data shaped like the models (plan fields, tags, SDG numbers and
ordered child rows); `load` writes it to the ORM and `dump` reads it back. *Layout* says where each piece
of content sat in the archive file: headings, `****` markers, raw prompt texts, group boundaries, and
references ("part" lists) to the content that fills them. The exporter walks the layout and renders the
*current* content, so an edit made in the admin (a changed field, a new insight, partner or blog link)
appears in the export while an untouched plan comes back as its source. Plans without a layout (authored
in the admin) get the canonical layout of their template from the catalogue.

Part references (JSON lists, kept short because every imported plan stores them):
    ["f", field]            a text field of the plan
    ["x", position]         an ExtraAnswer row
    ["i"] / ["br"]          all insights / barriers, one paragraph each
    ["b", position]         a BlogLink row, written `[url](url)`
    ["h"]                   the handover checklist
    ["c", field]            a choice field of the plan, written as its option's label
    ["q", lq, field]        a field of learning question number `lq`; field "stages" is a checklist
    ["e", kind, count]      the next `count` evidence rows of `kind`
    ["p", partner, field]   a field of partner number `partner`
    ["t", field]            a time-split field
    ["g", prompt, parts]    a group with its raw prompt (None: no prompt line) and its parts
"""

import re
from collections.abc import Iterator

from plans import catalogue as cat
from plans import parts
from plans.archive.document import META_KEYS, Document, Group, Item, Section
from plans.archive.text import (
    IMAGE_RE,
    decode_line,
    decode_text,
    encode_line,
    encode_text,
    is_blank,
    join_paragraphs,
    paragraphs,
    squash,
)
from plans.validators import link_url

LAYOUT_VERSION = 1
TEXT_FIELDS = cat.TEXT_ANSWER_FIELDS
TIME_FIELDS = cat.TIME_FIELDS
# The plan's own fields besides its answers (cat.ANSWER_FIELDS), with their empty values.
META_FIELDS = {
    "title": "",
    "year": None,
    "country": "",
    "latitude": None,
    "longitude": None,
    "focal_point_email": "",
    "form_version": "opening",
    "language": "en",
}
TAG_KEYS = tuple(v.name for v in parts.TAG_VOCABULARIES)
# The content's child lists: one per kind of a plan's parts (plans/parts.py).
CHILDREN = tuple(c.content_key for c in parts.CHILDREN)


def child_part(key: str) -> parts.Child:
    """The kind of child rows a content child list holds."""
    return next(c for c in parts.CHILDREN if c.content_key == key)


SECTORS = {
    "academic": "Academic",
    "private": "Private sector",
    "government": "Government",
    "civil_society": "Civil society",
    "un": "UN",
    "other": "Other",
}
NEW_UNUSUAL = {"yes": "Yes", "no": "No"}
CHOICE_OPTIONS = {p.target.name: p.options for p in cat.PROMPTS.values() if p.target.kind == cat.CHOICE}
PARTNER_FIELDS = child_part("partners").archived  # the order of the four groups
_LINK_RE = re.compile(r"^\[(?P<a>.+)\]\((?P<b>.+)\)$", re.DOTALL)
_SDG_RE = re.compile(r"^\s*(\d{1,2})\s*\.")
_LANGUAGES = ("fr", "es")


def _empty_answer(name: str):
    return [] if name in cat.CHECKLIST_FIELDS else None if name in TIME_FIELDS else ""


def empty_content() -> dict:
    return {
        "plan": {name: _empty_answer(name) for name in cat.ANSWER_FIELDS} | META_FIELDS,
        **{key: [] for key in (*TAG_KEYS, "sdgs", *CHILDREN)},
    }


def title_from(lines: list[str]) -> str:
    """The plan title as shown on the site: the title lines joined, decoded once, spaces collapsed."""
    return squash(" ".join(decode_line(line) for line in lines))[:500]


def _link(text: str) -> str | None:
    """X of a `[X](X)` link paragraph (both halves the same raw text), else None. A link whose scheme is
    not http, https or mailto (`javascript:`, `data:`) stays text: its words are kept, never its link."""
    match = _LINK_RE.match(text)
    if match and match["a"] == match["b"] and "](" not in match["a"] and link_url(match["a"]):
        return match["a"]
    return None


def _checklist(lines: list[str], options: tuple[tuple[str, str], ...]) -> list[str] | None:
    """Option values of a `- Label` checklist answer, or None when the answer is anything else."""
    paras = paragraphs(lines)
    if len(paras) != 1:
        return None
    by_label = {squash(label).casefold(): value for value, label in options}
    values = []
    for line in paras[0]:
        value = by_label.get(squash(line[2:]).casefold()) if line.startswith("- ") else None
        if value is None or value in values:
            return None
        values.append(value)
    return values


# ------------------------------------------------------------------ reading: Document → content, layout


class _Reader:
    """Turns the items of one document into content rows and layout parts."""

    def __init__(self, content: dict, template: str):
        self.c = content
        self.template = template
        self.used: set[tuple] = set()  # targets already filled: a repeated prompt goes to extra answers
        self.lq = -1
        self.section = ""

    def extra(self, prompt: str | None, lines: list[str]) -> list:
        text = decode_text(join_paragraphs(paragraphs(lines)))
        if not text:
            return []
        rows = self.c["extra_answers"]
        rows.append({"section": squash(self.section), "prompt": squash(prompt or ""), "answer": text})
        return [["x", len(rows) - 1]]

    def text(self, lines: list[str]) -> str:
        return decode_text(join_paragraphs(paragraphs(lines)))

    def claim(self, *target) -> bool:
        if target in self.used:
            return False
        self.used.add(target)
        return True

    def item(self, item: Item) -> dict:
        prompt = cat.PROMPTS.get(item.key) if item.key else None
        parts: list = []
        groups_done = False
        if prompt is None:
            parts = self.extra(None, item.lines)
        else:
            kind, name = prompt.target.kind, prompt.target.name
            if kind == cat.FIELD and self.claim("f", name):
                self.c["plan"][name] = self.text(item.lines)
                parts = [["f", name]]
            elif kind in (cat.INSIGHTS, cat.BARRIERS) and self.claim(kind):
                rows = self.c[kind]
                rows += [{"text": decode_text(p)} for p in paragraphs(item.lines)]
                parts = [["i" if kind == cat.INSIGHTS else "br"]]
            elif kind == cat.BLOGS and self.claim(kind):
                parts = self.blogs(prompt, item.lines)
            elif kind == cat.CHECKLIST and self.claim("f", name):
                values = _checklist(item.lines, prompt.options)
                if values is None:
                    parts = self.extra(item.prompt, item.lines)
                else:
                    self.c["plan"][name] = values
                    parts = [["h"]]
            elif kind == cat.CHOICE and self.claim("f", name):
                parts = self.choice(prompt, item)
            elif kind == cat.LEARNING_QUESTION:
                parts = self.learning_question(prompt, item)
            elif kind == cat.EVIDENCE and self.claim(kind, name):
                parts = self.evidence(name, item.lines)
                parts += [self.evidence_group(name, g) for g in item.groups]
                groups_done = True
            elif kind == cat.PARTNERS and self.claim(kind):
                self.c["plan"][name] = self.text(item.lines)
                parts = [["f", name], *self.partner_groups(item.groups)]
                groups_done = True
            elif kind == cat.TIME and self.claim(kind):
                parts = self.extra(item.prompt, item.lines) + self.time_groups(item.groups)
                groups_done = True
            else:  # EXTRA, or a prompt repeated in the file
                parts = self.extra(item.prompt, item.lines)
        if not groups_done:
            parts += [self.literal_group(item.prompt, g) for g in item.groups]
        parts += self.extra(item.prompt, item.tail)
        return {"p": item.prompt, "k": item.key, "parts": parts}

    def literal_group(self, prompt: str | None, group: Group) -> list:
        return ["g", group.prompt, self.extra(group.prompt or prompt, group.lines)]

    def blogs(self, prompt: cat.Prompt, lines: list[str]) -> list:
        parts: list = []
        pending: list[list[str]] = []
        for para in paragraphs(lines) + [None]:
            url = _link(decode_text(para)) if para else None
            if para is not None and (url is None or len(url) > 2000):
                pending.append(para)
                continue
            if pending:
                parts += self.extra(prompt.text, join_paragraphs(pending))
                pending = []
            if url is not None:
                self.c["blog_links"].append({"url": url})
                parts.append(["b", len(self.c["blog_links"]) - 1])
        return parts

    def choice(self, prompt: cat.Prompt, item: Item) -> list:
        """The first paragraph that is exactly an option's label sets the field; the other paragraphs (the
        form's "Please note: …" instruction, typed into most opening plans) stay answers of their own."""
        name = prompt.target.name
        by_label = {squash(label).casefold(): value for value, label in prompt.options}
        paras = paragraphs(item.lines)
        found = next((n for n, p in enumerate(paras) if squash(self.text(p)).casefold() in by_label), None)
        if found is None:  # the choice's place all the same: a value set later is exported here
            return [["c", name], *self.extra(item.prompt, item.lines)]
        self.c["plan"][name] = by_label[squash(self.text(paras[found])).casefold()]
        before, after = join_paragraphs(paras[:found]), join_paragraphs(paras[found + 1 :])
        return [*self.extra(item.prompt, before), ["c", name], *self.extra(item.prompt, after)]

    def learning_question(self, prompt: cat.Prompt, item: Item) -> list:
        field = prompt.target.name
        if self.lq < 0 or ("q", self.lq, field) in self.used:
            self.new_lq()
        self.used.add(("q", self.lq, field))
        row = self.c["learning_questions"][self.lq]
        if field == "stages":
            values = _checklist(item.lines, prompt.options)
            if values is None:
                return self.extra(item.prompt, item.lines)
            row["stages"] = values
            return [["q", self.lq, "stages"]]
        row[field] = self.text(item.lines)
        return [["q", self.lq, field]]

    def new_lq(self) -> None:
        self.c["learning_questions"].append(
            {"question": "", "stages": [], "methods_usage": "", "data_gaps": ""}
        )
        self.lq = len(self.c["learning_questions"]) - 1

    def evidence(self, kind: str, lines: list[str]) -> list:
        """Evidence rows from answer lines: each run of text is one row, each image one row."""
        rows = self.c["evidence"]
        start = len(rows)
        run: list[str] = []
        for line in [*lines, None]:
            if line is not None and not IMAGE_RE.match(line.strip()):
                run.append(line)
                continue
            text = self.text(run)
            if text:
                url = _link(text)
                if url and "\n" not in url and len(url) <= 2000:
                    rows.append({"kind": kind, "text": "", "url": url, "image_url": ""})
                else:
                    rows.append({"kind": kind, "text": text, "url": "", "image_url": ""})
            run = []
            if line is not None:
                rows.append(
                    {"kind": kind, "text": "", "url": "", "image_url": IMAGE_RE.match(line.strip())[1]}
                )
        return [["e", kind, len(rows) - start]]

    def evidence_group(self, kind: str, group: Group) -> list:
        if group.prompt is not None and squash(group.prompt) not in ("", "None"):
            return self.literal_group(None, group)
        return ["g", group.prompt, self.evidence(kind, group.lines)]

    def partner_groups(self, groups: list[Group]) -> list:
        """The group rule of the spec: a partner is up to four groups (name, sector, description, new and
        unusual); a field whose position is ≤ the previous one starts the next partner."""
        parts: list = []
        rows = self.c["partners"]
        previous = 99
        for group in groups:
            prompt = cat.match_prompt(group.prompt, in_group=True) if group.prompt is not None else None
            if prompt is None or prompt.target.kind != cat.PARTNER_FIELD:
                parts.append(self.literal_group(None, group))
                continue
            position = cat.PARTNER_PROMPTS.index(cat.PROMPTS[prompt.key])
            if position <= previous:
                rows.append(
                    {"name": "", "sector": "unknown", "description": "", "is_new_and_unusual": "unknown"}
                )
            previous = position
            field, text = prompt.target.name, self.text(group.lines)
            choices = {"sector": SECTORS, "is_new_and_unusual": NEW_UNUSUAL}.get(field)
            if choices is not None:
                value = next(
                    (k for k, label in choices.items() if label.casefold() == squash(text).casefold()), None
                )
                if text and value is None:
                    parts.append(["g", group.prompt, self.extra(group.prompt, group.lines)])
                    continue
                text = value or "unknown"
            rows[-1][field] = text
            parts.append(["g", group.prompt, [["p", len(rows) - 1, field]]])
        return parts

    def time_groups(self, groups: list[Group]) -> list:
        prompts = [
            cat.match_prompt(g.prompt, in_group=True) if g.prompt is not None else None for g in groups
        ]
        names = [p.target.name if p and p.target.kind == cat.TIME_FIELD else None for p in prompts]
        texts = [squash(self.text(g.lines)).removesuffix("%").strip() for g in groups]
        values = {n: int(t) for n, t in zip(names, texts, strict=True) if n and t.isdigit()}
        complete = sorted(values) == sorted(TIME_FIELDS) and sum(values.values()) == 100
        complete = complete and all(t.isdigit() or not n for n, t in zip(names, texts, strict=True))
        parts: list = []
        for group, name, text in zip(groups, names, texts, strict=True):
            if complete and name:
                self.c["plan"][name] = values[name]
                parts.append(["g", group.prompt, [["t", name]]])
            elif name and not text:  # referenced all the same: a split entered later is exported here
                parts.append(["g", group.prompt, [["t", name]]])
            else:
                parts.append(self.literal_group(None, group))
        return parts


def _meta_content(doc: Document, content: dict) -> None:
    plan = content["plan"]
    for key, raw in doc.meta:
        value = squash(raw) if key in ("year", "latlng") else decode_line(raw).strip()
        if key == "focal_point" and not plan["focal_point_email"] and len(value) <= 254:
            plan["focal_point_email"] = value
        elif key == "year" and plan["year"] is None and re.fullmatch(r"\d{4}", value):
            plan["year"] = int(value)
        elif key == "country" and not plan["country"] and len(value) <= 100:
            plan["country"] = value
        elif key == "latlng" and plan["latitude"] is None:
            try:
                lat, lng = (float(v) for v in value.split(","))
            except ValueError:
                continue
            plan["latitude"], plan["longitude"] = lat, lng
        elif key in TAG_KEYS and not is_blank(value) and value not in content[key] and len(value) <= 1000:
            content[key].append(value)
        elif key == "sdgs":
            match = _SDG_RE.match(value)
            if match and 1 <= int(match[1]) <= 17 and int(match[1]) not in content["sdgs"]:
                content["sdgs"].append(int(match[1]))


def read(doc: Document) -> tuple[dict, dict]:
    """The content and the layout of a parsed document."""
    content = empty_content()
    plan = content["plan"]
    plan["title"] = title_from(doc.title_lines)
    _meta_content(doc, content)

    prompt_keys = {item.key for s in doc.sections for item in s.items if item.key}
    matched = [cat.match_heading(s.heading) for s in doc.sections]
    template = cat.detect_template(prompt_keys, {m[0].key for m in matched if m[0]})
    plan["form_version"] = template
    languages = [lang for _, lang in matched if lang in _LANGUAGES]
    plan["language"] = max(set(languages), key=languages.count) if languages else "en"

    reader = _Reader(content, template)
    sections = []
    for section, (definition, _lang) in zip(doc.sections, matched, strict=True):
        reader.section = section.heading
        entry: dict = {"h": section.heading, "m": section.marker, "k": definition.key if definition else None}
        if definition is not None and definition.repeated:
            reader.new_lq()
            entry["lq"] = reader.lq
        entry["items"] = [reader.item(item) for item in section.items]
        sections.append(entry)
    layout = {
        "v": LAYOUT_VERSION,
        "meta": [list(pair) for pair in doc.meta],
        "title": doc.title_lines,
        "header_extra": doc.header_extra,
        "sections": sections,
    }
    return content, layout


# ------------------------------------------------------------------ writing: content, layout → Document


def _meta_values(key: str, content: dict) -> list[str]:
    """What the content says for one metadata key, as comparable strings."""
    plan = content["plan"]
    if key == "focal_point":
        return [plan["focal_point_email"]] if plan["focal_point_email"] else []
    if key == "year":
        return [str(plan["year"])] if plan["year"] else []
    if key == "country":
        return [plan["country"]] if plan["country"] else []
    if key == "latlng":
        return [f"{plan['latitude']},{plan['longitude']}"] if plan["latitude"] is not None else []
    if key in TAG_KEYS:
        return list(content[key])
    if key == "sdgs":
        return [str(n) for n in content["sdgs"]]
    if key == "type":
        return ["learningplan"]
    return []


def _meta_lines(content: dict, layout: dict, sdg_names: dict[int, str]) -> list[tuple[str, str]]:
    """Metadata pairs: the raw pairs of the source for every key whose value the content still holds,
    the content's values otherwise."""
    raw = [tuple(pair) for pair in layout.get("meta", [])]
    found = empty_content()
    _meta_content(Document([], raw), found)
    keys = list(dict.fromkeys([k for k, _ in raw] + [k for k in META_KEYS if _meta_values(k, content)]))
    keys.sort(key=lambda k: META_KEYS.index(k) if k in META_KEYS else len(META_KEYS))
    pairs: list[tuple[str, str]] = []
    for key in keys:
        source = [(k, v) for k, v in raw if k == key]
        if key not in META_KEYS or sorted(_meta_values(key, found)) == sorted(_meta_values(key, content)):
            if key != "type" or source:
                pairs += source
                continue
        if key == "sdgs":
            pairs += [(key, f"{n}. {sdg_names.get(n, '')}") for n in content["sdgs"]]
        else:
            pairs += [(key, encode_line(v)) for v in _meta_values(key, content)]
    return pairs


class _Writer:
    """Renders layout parts from content; rows not referenced by the layout (added in the admin) are
    written after the parts of their kind, so that nothing in the database is left out."""

    def __init__(self, content: dict):
        self.c = content
        self.evidence_cursor: dict[str, int] = {}
        self.seen_extras: set[int] = set()
        self.seen_blogs: set[int] = set()
        self.seen_partners: set[int] = set()

    def part(self, part: list) -> list[list[str]]:
        """One part as paragraphs (lists of lines)."""
        tag, plan = part[0], self.c["plan"]
        if tag == "f":
            return self.paras(plan.get(part[1]) or "")
        if tag == "x":
            rows = self.c["extra_answers"]
            self.seen_extras.add(part[1])
            return self.paras(rows[part[1]]["answer"]) if part[1] < len(rows) else []
        if tag in ("i", "br"):
            rows = self.c["insights" if tag == "i" else "barriers"]
            return [p for row in rows for p in self.paras(row["text"])]
        if tag == "b":
            rows = self.c["blog_links"]
            self.seen_blogs.add(part[1])
            return (
                self.paras(f"[{rows[part[1]]['url']}]({rows[part[1]]['url']})") if part[1] < len(rows) else []
            )
        if tag == "h":
            return self.checklist(plan["handover_options"], cat.HANDOVER_OPTIONS)
        if tag == "c":
            label = dict(CHOICE_OPTIONS[part[1]]).get(plan.get(part[1]) or "")
            return [[label]] if label else []
        if tag == "q":
            rows = self.c["learning_questions"]
            if part[1] >= len(rows):
                return []
            if part[2] == "stages":
                return self.checklist(rows[part[1]]["stages"], cat.STAGE_OPTIONS)
            return self.paras(rows[part[1]][part[2]])
        if tag == "e":
            return self.evidence(part[1], part[2])
        if tag == "p":
            rows = self.c["partners"]
            self.seen_partners.add(part[1])
            return self.paras(self.partner_value(rows[part[1]], part[2])) if part[1] < len(rows) else []
        if tag == "t":
            return [[str(plan[part[1]])]] if plan.get(part[1]) is not None else []
        raise ValueError(f"unknown layout part {part!r}")

    @staticmethod
    def paras(text: str) -> list[list[str]]:
        return paragraphs(encode_text(text)) if text else []

    @staticmethod
    def checklist(values: list[str], options) -> list[list[str]]:
        labels = dict(options)
        lines = [f"- {labels[v]}" for v in values if v in labels]
        return [lines] if lines else []

    @staticmethod
    def partner_value(row: dict, field: str) -> str:
        value = row.get(field) or ""
        if field == "sector":
            return SECTORS.get(value, "")
        if field == "is_new_and_unusual":
            return NEW_UNUSUAL.get(value, "")
        return value

    def evidence_rows(self, kind: str) -> list[dict]:
        return [row for row in self.c["evidence"] if row["kind"] == kind]

    def evidence(self, kind: str, count: int | None) -> list[list[str]]:
        rows = self.evidence_rows(kind)
        start = self.evidence_cursor.get(kind, 0)
        end = len(rows) if count is None else min(len(rows), start + count)
        self.evidence_cursor[kind] = end
        paras: list[list[str]] = []
        for row in rows[start:end]:
            if row["image_url"]:
                paras.append([f"![Missing alt text]({row['image_url']})"])
            if row["text"]:
                paras += self.paras(row["text"])
            elif row["url"]:
                paras += self.paras(f"[{row['url']}]({row['url']})")
        return paras

    def lines(self, parts: list) -> list[str]:
        return join_paragraphs([p for part in parts for p in self.part(part)])

    def item(self, entry: dict, template: str) -> Item:
        item = Item(line=0, prompt=entry["p"], key=entry["k"])
        before: list[list[str]] = []
        after: list[list[str]] = []
        shown: dict[int, dict[str, int]] = {}  # partner → {field: index of its group}
        for part in entry["parts"]:  # rendered in order: evidence parts consume rows in turn
            if part[0] == "g":
                item.groups.append(Group(line=0, prompt=part[1], lines=self.lines(part[2])))
                for sub in part[2]:
                    if sub[0] == "p":
                        shown.setdefault(sub[1], {})[sub[2]] = len(item.groups) - 1
            else:
                (after if item.groups else before).extend(self.part(part))
        item.lines, item.tail = join_paragraphs(before), join_paragraphs(after)
        if shown:
            item.groups = self.with_partner_fields(item.groups, shown, template)
        prompt = cat.PROMPTS.get(entry["k"] or "")
        if prompt is not None:  # rows added since the import go after those the layout knows
            item.groups += self.added_groups(prompt, template)
        return item

    def with_partner_fields(
        self, groups: list[Group], shown: dict[int, dict[str, int]], template
    ) -> list[Group]:
        """Groups for partner fields filled in since the import (the source had no group for them), each
        put in form order among its partner's groups so that the group rule still reads them back."""
        texts = partner_prompt_texts(template)
        keyed = [((n, 0, 0), group) for n, group in enumerate(groups)]
        for partner, fields in shown.items():
            if partner >= len(self.c["partners"]):
                continue
            for rank, field in enumerate(PARTNER_FIELDS):
                if field in fields or not self.partner_value(self.c["partners"][partner], field):
                    continue
                later = [n for f, n in fields.items() if PARTNER_FIELDS.index(f) > rank]
                key = (min(later), -1, rank) if later else (max(fields.values()), 1, rank)
                keyed.append((key, Group(0, texts[rank], self.lines([["p", partner, field]]))))
        return [group for _key, group in sorted(keyed, key=lambda pair: pair[0])]

    def added_groups(self, prompt: cat.Prompt, template: str) -> list[Group]:
        kind, name = prompt.target.kind, prompt.target.name
        groups: list[Group] = []
        if kind == cat.EVIDENCE:
            rows = self.evidence_rows(name)
            while self.evidence_cursor.get(name, 0) < len(rows):
                groups.append(Group(0, "", join_paragraphs(self.evidence(name, 1))))
        elif kind == cat.PARTNERS:
            texts = partner_prompt_texts(template)
            for n in range(len(self.c["partners"])):
                if n in self.seen_partners:
                    continue
                self.seen_partners.add(n)
                for field, text in zip(
                    ("name", "sector", "description", "is_new_and_unusual"), texts, strict=True
                ):
                    groups.append(Group(0, text, self.lines([["p", n, field]])))
        return groups

    def added_blog_paragraphs(self) -> list[list[str]]:
        rows = self.c["blog_links"]
        return [p for n in range(len(rows)) if n not in self.seen_blogs for p in self.part(["b", n])]


def partner_prompt_texts(template: str) -> list[str]:
    """The four partner group prompts as the template's form words them."""
    second = 1 if template == "closing_v2" else 0
    return [p.texts[min(second, len(p.texts) - 1)] for p in cat.PARTNER_PROMPTS]


def canonical_parts(prompt: cat.Prompt, content: dict, template: str, lq: int | None = None) -> list:
    """The parts of one prompt for content that has no layout yet (authored or added in the admin)."""
    kind, name, plan = prompt.target.kind, prompt.target.name, content["plan"]
    if kind == cat.FIELD:
        return [["f", name]] if plan[name] else []
    if kind == cat.INSIGHTS:
        return [["i"]] if content["insights"] else []
    if kind == cat.BARRIERS:
        return [["br"]] if content["barriers"] else []
    if kind == cat.BLOGS:
        return [["b", n] for n in range(len(content["blog_links"]))]
    if kind == cat.CHECKLIST:
        return [["h"]] if plan[name] else []
    if kind == cat.CHOICE:
        return [["c", name]] if plan[name] else []
    if kind == cat.LEARNING_QUESTION:
        rows = content["learning_questions"]
        return [["q", lq, name]] if lq is not None and lq < len(rows) and rows[lq][name] else []
    if kind == cat.EVIDENCE:
        return [["g", "", [["e", name, 1]]] for row in content["evidence"] if row["kind"] == name]
    if kind == cat.PARTNERS:
        parts = [["f", name]] if plan[name] else []
        texts = partner_prompt_texts(template)
        fields = ("name", "sector", "description", "is_new_and_unusual")
        for n in range(len(content["partners"])):
            parts += [["g", text, [["p", n, field]]] for field, text in zip(fields, texts, strict=True)]
        return parts
    if kind == cat.TIME:
        if plan["time_sense"] is None:
            return []
        return [["g", p.text, [["t", p.target.name]]] for p in cat.TIME_PROMPTS]
    return []


def _targets(entry: dict) -> Iterator[tuple]:
    """The targets a layout item fills, to know which prompts a layout already places."""
    prompt = cat.PROMPTS.get(entry["k"] or "")
    if prompt is not None:
        yield (prompt.target.kind, prompt.target.name)


def complete_layout(layout: dict, content: dict) -> dict:
    """The layout with a place for every piece of content: prompts the source file omitted (unanswered
    then, filled in the admin since) are inserted in form order, missing sections likewise, and extra
    learning questions get sections of their own. A plan without layout gets the whole template."""
    template = content["plan"]["form_version"]
    tpl = cat.template(template)
    sections = [dict(s, items=[_with_choice(e) for e in s["items"]]) for s in layout.get("sections", [])]
    if not layout.get("sections") and not layout.get("v"):
        sections = []
        for definition in tpl.sections:
            count = max(1, len(content["learning_questions"])) if definition.repeated else 1
            for n in range(count):
                entry = {
                    "h": definition.heading,
                    "m": layout.get("markers", False),
                    "k": definition.key,
                    "items": [],
                }
                if definition.repeated:
                    entry["lq"] = n
                sections.append(entry)
    placed = {t for s in sections for e in s["items"] for t in _targets(e) if t[0] != cat.LEARNING_QUESTION}
    placed_lq = {(s.get("lq"), e["k"]) for s in sections for e in s["items"]}
    lq_sections = [s for s in sections if "lq" in s]
    for n in range(len(lq_sections), len(content["learning_questions"])):
        entry = {
            "h": lq_sections[-1]["h"] if lq_sections else cat.LEARNING_QUESTION_SECTION.heading,
            "m": sections[0]["m"] if sections else False,
            "k": "learning_question",
            "lq": n,
            "items": [],
        }
        at = sections.index(lq_sections[-1]) + 1 if lq_sections else len(sections)
        sections.insert(at, entry)
        lq_sections.append(entry)
    section_keys = [d.key for d in tpl.sections]
    for definition in tpl.sections:
        for entry in [s for s in sections if s["k"] == definition.key]:
            _insert_missing(entry, definition, content, template, placed, placed_lq)
        if not any(s["k"] == definition.key for s in sections) and definition.key != "blank":
            entry = {
                "h": definition.heading,
                "m": sections[0]["m"] if sections else False,
                "k": definition.key,
                "items": [],
            }
            _insert_missing(entry, definition, content, template, placed, placed_lq)
            if entry["items"]:
                later = [
                    n
                    for n, s in enumerate(sections)
                    if s["k"] in section_keys
                    and section_keys.index(s["k"]) > section_keys.index(definition.key)
                ]
                sections.insert(later[0] if later else len(sections), entry)
    # Content of prompts that belong to another form (a barrier typed into a second-form report in the
    # admin) goes into the section of the same name rather than being left out.
    for other in cat.TEMPLATES.values():
        for definition in other.sections:
            for entry in [s for s in sections if s["k"] == definition.key]:
                _insert_missing(entry, definition, content, template, placed, placed_lq)
    return dict(layout, sections=sections)


def _with_choice(entry: dict) -> dict:
    """A layout item of a choice prompt stored before choices were read from the archive has no place
    for the value: it goes first, as the writer puts it in files it writes."""
    prompt = cat.PROMPTS.get(entry["k"] or "")
    if prompt is None or prompt.target.kind != cat.CHOICE or ["c", prompt.target.name] in entry["parts"]:
        return entry
    return dict(entry, parts=[["c", prompt.target.name], *entry["parts"]])


def _insert_missing(entry, definition, content, template, placed, placed_lq) -> None:
    order = [p.key for p in definition.prompts]
    for prompt in definition.prompts:
        target = (prompt.target.kind, prompt.target.name)
        if prompt.target.kind == cat.LEARNING_QUESTION:
            if (entry.get("lq"), prompt.key) in placed_lq:
                continue
        elif target in placed:
            continue
        parts = canonical_parts(prompt, content, template, entry.get("lq"))
        if not parts:
            continue
        placed.add(target)
        placed_lq.add((entry.get("lq"), prompt.key))
        rank = order.index(prompt.key)
        at = next(
            (n for n, e in enumerate(entry["items"]) if e["k"] in order and order.index(e["k"]) > rank),
            len(entry["items"]),
        )
        entry["items"].insert(at, {"p": prompt.text, "k": prompt.key, "parts": parts})


def render(
    content: dict, layout: dict, raw_title: str = "", sdg_names: dict[int, str] | None = None
) -> Document:
    """The archive document of a plan from its content and layout (empty layout: the canonical one)."""
    layout = complete_layout(layout, content)
    template = content["plan"]["form_version"]
    title = content["plan"]["title"]
    title_lines = layout.get("title") or (raw_title.split("\n") if raw_title else [])
    if not title_lines or title_from(title_lines) != title:
        title_lines = [encode_line(title)]
    doc = Document(
        title_lines=title_lines,
        meta=_meta_lines(content, layout, sdg_names or {}),
        header_extra=list(layout.get("header_extra", [])),
    )
    writer = _Writer(content)
    blogs_home: Item | None = None
    for entry in layout["sections"]:
        section = Section(line=0, heading=entry["h"], marker=entry["m"])
        for item_entry in entry["items"]:
            item = writer.item(item_entry, template)
            prompt = cat.PROMPTS.get(item_entry["k"] or "")
            if prompt is not None and prompt.target.kind == cat.BLOGS:
                blogs_home = item
            section.items.append(item)
        doc.sections.append(section)
    if blogs_home is not None:
        blogs_home.lines = join_paragraphs(paragraphs(blogs_home.lines) + writer.added_blog_paragraphs())
    leftovers = [n for n in range(len(content["extra_answers"])) if n not in writer.seen_extras]
    for n in leftovers:  # other answers added in the admin: kept at the end, under their own prompt
        row = content["extra_answers"][n]
        if doc.sections and squash(doc.sections[-1].heading) == squash(row["section"]):
            section = doc.sections[-1]
        else:
            section = Section(line=0, heading=row["section"])
            doc.sections.append(section)
        section.items.append(Item(line=0, prompt=row["prompt"] or None, lines=writer.lines([["x", n]])))
    return doc


def is_empty(lines: list[str]) -> bool:
    return all(is_blank(line) for line in lines)
