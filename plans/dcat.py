"""The DCAT catalogue of the collection, for data portals: `/catalog.jsonld` and `/catalog.ttl`.

DCAT-AP 3: a `dcat:Catalog` holding the collection as a `dcat:Dataset` whose distributions are the download
formats (and the data dictionary), the API as a `dcat:DataService`, the dated full dumps as a
`dcat:DatasetSeries` (each dump a dataset in the series, each file a distribution with its SHA-256), and
every published plan as a `dcat:Dataset` described by a `dcat:CatalogRecord` with its modified date.
Plans come in pages (`page`, Hydra's PartialCollectionView says where the others are) and may be limited to
those modified since a time (`modified_since`) for incremental harvesting; withdrawn plans leave the
catalogue (the API's changes feed lists them as tombstones). The graph is built with rdflib and serialised
by it, so both files say the same thing.
"""

from django.conf import settings
from django.core.paginator import EmptyPage, Paginator
from django.db.models import Max
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_safe
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF, XSD

from plans import cache, dumps, opendata
from plans.models import Plan
from plans.parts import TAG_VOCABULARIES

# DCAT 3 (rdflib's closed DCAT namespace is version 2: no DatasetSeries, inSeries, first or last).
DCAT = Namespace("http://www.w3.org/ns/dcat#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
LANGUAGE = Namespace("http://publications.europa.eu/resource/authority/language/")
FREQUENCY = Namespace("http://publications.europa.eu/resource/authority/frequency/")
IANA = "https://www.iana.org/assignments/media-types/"
FRICTIONLESS_PACKAGE = "https://specs.frictionlessdata.io/data-package/"
LANGUAGES = {"en": "ENG", "fr": "FRA", "es": "SPA", "pt": "POR", "ar": "ARA", "ru": "RUS"}

CONTEXT = {
    "dcat": str(DCAT),
    "dct": str(DCTERMS),
    "foaf": str(FOAF),
    "hydra": str(HYDRA),
    "spdx": str(SPDX),
    "vcard": str(VCARD),
    "xsd": str(XSD),
}


def site(path: str) -> URIRef:
    return URIRef(settings.SITE_URL + path)


def parse_since(value: str | None):
    """`modified_since` as an aware datetime (a date means its midnight, UTC), None when absent; raises
    ValueError when it is not an ISO 8601 date or time."""
    if value is None:
        return None
    parsed = parse_datetime(value.strip())  # accepts a date alone too (datetime.fromisoformat)
    if parsed is None:
        raise ValueError(value)
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, timezone.UTC)


