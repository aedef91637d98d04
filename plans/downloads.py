"""Open-data downloads of the published plans: the current filtered list as CSV, XLSX, JSON, GeoJSON or a
ZIP of archive-format files, and one plan as JSON or archive file.

Every download starts from `Plan.objects.published()` and goes through the list's FilterSet
(`plans.filters.PlanFilter`, which also runs the full-text search `q`), so a download holds exactly the
plans the list shows, in the list's order. What a plan says comes from `plans.api.serializers` (JSON,
GeoJSON) or from the archive writer (ZIP); blog links are approved ones only, and focal-point e-mails
appear only when `settings.PUBLIC_FOCAL_POINT_EMAILS` is on.

Memory: plans are read with `iterator(chunk_size=CHUNK)`, which prefetches children and tags per chunk
(a fixed number of queries per chunk, never per plan), and the CSV, JSON, GeoJSON and ZIP bodies are
generated chunk by chunk into a `StreamingHttpResponse`. XLSX cannot be streamed (a workbook is a ZIP
whose directory comes last): openpyxl's write-only mode writes rows to a temporary file instead.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC
from itertools import batched

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from plans import catalogue as cat
from plans import dictionary, opendata
from plans.api.serializers import PlanDetailSerializer, PlanSummarySerializer, tag_order
from plans.archive.dump import UnwritableLayout, archive_file, unique_name
from plans.filters import PlanFilter
from plans.models import BlogLink, Plan
from plans.validators import link_url, valid_coordinates

logger = logging.getLogger(__name__)

# Plans per database round trip: big enough that the prefetch queries are few (11 per chunk), small
# enough that the working set stays about 20 MiB whatever the number of plans (bench/downloads.py).
CHUNK = 100
# Archive files need each plan's layout: smaller chunks keep the ZIP's peak as low as the others'.
ARCHIVE_CHUNK = 50
# Responses are written in pieces of about this size rather than one per plan or per row.
FLUSH_BYTES = 64 * 1024


# ------------------------------------------------------------------ what is downloaded


def prefetch(queryset: QuerySet, *, layout: bool = False) -> QuerySet:
    """Everything a download or the API shows of a plan, fetched once per chunk or page. The archive
    layout (tens of kilobytes of JSON per imported plan) is read only by the archive writer (`layout`)."""
    if not layout:
        queryset = queryset.defer("archive_layout")
    return queryset.with_content_for(None)


def filtered_plans(data) -> QuerySet:
    """Published plans matching the list's query parameters (`request.GET`), in the list's order."""
    return PlanFilter(data, queryset=Plan.objects.published()).sorted()


def iter_chunks(queryset: QuerySet, size: int = CHUNK, *, layout: bool = False) -> Iterator[tuple[Plan, ...]]:
    """The plans of `queryset` with what they show prefetched, `size` at a time."""
    return batched(prefetch(queryset, layout=layout).iterator(chunk_size=size), size)


def _buffered(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """Join small pieces into writes of about FLUSH_BYTES: fewer, larger writes to the client."""
    buffer, size = [], 0
    for piece in pieces:
        buffer.append(piece)
        size += len(piece)
        if size >= FLUSH_BYTES:
            yield b"".join(buffer)
            buffer, size = [], 0
    if buffer:
        yield b"".join(buffer)


def _filename(extension: str) -> str:
    return f"acclab-plans-{timezone.now():%Y-%m-%d}.{extension}"


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return licensed(response)


def licensed(response: HttpResponse) -> HttpResponse:
    """Name the data's licence in a header too (RFC 8288), where clients that read no body see it."""
    response["Link"] = f'<{settings.DATA_LICENSE_URL}>; rel="license"'
    return response


# ------------------------------------------------------------------ flat rows (CSV, XLSX)

TAG_SEPARATOR = "; "
# Children are longer texts that may themselves contain "; ": one blank line between two of them.
CHILD_SEPARATOR = "\n\n"


