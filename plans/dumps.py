"""Dated full dumps of the published collection: one ZIP per format (the data, its `datapackage.json` and
`LICENSE.txt`), a `SHA256SUMS` file and a `manifest.json`, in `DUMPS_ROOT/<YYYY-MM-DD>/`, served as files
under /dumps/ and listed in the DCAT catalogue as a dataset series. Written by `manage.py dump_collection`
and by the scheduled task in plans/tasks.py.

A dump is written in a hidden temporary folder (`.partial-…`) and renamed to its date only once every file
and the manifest are complete: a dump interrupted half-way leaves no dated folder, the previous one stays the
latest, and no half file is ever served (the view serves only dated folders that hold a manifest, and never
a hidden name). The last `DUMPS_KEEP` dates are kept.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from datetime import date as Date
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from plans import dictionary, opendata

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]*$")
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
PARTIAL = ".partial-"
STALE = ".old-"


class SiteRequest:
    """What the serializers and columns ask of a request (absolute addresses), outside any request: a dump
    names the site at SITE_URL."""

    def build_absolute_uri(self, path: str = "/") -> str:
        return settings.SITE_URL + path


# ------------------------------------------------------------------ reading


def root() -> Path:
    return Path(settings.DUMPS_ROOT)


def manifests() -> list[dict]:
    """The complete dumps, newest first (each its manifest)."""
    found = []
    folder = root()
    if not folder.is_dir():
        return []
    for entry in sorted(folder.iterdir(), reverse=True):
        if entry.is_dir() and DATE.match(entry.name) and (entry / MANIFEST).is_file():
            try:
                found.append(json.loads((entry / MANIFEST).read_text()))
            except ValueError:
                continue  # never a dump whose manifest cannot be read
    return found


def latest() -> dict | None:
    found = manifests()
    return found[0] if found else None


def url(day: str, name: str) -> str:
    if not name:
        return reverse("dump-folder", kwargs={"day": day})
    return reverse("dump-file", kwargs={"day": day, "name": name})


@require_safe
def serve(request: HttpRequest, day: str, name: str) -> FileResponse:
    """A file of a complete dump, as it is on disk (production may let the proxy serve DUMPS_ROOT)."""
    if not DATE.match(day) or not FILE.match(name):
        raise Http404
    folder = root() / day
    path = folder / name
    if not (folder / MANIFEST).is_file() or not path.is_file():
        raise Http404
    content_type = {".zip": "application/zip", ".json": "application/json"}.get(path.suffix, "text/plain")
    response = FileResponse(path.open("rb"), as_attachment=path.suffix == ".zip", content_type=content_type)
    response["Link"] = f'<{settings.DATA_LICENSE_URL}>; rel="license"'
    return response


# ------------------------------------------------------------------ writing


@contextmanager
def _exclusive(folder: Path):
    """One dump at a time: a second run waits for the first rather than writing beside it."""
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write_zip(path: Path, data_name: str, write_data: Callable[[zipfile.ZipFile, str], None], resources):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        write_data(archive, data_name)
        from plans.downloads import package_members

        for name, data in package_members(dictionary.package(resources, created=timezone.now())):
            archive.writestr(name, data)


def _stream_into(pieces: Iterable[bytes]) -> Callable[[zipfile.ZipFile, str], None]:
    def write(archive: zipfile.ZipFile, name: str) -> None:
        with archive.open(name, "w", force_zip64=True) as member:
            for piece in pieces:
                member.write(piece)

    return write


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _formats(plans, request) -> list[tuple[str, str, Callable[[Path], None]]]:
    """(format, file name suffix, writer of the ZIP at a path) for every format of the collection."""
    from plans import downloads

    def csv(path):
        resource = dictionary.csv_resource("plans.csv")
        _write_zip(path, "plans.csv", _stream_into(downloads.csv_rows(plans, request)), [resource])

    def xlsx(path):
        def write(archive, name):
            with downloads.xlsx_file(plans, request) as workbook:
                with archive.open(name, "w", force_zip64=True) as member:
                    shutil.copyfileobj(workbook, member)

        _write_zip(path, "plans.xlsx", write, [dictionary.xlsx_resource("plans.xlsx")])

    def json_file(path):
        resource = dictionary.file_resource("plans", "plans.json", "json", "application/json")
        _write_zip(path, "plans.json", _stream_into(downloads.json_pieces(plans, request)), [resource])

    def geojson(path):
        resource = dictionary.file_resource("plans", "plans.geojson", "geojson", "application/geo+json")
        _write_zip(path, "plans.geojson", _stream_into(downloads.geojson_pieces(plans, request)), [resource])

    def archive(path):
        # The archive download is itself a ZIP holding its data package and licence.
        with path.open("wb") as out:
            for piece in downloads.zip_pieces(plans):
                out.write(piece)

    return [("csv", "csv", csv), ("xlsx", "xlsx", xlsx), ("json", "json", json_file),
            ("geojson", "geojson", geojson), ("zip", "archive", archive)]  # fmt: skip


def write(day: Date | None = None, keep: int | None = None, *, log: Callable[[str], None] = lambda _m: None):
    """Write the dump of `day` (today) and keep the last `keep` (DUMPS_KEEP) dates; return its manifest.
    The same day written again replaces the earlier dump of that day."""
    from plans.downloads import filtered_plans

    day = day or timezone.localdate()
    keep = settings.DUMPS_KEEP if keep is None else keep
    folder = root()
    folder.mkdir(parents=True, exist_ok=True)
    with _exclusive(folder):
        for entry in folder.iterdir():  # what an earlier, interrupted run left
            if entry.name.startswith((PARTIAL, STALE)):
                shutil.rmtree(entry, ignore_errors=True)
        partial = Path(tempfile.mkdtemp(prefix=PARTIAL, dir=folder))
        try:
            manifest = _write_files(partial, day, filtered_plans({}), log)
            _publish(partial, folder / day.isoformat())
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        removed = _prune(folder, keep)
    for name in removed:
        log(f"removed the dump of {name}")
    from plans import cache

    cache.bump()  # the catalogue and the data page list the dumps
    return manifest


def _write_files(partial: Path, day: Date, plans, log) -> dict:
    request = SiteRequest()
    stem = f"acclab-plans-{day.isoformat()}"
    files = []
    for fmt, suffix, writer in _formats(plans, request):
        name = f"{stem}-{suffix}.zip"
        writer(partial / name)
        size = (partial / name).stat().st_size
        files.append(
            {
                "format": fmt,
                "name": name,
                "bytes": size,
                "sha256": _sha256(partial / name),
                "media_type": "application/zip",
            }
        )
        log(f"wrote {name} ({size} bytes)")
    (partial / SUMS).write_text("".join(f"{f['sha256']}  {f['name']}\n" for f in files))
    manifest = {
        "date": day.isoformat(),
        "generated_at": timezone.now().isoformat(),
        "plans": plans.count(),
        "license": opendata.licence(),
        "files": files,
    }
    # Written last: a folder with a manifest is a complete dump.
    (partial / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    return manifest


def _publish(partial: Path, final: Path) -> None:
    """Rename the complete dump to its date (atomic); an earlier dump of the same date is moved aside first
    and removed after."""
    stale = None
    if final.exists():
        stale = final.with_name(f"{STALE}{final.name}-{os.getpid()}")
        os.rename(final, stale)
    os.rename(partial, final)
    os.chmod(final, 0o755)  # mkdtemp makes it private to its owner; the web server must read it
    if stale is not None:
        shutil.rmtree(stale, ignore_errors=True)


def _prune(folder: Path, keep: int) -> list[str]:
    dated = sorted((e for e in folder.iterdir() if e.is_dir() and DATE.match(e.name)), reverse=True)
    removed = []
    for entry in dated[max(keep, 1) :]:
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry.name)
    return removed
