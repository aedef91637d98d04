"""What the open-data outputs say about the collection as a whole, named once: its licence, title and
description, and its download formats. Read by the API, the downloads, the data dictionary, the dumps,
the DCAT catalogue and the schema.org descriptions, so that all of them say the same thing."""

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _

# The EU's vocabulary of file types, which DCAT-AP asks `dct:format` to use.
FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"


def licence() -> dict:
    """The licence of the data: its SPDX identifier, its URL, the notice to keep and the credit to give."""
    return {
        "id": settings.DATA_LICENSE,
        "url": settings.DATA_LICENSE_URL,
        "notice": settings.DATA_LICENSE_NOTICE,
        "attribution": settings.DATA_ATTRIBUTION,
    }


def licence_text() -> str:
    """The LICENSE.txt that travels inside every ZIP."""
    data = licence()
    return (
        f"{TITLE}\n\n"
        f"Licence: {data['id']} ({data['url']})\n"
        f"{data['notice']}\n"
        f"Credit: {data['attribution']}\n"
        f"Source: {settings.SITE_URL}/\n"
    )


# In English: the catalogue and data dictionary are one file for every reader (titles in three languages
# are given where a format has room for them).
TITLE = "Action Learning Plans of the UNDP Accelerator Labs"
DESCRIPTION = (
    "Every published action learning plan and closing report of the UNDP Accelerator Labs network: the "
    "development challenge each Lab set out to learn about, its learning questions, methods, data sources "
    "and partners, and what it found."
)
PUBLISHER = "UNDP Accelerator Labs"
KEYWORDS = ("action learning", "UNDP Accelerator Labs", "development", "innovation", "SDGs")

# The same, for the pages (schema.org descriptions in the reader's language).
PAGE_TITLE = _("Action Learning Plans of the UNDP Accelerator Labs")
PAGE_DESCRIPTION = _(
    "Every published action learning plan and closing report of the UNDP Accelerator Labs network: the "
    "development challenge each Lab set out to learn about, its learning questions, methods, data sources "
    "and partners, and what it found."
)


@dataclass(frozen=True)
class Format:
    """One download format of the collection: its URL name (`downloads:<key>`), media type and the EU file
    type, and its label on the pages."""

    key: str
    media_type: str
    file_type: str
    label: str

    @property
    def url_name(self) -> str:
        return f"downloads:{self.key}"

    @property
    def file_type_uri(self) -> str:
        return FILE_TYPE + self.file_type


FORMATS: tuple[Format, ...] = (
    Format("csv", "text/csv", "CSV", _("CSV (spreadsheet)")),
    Format(
        "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX", _("Excel (XLSX)")
    ),
    Format("json", "application/json", "JSON", _("JSON")),
    Format("geojson", "application/geo+json", "GEOJSON", _("GeoJSON (map data)")),
    Format("zip", "application/zip", "ZIP", _("ZIP of archive-format files")),
)


def format_named(key: str) -> Format | None:
    return next((f for f in FORMATS if f.key == key), None)