def _tags(name: str) -> Callable[[Plan], str]:
    # Sorted like the API's lists: taggit's prefetch leaves the order to the database.
    return lambda plan: TAG_SEPARATOR.join(t.name for t in sorted(getattr(plan, name).all(), key=tag_order))


def _naive_utc(value):
    # Spreadsheets have no time zones (openpyxl refuses aware datetimes): UTC, said so in the header.
    return timezone.localtime(value, UTC).replace(tzinfo=None) if value else None


def _answer(name: str) -> Callable[[Plan], object]:
    """A column of one answer field: checklists (lists of option values) joined like tags."""
    if name in cat.CHECKLIST_FIELDS:
        return lambda plan: TAG_SEPARATOR.join(getattr(plan, name) or [])
    return lambda plan: getattr(plan, name)


def columns(request: HttpRequest | None) -> list[tuple[str, Callable[[Plan], object]]]:
    """The CSV/XLSX columns: (header, value of a plan). Headers are the JSON field names, not translated
    labels, so that scripts reading the files work whatever the language of the page they came from."""

    def absolute(path: str) -> str:
        return request.build_absolute_uri(path) if request is not None else path

    cols: list[tuple[str, Callable[[Plan], object]]] = [
        ("slug", lambda p: p.slug),
        ("url", lambda p: absolute(p.get_absolute_url())),
        ("title", lambda p: p.title),
        ("kind", lambda p: p.kind),
        ("form_version", lambda p: p.form_version),
        ("language", lambda p: p.language),
        ("year", lambda p: p.year),
        ("lab", lambda p: p.lab.name if p.lab else ""),
        ("country", lambda p: p.country_name),
        ("iso3", lambda p: p.country_code),  # the plan's country code: its lab's unless it names another
        ("latitude", lambda p: p.latitude),
        ("longitude", lambda p: p.longitude),
        ("published_at_utc", lambda p: _naive_utc(p.published_at)),
        # The linked plans by slug, once published (as in the API).
        ("opening_plan", lambda p: p.public_opening_plan.slug if p.public_opening_plan else ""),
        ("closing_report", lambda p: p.public_closing_report.slug if p.public_closing_report else ""),
    ]
    if settings.PUBLIC_FOCAL_POINT_EMAILS:
        cols.append(("focal_point_email", lambda p: p.focal_point_email))
    cols += [
        ("methods", _tags("methods")),
        ("datasources", _tags("datasources")),
        ("thematic_areas", _tags("thematic_areas")),
        ("sdgs", lambda p: TAG_SEPARATOR.join(f"{s.number}. {s.name}" for s in p.sdgs.all())),
    ]
    cols += [(name, _answer(name)) for name in cat.ANSWER_FIELDS]  # the forms' answers, in form order
    cols += [
        ("insights", lambda p: CHILD_SEPARATOR.join(i.text for i in p.insights.all())),
        ("barriers", lambda p: CHILD_SEPARATOR.join(b.text for b in p.barriers.all())),
        ("partners", lambda p: TAG_SEPARATOR.join(x.name for x in p.partnerships.all() if x.name)),
        (
            "learning_questions",
            lambda p: CHILD_SEPARATOR.join(q.question for q in p.learning_questions.all()),
        ),
        (
            "blog_links",
            # Approved only, even if a caller forgot the filtered prefetch.
            lambda p: "\n".join(
                b.url for b in p.blog_links.all() if b.status == BlogLink.Status.APPROVED and link_url(b.url)
            ),
        ),
        # On every row: a row copied alone keeps its licence (plans/dictionary.py describes every column).
        ("license", lambda p: settings.DATA_LICENSE),
    ]
    return cols


