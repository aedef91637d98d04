"""Countries as ISO 3166 codes (alpha-3, as `Lab.iso3`), named in the reader's language by django-countries.

The archive names countries as people do ("Ivory Coast", "Cape Verde", "East Timor", "The Gambia", "Viet
Nam" beside "Vietnam"), so free text made two map entries of one country and counted 40 countries for 39
labs. Plans and labs now carry the code; the text a file wrote stays on the plan (`Plan.country`) for its
export. No models here: the data migration that filled the codes uses this module.
"""

import unicodedata
from functools import lru_cache

from django.utils.translation import get_language, override
from django_countries import countries

# Names of the archive (and common variants) that django-countries does not know by name, folded.
ARCHIVE_NAMES = {
    "ivory coast": "CIV",
    "cote d ivoire": "CIV",
    "cape verde": "CPV",
    "cabo verde": "CPV",
    "east timor": "TLS",
    "timor leste": "TLS",
    "the gambia": "GMB",
    "gambia the": "GMB",
    "republic of the congo": "COG",
    "congo brazzaville": "COG",
    "congo republic": "COG",
    "dr congo": "COD",
    "drc": "COD",
    "democratic republic of congo": "COD",
    "viet nam": "VNM",
    "lao pdr": "LAO",
    "lao people s democratic republic": "LAO",
    "turkiye": "TUR",
    "kyrgyz republic": "KGZ",
    "swaziland": "SWZ",
    "macedonia": "MKD",
    "state of palestine": "PSE",
    "palestinian territories": "PSE",
    "syrian arab republic": "SYR",
}


def _folded(name: str) -> str:
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(
        " " if not (c.isalnum() or c.isspace()) else c for c in text if not unicodedata.combining(c)
    )
    return " ".join(text.casefold().split())


# Bounded: names also come from query strings (`?country=`). The answer depends only on the name
# (django-countries' `by_name` reads English names whatever the active language), and `by_name` scans every
# country's names: it was half of the importer's time, which asks for each plan's and each lab's country.
@lru_cache(maxsize=1024)
def code_for(name: str) -> str:
    """The alpha-3 code of a country named in English as people write it (or given as a code), else ""."""
    name = (name or "").strip()
    if not name:
        return ""
    if len(name) in (2, 3) and name.isascii() and name.isalpha() and countries.alpha3(name.upper()):
        return countries.alpha3(name.upper())
    folded = _folded(name)
    if folded in ARCHIVE_NAMES:
        return ARCHIVE_NAMES[folded]
    alpha2 = _english_names().get(name.lower(), "")
    return countries.alpha3(alpha2) if alpha2 else ""


@lru_cache(maxsize=1)
def _english_names() -> dict[str, str]:
    """{lower-case English name: alpha-2 code}: what `countries.by_name(name)` finds, read in one pass.
    `by_name` translates and compares every country's names on each call (~6 ms): the importer met 90
    countries and spent half a second there."""
    names: dict[str, str] = {}
    with override("en"):
        for code, entry in countries.countries.items():
            if isinstance(entry, dict):
                found = entry["names"] if "names" in entry else [entry["name"]]
            else:
                found = [entry]
            for name in [*found, *countries.shadowed_names.get(code, [])]:
                names.setdefault(str(name).lower(), code)  # by_name returns the first country that matches
    return names


@lru_cache(maxsize=1024)  # country names, in three languages: the facet and the statistics sort them all
def by_name(name: str) -> tuple[str, str]:
    """A sort key for country names as a reader expects them in any language: "Bénin" between "Belize" and
    "Bhoutan", not after "Bosnie" as its code points would put it."""
    return _folded(name), name


def name_of(code: str, language: str | None = None) -> str:
    """The country's name in the active language (English, French or Spanish), or the code itself. A page
    naming a hundred countries passes the active language (`get_language()`, ~1 us a call) once read."""
    return _name_in(language or get_language() or "", code) if code else ""


@lru_cache(maxsize=2048)
def _name_in(language: str, code: str) -> str:
    # Called with `language` active. django-countries looks the code up and translates it on each call:
    # ~70 us, twice for each card of a list (1.4 ms a page of twenty).
    return str(countries.name(code)) or code