class Catalogue:
    def __init__(self, page_number: int, since, path: str):
        self.graph = Graph()
        for prefix, namespace in CONTEXT.items():
            self.graph.bind(prefix, Namespace(namespace))
        self.since = since
        self.path = path
        self.page_number = page_number
        self.catalog = site(reverse("catalog-jsonld"))
        self.collection = site("/#collection")
        self.publisher = site("/#publisher")
        self.licence = URIRef(opendata.licence()["url"])

    def add(self, subject, predicate, value) -> None:
        self.graph.add((subject, predicate, value))

    def literal(self, subject, predicate, value, **kwargs) -> None:
        if value not in (None, ""):
            self.add(subject, predicate, Literal(value, **kwargs))

    def date(self, subject, predicate, value) -> None:
        if value is not None:
            self.add(subject, predicate, Literal(value.isoformat(), datatype=XSD.dateTime))

    # ------------------------------------------------------------ the collection, its services and dumps

    def describe_catalog(self, plans) -> None:
        c = self.catalog
        self.add(c, RDF.type, DCAT.Catalog)
        self.literal(c, DCTERMS.title, opendata.TITLE, lang="en")
        self.literal(c, DCTERMS.description, opendata.DESCRIPTION, lang="en")
        self.add(c, DCTERMS.publisher, self.publisher)
        self.add(c, DCTERMS.license, self.licence)
        self.add(c, FOAF.homepage, site("/"))
        for code in ("ENG", "FRA", "SPA"):
            self.add(c, DCTERMS.language, LANGUAGE[code])
        self.date(c, DCTERMS.modified, plans.aggregate(last=Max("modified_at"))["last"])
        self.add(self.publisher, RDF.type, FOAF.Agent)
        self.literal(self.publisher, FOAF.name, opendata.PUBLISHER)
        contact = site("/#contact")
        self.add(contact, RDF.type, VCARD.Organization)
        self.literal(contact, VCARD.fn, opendata.PUBLISHER)
        self.add(contact, VCARD.hasURL, site("/"))

        d = self.collection
        self.add(c, DCAT.dataset, d)
        self.add(d, RDF.type, DCAT.Dataset)
        self.literal(d, DCTERMS.title, opendata.TITLE, lang="en")
        self.literal(d, DCTERMS.description, opendata.DESCRIPTION, lang="en")
        self.add(d, DCTERMS.publisher, self.publisher)
        self.add(d, DCAT.contactPoint, contact)
        self.add(d, DCAT.landingPage, site(reverse("plans:data")))
        self.add(
            d,
            DCTERMS.accessRights,
            URIRef("http://publications.europa.eu/resource/authority/access-right/PUBLIC"),
        )
        for keyword in opendata.KEYWORDS:
            self.literal(d, DCAT.keyword, keyword, lang="en")
        self.date(d, DCTERMS.modified, plans.aggregate(last=Max("modified_at"))["last"])
        for fmt in opendata.FORMATS:
            url = site(reverse(fmt.url_name))
            self.distribution(
                d, url, fmt.media_type, fmt.file_type_uri, f"{opendata.TITLE} ({fmt.file_type})"
            )
            if fmt.key in ("csv", "xlsx"):
                self.add(url, DCTERMS.conformsTo, site(reverse("downloads:datapackage")))
        dictionary = site(reverse("downloads:datapackage"))
        self.distribution(d, dictionary, "application/json", opendata.FILE_TYPE + "JSON", "Data dictionary")
        self.add(dictionary, DCTERMS.conformsTo, URIRef(FRICTIONLESS_PACKAGE))

        api = site(reverse("api:api-root"))
        self.add(c, DCAT.service, api)
        self.add(api, RDF.type, DCAT.DataService)
        self.literal(api, DCTERMS.title, "AccLab Plans API", lang="en")
        self.add(api, DCAT.endpointURL, api)
        self.add(api, DCAT.endpointDescription, site(reverse("api:schema")))
        self.add(api, DCAT.servesDataset, d)
        self.add(api, DCTERMS.license, self.licence)
        self.describe_dumps(c)

    def distribution(self, dataset, url, media_type: str, file_type: str, title: str):
        self.add(dataset, DCAT.distribution, url)
        self.add(url, RDF.type, DCAT.Distribution)
        self.literal(url, DCTERMS.title, title, lang="en")
        self.add(url, DCAT.accessURL, url)
        self.add(url, DCAT.downloadURL, url)
        self.add(url, DCAT.mediaType, URIRef(IANA + media_type))
        self.add(url, DCTERMS.format, URIRef(file_type))
        self.add(url, DCTERMS.license, self.licence)
        return url

    def describe_dumps(self, catalog) -> None:
        manifests = dumps.manifests()
        series = site(reverse("plans:data") + "#dumps")
        self.add(catalog, DCAT.dataset, series)
        self.add(series, RDF.type, DCAT.DatasetSeries)
        self.literal(series, DCTERMS.title, f"{opendata.TITLE}: dated full dumps", lang="en")
        self.literal(
            series,
            DCTERMS.description,
            "The whole published collection in one compressed file per format, with its data dictionary, "
            "licence and SHA-256 checksums; the last dates are kept.",
            lang="en",
        )
        self.add(series, DCTERMS.publisher, self.publisher)
        self.add(series, DCTERMS.accrualPeriodicity, FREQUENCY.DAILY)
        datasets = []
        for manifest in manifests:  # newest first
            dump = site(dumps.url(manifest["date"], ""))
            datasets.append(dump)
            self.add(catalog, DCAT.dataset, dump)
            self.add(dump, RDF.type, DCAT.Dataset)
            self.add(dump, DCAT.inSeries, series)
            self.literal(dump, DCTERMS.title, f"{opendata.TITLE}, {manifest['date']}", lang="en")
            self.literal(dump, DCTERMS.issued, manifest["generated_at"], datatype=XSD.dateTime)
            self.add(dump, DCTERMS.publisher, self.publisher)
            for item in manifest["files"]:
                fmt = opendata.format_named(item["format"])
                url = site(dumps.url(manifest["date"], item["name"]))
                self.distribution(dump, url, "application/zip", opendata.FILE_TYPE + "ZIP", item["name"])
                if fmt is not None:
                    self.add(url, DCAT.packageFormat, URIRef(IANA + "application/zip"))
                self.literal(url, DCAT.byteSize, item["bytes"], datatype=XSD.nonNegativeInteger)
                checksum = BNode()
                self.add(url, SPDX.checksum, checksum)
                self.add(checksum, RDF.type, SPDX.Checksum)
                self.add(checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256)
                self.literal(checksum, SPDX.checksumValue, item["sha256"], datatype=XSD.hexBinary)
        if datasets:
            self.add(series, DCAT.last, datasets[0])
            self.add(series, DCAT.first, datasets[-1])

    # ------------------------------------------------------------ plans

    def describe_plan(self, plan: Plan) -> None:
        url = site(plan.get_absolute_url())
        record = URIRef(url + "#record")
        self.add(self.catalog, DCAT.dataset, url)
        self.add(self.catalog, DCAT.record, record)
        self.add(record, RDF.type, DCAT.CatalogRecord)
        self.add(record, FOAF.primaryTopic, url)
        self.date(record, DCTERMS.issued, plan.published_at)
        self.date(record, DCTERMS.modified, plan.modified_at)

        self.add(url, RDF.type, DCAT.Dataset)
        self.add(url, DCAT.landingPage, url)
        self.add(self.collection, DCTERMS.hasPart, url)
        self.add(url, DCTERMS.isPartOf, self.collection)
        self.literal(url, DCTERMS.identifier, plan.slug)
        self.literal(url, DCTERMS.title, plan.title, lang=plan.language or None)
        self.literal(url, DCTERMS.description, plan.tweet_summary or plan.title, lang=plan.language or None)
        self.date(url, DCTERMS.issued, plan.published_at)
        self.date(url, DCTERMS.modified, plan.modified_at)
        self.add(url, DCTERMS.publisher, self.publisher)
        if plan.language in LANGUAGES:
            self.add(url, DCTERMS.language, LANGUAGE[LANGUAGES[plan.language]])
        if plan.lab is not None:
            lab = site(f"/#lab-{plan.lab_id}")
            self.add(url, DCTERMS.creator, lab)
            self.add(lab, RDF.type, FOAF.Organization)
            self.literal(lab, FOAF.name, plan.lab.name)
        if plan.country:
            self.literal(url, DCTERMS.spatial, plan.country)
        if plan.year:
            self.literal(url, DCTERMS.temporal, str(plan.year), datatype=XSD.gYear)
        for vocabulary in TAG_VOCABULARIES:
            for tag in getattr(plan, vocabulary.name).all():
                self.literal(url, DCAT.keyword, tag.name)
        self.distribution(
            url,
            site(reverse("downloads:plan_json", kwargs={"slug": plan.slug})),
            "application/json",
            opendata.FILE_TYPE + "JSON",
            f"{plan.title} (JSON)",
        )

    def page(self, paginator: Paginator, page) -> None:
        view = site(self.path + (f"?page={page.number}" if page.number > 1 else ""))
        if self.since is not None:
            view = URIRef(
                str(view) + ("&" if "?" in view else "?") + f"modified_since={self.since.isoformat()}"
            )
        self.add(view, RDF.type, HYDRA.PartialCollectionView)
        self.add(self.catalog, HYDRA.view, view)
        self.literal(view, HYDRA.totalItems, paginator.count, datatype=XSD.integer)

        def link(number: int) -> URIRef:
            query = [f"page={number}"] if number > 1 else []
            if self.since is not None:
                query.append(f"modified_since={self.since.isoformat()}")
            return site(self.path + ("?" + "&".join(query) if query else "").replace("+", "%2B"))

        self.add(view, HYDRA.first, link(1))
        self.add(view, HYDRA.last, link(paginator.num_pages))
        if page.has_next():
            self.add(view, HYDRA.next, link(page.next_page_number()))
        if page.has_previous():
            self.add(view, HYDRA.previous, link(page.previous_page_number()))