class _Echo:
    """csv.writer writes into this and gets the line back, so that rows are yielded, not accumulated."""

    def write(self, value: str) -> str:
        return value


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value):
    """A cell as text a spreadsheet will not run: text that opens like a formula ("=HYPERLINK(…)" typed into
    an answer) gets a leading apostrophe, as OWASP advises for CSV injection. Numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_rows(queryset: QuerySet, request: HttpRequest | None) -> Iterator[bytes]:
    cols = columns(request)
    writer = csv.writer(_Echo())
    # The byte order mark makes spreadsheet programs read the file as UTF-8 (accents, Khmer, Arabic…).
    yield "\ufeff".encode()
    yield writer.writerow([name for name, _value in cols]).encode()
    for chunk in iter_chunks(queryset):
        for plan in chunk:
            yield writer.writerow([_csv_cell(value(plan)) for _name, value in cols]).encode()


# Excel's limit for one cell; longer answers are cut with a visible mark rather than making a file that
# Excel refuses to open. The CSV and JSON downloads hold the whole text.
XLSX_CELL_MAX = 32767
XLSX_CUT = " […]"


def _xlsx_cell(sheet, value):
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, str):
        # Control characters (found in archive answers) are not allowed in the XML of a workbook.
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if len(value) > XLSX_CELL_MAX:
            value = value[: XLSX_CELL_MAX - len(XLSX_CUT)] + XLSX_CUT
    cell = WriteOnlyCell(sheet, value)
    if isinstance(value, str):
        # Text is text: openpyxl would otherwise store an answer starting with "=" as a formula.
        cell.data_type = "s"
    return cell


def xlsx_file(queryset: QuerySet, request: HttpRequest | None):
    """The workbook in an open temporary file positioned at its start (the caller closes it)."""
    from openpyxl import Workbook

    cols = columns(request)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("plans")
    sheet.freeze_panes = "A2"
    sheet.append([name for name, _value in cols])
    try:
        for chunk in iter_chunks(queryset):
            for plan in chunk:
                sheet.append([_xlsx_cell(sheet, value(plan)) for _name, value in cols])
    except BaseException:
        sheet.close()  # else its row writer fails again when garbage-collected (e.g. the database went away)
        raise
    notes = workbook.create_sheet(dictionary.NOTES_SHEET)
    for row in dictionary.notes_rows():
        notes.append([_xlsx_cell(notes, value) for value in row])
    out = tempfile.TemporaryFile()
    workbook.save(out)
    out.seek(0)
    return out


# ------------------------------------------------------------------ JSON, GeoJSON


def _dumps(data) -> bytes:
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).encode()


def json_pieces(queryset: QuerySet, request: HttpRequest | None) -> Iterator[bytes]:
    """{"count": n, "results": [plan, …]}: the API's list shape, with the whole plan as in the API's
    detail."""
    yield b'{"count": ' + str(queryset.count()).encode() + b', "results": ['
    first = True
    for chunk in iter_chunks(queryset):
        # One serializer per chunk: DRF builds the fields once, not once per plan.
        for data in PlanDetailSerializer(chunk, many=True, context={"request": request}).data:
            yield (b"" if first else b", ") + _dumps(data)
            first = False
    yield b"]}"


def geojson_pieces(queryset: QuerySet, request: HttpRequest | None) -> Iterator[bytes]:
    """A FeatureCollection with a Point per plan; a plan without coordinates keeps its feature with a
    null geometry (allowed by RFC 7946), so that the file still lists every plan of the list."""
    yield b'{"type": "FeatureCollection", "features": ['
    first = True
    for chunk in iter_chunks(queryset):
        for plan, properties in zip(
            chunk, PlanSummarySerializer(chunk, many=True, context={"request": request}).data, strict=True
        ):
            located = valid_coordinates(plan.latitude, plan.longitude)
            # GeoJSON puts longitude first.
            point = {"type": "Point", "coordinates": [plan.longitude, plan.latitude]}
            feature = {
                "type": "Feature",
                "id": plan.slug,
                "geometry": point if located else None,
                "properties": properties,
            }
            yield (b"" if first else b", ") + _dumps(feature)
            first = False
    yield b"]}"


# ------------------------------------------------------------------ archive format, ZIP


class _WriteThrough(io.RawIOBase):
    """A non-seekable sink for zipfile: it writes each member with a data descriptor instead of seeking
    back, and the generator hands out what was written after each member."""

    def __init__(self):
        self._pieces: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._pieces.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self._pieces)
        self._pieces.clear()
        return data


def zip_pieces(queryset: QuerySet) -> Iterator[bytes]:
    """The archive files of the plans, as the public may see them, in a ZIP written as it goes; then the
    data package that lists them with their licence (`datapackage.json`) and the licence (`LICENSE.txt`)."""
    sink = _WriteThrough()
    used: set[str] = set()
    resources: list[dict] = []
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for chunk in iter_chunks(queryset, ARCHIVE_CHUNK, layout=True):
            for plan in chunk:
                try:
                    name, text = archive_file(plan, private=False)
                except UnwritableLayout:  # one broken plan never breaks the collection: left out, logged
                    logger.exception("left out of the ZIP download")
                    continue
                name = unique_name(name, used)
                stamp = timezone.localtime(plan.published_at or plan.updated_at, UTC)
                info = zipfile.ZipInfo(name, date_time=stamp.timetuple()[:6])
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, text.encode())
                resources.append(archive_resource(name, plan))
                yield sink.take()
        for name, data in package_members(dictionary.package(resources, created=timezone.now())):
            archive.writestr(name, data)
        yield sink.take()
    yield sink.take()  # the central directory, written on close


def archive_resource(name: str, plan: Plan) -> dict:
    return dictionary.file_resource(
        f"plan-{plan.pk}", name, "md", "text/markdown", f"{plan.title} (archive format)"
    )


def package_members(descriptor: dict) -> list[tuple[str, bytes]]:
    """What travels with the data inside every ZIP: its data package and its licence."""
    return [
        ("datapackage.json", dictionary.dumps(descriptor)),
        ("LICENSE.txt", opendata.licence_text().encode()),
    ]


# ------------------------------------------------------------------ views


def _stream(pieces: Iterable[bytes], content_type: str, extension: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_buffered(pieces), content_type=content_type)
    return _attachment(response, _filename(extension))


@require_safe
def plans_csv(request: HttpRequest) -> StreamingHttpResponse:
    return _stream(csv_rows(filtered_plans(request.GET), request), "text/csv; charset=utf-8", "csv")


@require_safe
def plans_xlsx(request: HttpRequest) -> FileResponse:
    return licensed(
        FileResponse(
            xlsx_file(filtered_plans(request.GET), request),
            as_attachment=True,
            filename=_filename("xlsx"),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    )


@require_safe
def datapackage(request: HttpRequest) -> JsonResponse:
    """The data dictionary of the CSV and XLSX downloads of the same list (the same query parameters)."""
    query = f"?{request.GET.urlencode()}" if request.GET else ""
    resources = [
        dictionary.csv_resource(request.build_absolute_uri(reverse("downloads:csv") + query)),
        dictionary.xlsx_resource(request.build_absolute_uri(reverse("downloads:xlsx") + query)),
    ]
    # Both resources are the same table: Data Package names are unique.
    resources[1]["name"] = f"{dictionary.TABLE}-xlsx"
    response = JsonResponse(
        dictionary.package(resources), json_dumps_params={"ensure_ascii": False, "indent": 2}
    )
    return licensed(response)


@require_safe
def plans_json(request: HttpRequest) -> StreamingHttpResponse:
    return _stream(json_pieces(filtered_plans(request.GET), request), "application/json", "json")


@require_safe
def plans_geojson(request: HttpRequest) -> StreamingHttpResponse:
    return _stream(geojson_pieces(filtered_plans(request.GET), request), "application/geo+json", "geojson")


@require_safe
def plans_zip(request: HttpRequest) -> StreamingHttpResponse:
    return _stream(zip_pieces(filtered_plans(request.GET)), "application/zip", "zip")


def _published_plan(slug: str) -> Plan:
    return get_object_or_404(prefetch(Plan.objects.published()), slug=slug)


@require_safe
def plan_json(request: HttpRequest, slug: str) -> JsonResponse:
    data = PlanDetailSerializer(_published_plan(slug), context={"request": request}).data
    return licensed(JsonResponse(data, json_dumps_params={"ensure_ascii": False}))
