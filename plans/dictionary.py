"""The data dictionary of the downloads: a Frictionless Data Package (`datapackage.json`) whose Table Schema
describes every column of the CSV and XLSX files (name, title, description, type, constraints), with titles
and descriptions in English, French and Spanish. The same source fills the XLSX "Notes" sheet, is served
beside the downloads (`/plans/datapackage.json`) and travels inside every ZIP (downloads and dumps).

A column is described here once, by the name `plans.downloads.columns()` gives it; the forms' answers are
described from their model fields (verbose name, help text, type, choices, validators), so that a new answer
field is documented without a line here. Validated with the `frictionless` library in the tests.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from plans import catalogue as cat
from plans import opendata
from plans.models import Plan

TITLE_LANGUAGES = ("en", "fr", "es")
TABLE = "plans"

# Fixed columns: (title, description, Table Schema type and extras). Answers come from their model fields.
COLUMNS: dict[str, tuple] = {
    "slug": (
        _("Identifier"),
        _("The plan's identifier, unique and stable: the last part of its address."),
        {"type": "string", "constraints": {"required": True, "unique": True, "pattern": "[-a-zA-Z0-9_]+"}},
    ),
    "url": (_("Address"), _("The plan's page on the public site."), {"type": "string", "format": "uri"}),
    "title": (_("Title"), _("The plan's title."), {"type": "string", "constraints": {"required": True}}),
    "kind": (_("Kind"), _("Opening plan, closing report or both."), {"type": "string"}),
    "form_version": (_("Form"), _("Which version of the form the plan answers."), {"type": "string"}),
    "language": (_("Language"), _("Language of the answers (ISO 639-1 code)."), {"type": "string"}),
    "year": (
        _("Year"),
        _("Year of the learning cycle."),
        {"type": "integer", "constraints": {"minimum": 0, "maximum": 32767}},
    ),
    "lab": (_("Lab"), _("The Accelerator Lab that wrote the plan."), {"type": "string"}),
    "country": (
        _("Country"),
        _("The plan's country (its Lab's unless it names another)."),
        {"type": "string"},
    ),
    "iso3": (
        _("Country code"),
        _("ISO 3166-1 alpha-3 code of the plan's country."),
        {"type": "string", "constraints": {"pattern": "[A-Z]{3}"}},
    ),
    "latitude": (
        _("Latitude"),
        _("Latitude of the Lab (WGS 84 degrees)."),
        {"type": "number", "constraints": {"minimum": -90, "maximum": 90}},
    ),
    "longitude": (
        _("Longitude"),
        _("Longitude of the Lab (WGS 84 degrees)."),
        {"type": "number", "constraints": {"minimum": -180, "maximum": 180}},
    ),
    "published_at_utc": (
        _("Published"),
        _("When the plan was first published, in UTC (YYYY-MM-DD HH:MM:SS)."),
        {"type": "datetime", "format": "any"},
    ),
    "opening_plan": (
        _("Opening plan"),
        _("Identifier of the opening plan this closing report closes, when both are published."),
        {"type": "string"},
    ),
    "closing_report": (
        _("Closing report"),
        _("Identifier of the closing report of this opening plan, when both are published."),
        {"type": "string"},
    ),
    "focal_point_email": (
        _("Focal point e-mail"),
        _("E-mail address of the Lab's focal point for the plan."),
        {"type": "string", "format": "email"},
    ),
    "methods": (_("Methods"), _("Methods used, separated by “; ”."), {"type": "string"}),
    "datasources": (_("Data sources"), _("Data sources used, separated by “; ”."), {"type": "string"}),
    "thematic_areas": (_("Thematic areas"), _("Thematic areas, separated by “; ”."), {"type": "string"}),
    "sdgs": (
        _("SDGs"),
        _("Sustainable Development Goals (number. name), separated by “; ”."),
        {"type": "string"},
    ),
    "insights": (_("Insights"), _("What the Lab learned, separated by blank lines."), {"type": "string"}),
    "barriers": (_("Barriers"), _("What stood in the way, separated by blank lines."), {"type": "string"}),
    "partners": (_("Partners"), _("Partners' names, separated by “; ”."), {"type": "string"}),
    "learning_questions": (
        _("Learning questions"),
        _("The questions the Lab set out to answer, separated by blank lines."),
        {"type": "string"},
    ),
    "blog_links": (
        _("Blog links"),
        _("Approved blog and publication links, one per line."),
        {"type": "string"},
    ),
    "license": (
        _("Licence"),
        _("SPDX identifier of the licence the plan is published under."),
        {"type": "string", "constraints": {"required": True}},
    ),
}


def _in_each_language(text) -> dict[str, str]:
    result = {}
    for code in TITLE_LANGUAGES:
        with translation.override(code):
            result[code] = str(text)
    return result


def _answer(name: str) -> tuple:
    """(title, description, type) of an answer column, read from its model field."""
    field = Plan._meta.get_field(name)
    description = field.help_text or _("The plan's answer, as stored (HTML for rich answers).")
    if name in cat.CHECKLIST_FIELDS:
        return field.verbose_name, _("The options chosen, separated by “; ”."), {"type": "string"}
    if isinstance(field, models.IntegerField):
        constraints = {}
        for validator in field.validators:
            if isinstance(validator, MinValueValidator):
                constraints["minimum"] = validator.limit_value
            elif isinstance(validator, MaxValueValidator):
                constraints["maximum"] = validator.limit_value
        return field.verbose_name, description, {"type": "integer", "constraints": constraints}
    return field.verbose_name, description, {"type": "string"}


def _enum(name: str) -> list[str] | None:
    if name in {"kind", "form_version", "challenge_type"}:
        return [value for value, _label in Plan._meta.get_field(name).choices]
    return None


def field(name: str) -> dict:
    """The Table Schema field of one column."""
    title, description, shape = COLUMNS[name] if name in COLUMNS else _answer(name)
    result = {"name": name, **json.loads(json.dumps(shape))}  # a copy: the table above stays as it is
    titles, descriptions = _in_each_language(title), _in_each_language(description)
    result["title"] = titles["en"]
    result["description"] = descriptions["en"]
    # Table Schema allows further properties: the titles and descriptions in the site's three languages.
    result["titles"] = titles
    result["descriptions"] = descriptions
    choices = _enum(name)
    if choices is not None:
        result.setdefault("constraints", {})["enum"] = [*choices, ""] if name == "challenge_type" else choices
    if not result.get("constraints"):
        result.pop("constraints", None)
    return result


def column_names() -> list[str]:
    from plans.downloads import columns

    return [name for name, _value in columns(None)]


def table_schema() -> dict:
    return {
        "fields": [field(name) for name in column_names()],
        "primaryKey": ["slug"],
        # Empty cells are missing values (a plan without a year or coordinates).
        "missingValues": [""],
    }


def licences() -> list[dict]:
    data = opendata.licence()
    return [{"name": data["id"], "path": data["url"], "title": f"{data['id']} License"}]


def package(resources: Iterable[dict], *, created=None) -> dict:
    """A Data Package descriptor holding `resources` (see `csv_resource`, `file_resource`)."""
    data = opendata.licence()
    descriptor = {
        "profile": "data-package",
        "name": "acclab-plans",
        "title": opendata.TITLE,
        "description": opendata.DESCRIPTION,
        "homepage": settings.SITE_URL + "/",
        "keywords": list(opendata.KEYWORDS),
        "licenses": licences(),
        "sources": [{"title": data["attribution"], "path": settings.SITE_URL + "/"}],
        "contributors": [{"title": opendata.PUBLISHER, "role": "publisher"}],
        "x-copyright": data["notice"],
        "resources": list(resources),
    }
    if created is not None:
        descriptor["created"] = created.isoformat()
    return descriptor


def csv_resource(path: str) -> dict:
    """The plans table as CSV: UTF-8 with a byte order mark, comma-separated, quoted as Python's csv does."""
    return {
        "name": TABLE,
        "path": path,
        "profile": "tabular-data-resource",
        "title": opendata.TITLE,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8-sig",
        "dialect": {"delimiter": ",", "quoteChar": '"', "doubleQuote": True, "header": True},
        "schema": table_schema(),
        "licenses": licences(),
    }