def catalogue_plans(since=None):
    """The published plans the catalogue lists, oldest change first (stable pages while harvesting)."""
    plans = Plan.objects.published()
    if since is not None:
        plans = plans.filter(modified_at__gte=since)
    return plans.order_by("modified_at", "pk")


def build(request: HttpRequest) -> Graph | HttpResponse:
    """The catalogue's graph for this request, or the 400/404 answer to its parameters."""
    try:
        since = parse_since(request.GET.get("modified_since"))
    except ValueError:
        return HttpResponseBadRequest(
            "modified_since must be an ISO 8601 date or time, e.g. 2026-01-31T00:00:00Z\n",
            content_type="text/plain; charset=utf-8",
        )
    raw_page = request.GET.get("page", "1")
    if not (raw_page.isascii() and raw_page.isdigit()) or int(raw_page) < 1:
        return HttpResponseBadRequest(
            "page must be a number from 1\n", content_type="text/plain; charset=utf-8"
        )
    plans = catalogue_plans(since)
    paginator = Paginator(
        plans.select_related("lab")
        .prefetch_related(*(v.name for v in TAG_VOCABULARIES))
        .only(
            "slug",
            "title",
            "tweet_summary",
            "language",
            "country",
            "year",
            "published_at",
            "modified_at",
            "lab",
        ),
        settings.CATALOG_PAGE_SIZE,
    )
    try:
        page = paginator.page(int(raw_page))
    except EmptyPage:
        return HttpResponse("No such page.\n", status=404, content_type="text/plain; charset=utf-8")
    catalogue = Catalogue(page.number, since, request.path)
    catalogue.describe_catalog(Plan.objects.published())
    for plan in page.object_list:
        catalogue.describe_plan(plan)
    catalogue.page(paginator, page)
    return catalogue.graph


def _serve(request: HttpRequest, rdf_format: str, content_type: str) -> HttpResponse:
    graph = build(request)
    if isinstance(graph, HttpResponse):
        return graph
    if rdf_format == "json-ld":
        body = graph.serialize(format="json-ld", context=CONTEXT, auto_compact=True)
    else:
        body = graph.serialize(format=rdf_format)
    return HttpResponse(body, content_type=content_type)


@require_safe
@cache.public_page(params=("page", "modified_since"))
def catalog_jsonld(request: HttpRequest) -> HttpResponse:
    return _serve(request, "json-ld", "application/ld+json; charset=utf-8")


@require_safe
@cache.public_page(params=("page", "modified_since"))
def catalog_ttl(request: HttpRequest) -> HttpResponse:
    return _serve(request, "turtle", "text/turtle; charset=utf-8")
