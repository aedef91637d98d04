"""Uploaded evidence files: what is accepted, how it is stored, and who may download it.

A file is accepted for what it *is*, never for its name or the type the browser claims: its first bytes
(and, for the office formats, the package inside) must be one of KINDS. It must be at most
`settings.ACCLAB_MAX_UPLOAD_MB`. Images are decoded and encoded again with Pillow, which drops their
metadata (GPS positions in photos) and anything appended to or hidden in them (an HTML or script
polyglot). The stored name is random with the extension of the detected kind, so that no upload is ever
stored as `.html`, `.svg` or `.php`.

`UploadField` runs these checks as a model validator (so `full_clean()` refuses a bad file whatever the
form) and again when the file is written to storage (so that no code path stores one unchecked).
`serve` hands a file out only to those who may see its plan (`plans.permissions.can_view`), with
`nosniff` always and as an attachment unless it is an image.
"""

import io
import uuid
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import models
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from plans import permissions


@dataclass(frozen=True)
class Kind:
    extension: str
    content_type: str
    pillow_format: str = ""  # images are re-encoded in this format

    @property
    def is_image(self) -> bool:
        return bool(self.pillow_format)


PNG = Kind(".png", "image/png", "PNG")
JPEG = Kind(".jpg", "image/jpeg", "JPEG")
GIF = Kind(".gif", "image/gif", "GIF")
WEBP = Kind(".webp", "image/webp", "WEBP")
PDF = Kind(".pdf", "application/pdf")
OOXML = "application/vnd.openxmlformats-officedocument."
ODF = "application/vnd.oasis.opendocument."
# Office packages by the content type of their main part ([Content_Types].xml) or their `mimetype` member.
PACKAGES = {
    f"{OOXML}wordprocessingml.document.main+xml": Kind(".docx", f"{OOXML}wordprocessingml.document"),
    f"{OOXML}spreadsheetml.sheet.main+xml": Kind(".xlsx", f"{OOXML}spreadsheetml.sheet"),
    f"{OOXML}presentationml.presentation.main+xml": Kind(".pptx", f"{OOXML}presentationml.presentation"),
    f"{ODF}text": Kind(".odt", f"{ODF}text"),
    f"{ODF}spreadsheet": Kind(".ods", f"{ODF}spreadsheet"),
    f"{ODF}presentation": Kind(".odp", f"{ODF}presentation"),
}
KINDS = (PNG, JPEG, GIF, WEBP, PDF, *PACKAGES.values())
BY_EXTENSION = {k.extension: k for k in KINDS}
# The part of a package read to tell its kind; a real [Content_Types].xml is a few kilobytes.
MAX_MANIFEST = 256 * 1024


def max_bytes() -> int:
    return settings.ACCLAB_MAX_UPLOAD_MB * 1024 * 1024


def _package_kind(data: bytes) -> Kind | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = package.namelist()
            if names and names[0] == "mimetype":  # ODF: the first member, stored, holds the type
                return PACKAGES.get(package.read("mimetype")[:100].decode("ascii", "replace").strip())
            info = package.getinfo("[Content_Types].xml")
            if info.file_size > MAX_MANIFEST:
                return None
            manifest = package.read(info).decode("utf-8", "replace")
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, NotImplementedError, EOFError):
        return None
    return next((kind for main, kind in PACKAGES.items() if f'ContentType="{main}"' in manifest), None)


def detect(data: bytes) -> Kind | None:
    """The kind of a file from its content, or None when it is none of KINDS."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"PK\x03\x04"):
        return _package_kind(data)
    return None


def _reencode(data: bytes, kind: Kind) -> bytes:
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)  # a huge canvas is refused
        with Image.open(io.BytesIO(data), formats=[kind.pillow_format]) as image:
            image.load()
            frames = getattr(image, "n_frames", 1)
            if kind is JPEG and image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            out = io.BytesIO()
            # No exif, icc_profile or text chunks are passed on: only the pixels are kept.
            image.save(out, format=kind.pillow_format, save_all=frames > 1 and kind in (GIF, WEBP))
    return out.getvalue()


def _read(file) -> bytes:
    file.seek(0)
    data = file.read()
    file.seek(0)
    return data


def checked(file) -> tuple[bytes, Kind]:
    """The content to store for an uploaded `file`, and its kind; ValidationError when it is refused."""
    if file.size > max_bytes():
        raise ValidationError(
            _("The file is larger than %(limit)s MB."),
            code="file_too_large",
            params={"limit": settings.ACCLAB_MAX_UPLOAD_MB},
        )
    data = _read(file)
    kind = detect(data)
    if kind is None:
        raise ValidationError(
            _("Upload an image (PNG, JPEG, GIF, WebP), a PDF or an office document (Word, Excel, PowerPoint, "
              "OpenDocument)."),
            code="file_kind",
        )  # fmt: skip
    if kind.is_image:
        try:
            data = _reencode(data, kind)
        except Exception as exc:  # a decoder fed hostile bytes may raise anything: the file is refused
            raise ValidationError(_("The image cannot be read."), code="file_image") from exc
    return data, kind


def validate_upload(file) -> None:
    """Model validator: refuses a new file that `checked` refuses (stored files were checked when saved)."""
    if file and not getattr(file, "_committed", True):
        checked(file)


class CheckedFieldFile(FieldFile):
    def save(self, name, content, save=True):
        """Every way of storing a file (a form through the field's pre_save, or `row.file.save(…)` in
        code) comes here: the file is checked and cleaned, and stored under a random name of its kind."""
        data, kind = checked(content)
        super().save(f"{uuid.uuid4().hex}{kind.extension}", ContentFile(data), save)


class UploadField(models.FileField):
    """A FileField whose files are checked, cleaned and renamed (see the module docstring) before they
    are stored, and refused by `full_clean()` when they would not be."""

    attr_class = CheckedFieldFile

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validators", [validate_upload])
        super().__init__(*args, **kwargs)


def kind_of(name: str) -> Kind | None:
    """The kind of a stored file, from the extension it was given when stored (None: a file stored before
    uploads were checked, which is never served)."""
    return BY_EXTENSION.get(PurePosixPath(name).suffix.lower())


def is_image(name: str) -> bool:
    kind = kind_of(name)
    return kind is not None and kind.is_image


@require_safe
def serve(request: HttpRequest, path: str) -> FileResponse:
    """An uploaded file, only for those who may see its plan: 404 otherwise, as for the plan itself."""
    from plans.models import Evidence  # plans.models imports this module (UploadField)

    evidence = Evidence.objects.filter(file=path).select_related("plan").first()
    kind = kind_of(path)
    if evidence is None or kind is None or not permissions.can_view(request.user, evidence.plan):
        raise Http404
    try:
        handle = evidence.file.storage.open(path, "rb")
    except OSError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        content_type=kind.content_type,
        as_attachment=not kind.is_image,
        filename=PurePosixPath(path).name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    if evidence.plan.status != evidence.plan.Status.PUBLISHED:
        response["Cache-Control"] = "private, no-store"  # a draft's file must not stay in shared caches
    return response
