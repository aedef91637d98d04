"""schema.org descriptions (JSON-LD in the pages) for search engines and dataset search: the collection as a
`Dataset` (home and open-data pages) and each plan as an `Article` (its page). Only terms of the schema.org
vocabulary, checked against it by tests/test_structured_data.py."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import get_language

from plans import opendata
from plans.parts import TAG_VOCABULARIES
from plans.validators import valid_coordinates


def _organisation() -> dict:
    return {"@type": "Organization", "name": opendata.PUBLISHER, "url": settings.SITE_URL + "/"}


def dataset(figures: dict | None = None, modified=None) -> dict:
    """The collection: its licence, publisher and one DataDownload per format, in the reader's language."""
    data = opendata.licence()
    description = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "name": str(opendata.PAGE_TITLE),
        "description": str(opendata.PAGE_DESCRIPTION),
        "url": settings.SITE_URL + reverse("plans:data"),
        "license": data["url"],
        "creditText": data["attribution"],
        "copyrightNotice": data["notice"],
        "isAccessibleForFree": True,
        "creator": _organisation(),
        "publisher": _organisation(),
        "keywords": list(opendata.KEYWORDS),
        "inLanguage": get_language() or settings.LANGUAGE_CODE,
        "includedInDataCatalog": {
            "@type": "DataCatalog",
            "name": opendata.TITLE,
            "url": settings.SITE_URL + reverse("catalog-jsonld"),
        },
        "distribution": [
            {
                "@type": "DataDownload",
                "name": str(fmt.label),
                "encodingFormat": fmt.media_type,
                "contentUrl": settings.SITE_URL + reverse(fmt.url_name),
            }
            for fmt in opendata.FORMATS
        ],
    }
    if figures and figures.get("first_year"):
        description["temporalCoverage"] = f"{figures['first_year']}/{figures['last_year']}"
    if modified is not None:
        description["dateModified"] = modified.isoformat()
    return description


def article(plan) -> dict:
    """One plan: what it is, who wrote it, where, when, under which licence, and the collection it is in."""
    data = opendata.licence()
    url = settings.SITE_URL + plan.get_absolute_url()
    description = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": plan.title[:110],
        "name": plan.title,
        "url": url,
        "mainEntityOfPage": url,
        "inLanguage": plan.language or "en",
        "license": data["url"],
        "creditText": data["attribution"],
        "copyrightNotice": data["notice"],
        "isAccessibleForFree": True,
        "publisher": _organisation(),
        "author": {"@type": "Organization", "name": plan.lab.name} if plan.lab else _organisation(),
        "isPartOf": {
            "@type": "Dataset",
            "name": opendata.TITLE,
            "url": settings.SITE_URL + reverse("plans:data"),
        },
        "keywords": [tag.name for v in TAG_VOCABULARIES for tag in getattr(plan, v.name).all()],
    }
    if plan.tweet_summary:
        description["description"] = plan.tweet_summary
    if plan.published_at:
        description["datePublished"] = plan.published_at.isoformat()
    if plan.modified_at:
        description["dateModified"] = plan.modified_at.isoformat()
    if plan.country:
        place = {"@type": "Place", "name": plan.country}
        if valid_coordinates(plan.latitude, plan.longitude):
            place["geo"] = {"@type": "GeoCoordinates", "latitude": plan.latitude, "longitude": plan.longitude}
        description["contentLocation"] = place
    return description
