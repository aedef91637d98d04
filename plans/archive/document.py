"""The archive file as plain data: what `parse` reads and `write` writes, nothing Django-specific.

Text is kept raw (entities, non-breaking spaces and all) so that writing a parsed document gives back a file
equivalent to its source; decoding happens once, in `mapping`.
"""

from dataclasses import dataclass, field

# The `[[key:value]]` metadata keys of the format, in the order files write them.
META_KEYS = (
    "focal_point",
    "year",
    "type",
    "datasources",
    "methods",
    "sdgs",
    "thematic_areas",
    "country",
    "latlng",
)


@dataclass
class Group:
    """One `<div class="group">…</div>`: an optional prompt (raw text after `>`), then answer lines."""

    line: int
    prompt: str | None = None
    lines: list[str] = field(default_factory=list)


@dataclass
class Item:
    """A prompt with its answer lines and group list. `prompt` is None for text before a section's first
    prompt; `key` is the catalogue key of the prompt (None when unknown)."""

    line: int
    prompt: str | None = None
    key: str | None = None
    lines: list[str] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    # Answer lines after the group list (never in the archive, kept so that nothing is lost).
    tail: list[str] = field(default_factory=list)


@dataclass
class Section:
    """A `## ` heading (raw text, "" for a bare `## `), its `****` marker and its items."""

    line: int
    heading: str
    marker: bool = False
    items: list[Item] = field(default_factory=list)


@dataclass
class Document:
    title_lines: list[str]
    meta: list[tuple[str, str]]
    sections: list[Section] = field(default_factory=list)
    header_extra: list[str] = field(default_factory=list)

    def values(self, key: str) -> list[str]:
        return [v for k, v in self.meta if k == key]

    def value(self, key: str) -> str | None:
        values = self.values(key)
        return values[0] if values else None


def gettext_noop(text: str) -> str:
    """Marks a message for `makemessages` without importing Django: the importer translates `template`
    when it prints the message."""
    return text


@dataclass
class Problem:
    """A warning found while reading a file, with its 1-based line number. `template % params` is the
    English message; translate `template` before formatting to show it in another language."""

    line: int
    template: str
    params: dict = field(default_factory=dict)
    warning: bool = True

    @property
    def message(self) -> str:
        return self.template % self.params


class ArchiveError(ValueError):
    """The file cannot be read as a learning plan; `line` says where (message as in `Problem`)."""

    def __init__(self, line: int, template: str, **params):
        super().__init__(template % params)
        self.line, self.template, self.params = line, template, params

    @property
    def message(self) -> str:
        return self.template % self.params
