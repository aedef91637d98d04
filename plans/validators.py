"""Rules for values that come from outside (authors, the archive, old rows): which URLs may become links and
which coordinates are a place on Earth. Models validate with them, the importer refuses or neutralises
with them, and every output (pages, admin, API, downloads, map pins) checks them again before emitting.
"""

import math
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

LINK_SCHEMES = frozenset({"http", "https", "mailto"})
# Browsers drop tabs and line breaks anywhere in a URL and C0 controls and spaces around it before they
# read the scheme ("java\tscript:" runs as javascript:), so the scheme is read the same way here.
_IGNORED = re.compile(r"[\t\n\r]")
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):")


def link_url(url: str | None) -> str:
    """`url` if it may be an href (http, https or mailto), else "" — never a `javascript:` or `data:` URL,
    and never a relative one, which would point into our own site."""
    if not url:
        return ""
    match = _SCHEME.match(_IGNORED.sub("", url).strip("\x00- "))
    return url if match and match[1].lower() in LINK_SCHEMES else ""


def validate_link_url(value: str) -> None:
    if value and not link_url(value):
        raise ValidationError(
            _("Only http, https and mailto links are allowed."), code="link_scheme", params={"value": value}
        )


LATITUDE = (-90.0, 90.0)
LONGITUDE = (-180.0, 180.0)


def valid_coordinates(latitude: float | None, longitude: float | None) -> bool:
    """Both set, finite and on Earth: only such a pair becomes a pin or a GeoJSON point."""
    return coordinate(latitude, LATITUDE) is not None and coordinate(longitude, LONGITUDE) is not None


def coordinate(value: float | None, bounds: tuple[float, float]) -> float | None:
    """`value` if it is a finite number within `bounds`, else None (JSON has no NaN or infinity)."""
    if value is None or not math.isfinite(value) or not bounds[0] <= value <= bounds[1]:
        return None
    return value


# NaN compares false with everything, so a plain Min/MaxValueValidator would let it through.
def validate_latitude(value: float) -> None:
    if coordinate(value, LATITUDE) is None:
        raise ValidationError(_("A latitude is a number from -90 to 90."), code="latitude")


def validate_longitude(value: float) -> None:
    if coordinate(value, LONGITUDE) is None:
        raise ValidationError(_("A longitude is a number from -180 to 180."), code="longitude")