def xlsx_resource(path: str) -> dict:
    return {
        "name": TABLE,
        "path": path,
        "profile": "tabular-data-resource",
        "title": opendata.TITLE,
        "format": "xlsx",
        "mediatype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "dialect": {"sheet": TABLE, "header": True},
        "schema": table_schema(),
        "licenses": licences(),
    }


def file_resource(name: str, path: str, fmt: str, mediatype: str, description: str = "") -> dict:
    """A file that is not a table (JSON, GeoJSON, an archive-format plan)."""
    resource = {"name": name, "path": path, "format": fmt, "mediatype": mediatype, "licenses": licences()}
    if description:
        resource["description"] = description
    return resource


def dumps(descriptor: dict) -> bytes:
    return json.dumps(descriptor, ensure_ascii=False, indent=2).encode()


# ------------------------------------------------------------------ the XLSX "Notes" sheet

NOTES_SHEET = "Notes"


def notes_rows() -> list[list]:
    """The rows of the XLSX "Notes" sheet: what the file is, its licence, then one row per column."""
    data = opendata.licence()
    rows = [
        [opendata.TITLE],
        [opendata.DESCRIPTION],
        ["Source", settings.SITE_URL + "/"],
        ["Licence", f"{data['id']} ({data['url']})"],
        ["Copyright", data["notice"]],
        ["Credit", data["attribution"]],
        [],
        [
            "column",
            "type",
            "title (en)",
            "title (fr)",
            "title (es)",
            "description (en)",
            "description (fr)",
            "description (es)",
            "constraints",
        ],
    ]
    for column in table_schema()["fields"]:
        constraints = column.get("constraints", {})
        rows.append(
            [
                column["name"],
                column["type"] + (f" ({column['format']})" if "format" in column else ""),
                *(column["titles"][code] for code in TITLE_LANGUAGES),
                *(column["descriptions"][code] for code in TITLE_LANGUAGES),
                json.dumps(constraints, ensure_ascii=False) if constraints else "",
            ]
        )
    return rows
