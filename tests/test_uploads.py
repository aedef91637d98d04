"""Uploaded evidence files (issue 12, finding 5): only images, PDF and office documents, told by their
content; at most ACCLAB_MAX_UPLOAD_MB; images re-encoded; and served under /media/ only to those who may
see the plan, never sniffed, and as attachments unless they are images."""

import io
import os
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from plans.models import Evidence, Plan

OOXML = "application/vnd.openxmlformats-officedocument."


def image(fmt: str, **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format=fmt, **save)
    return out.getvalue()


def package(members: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, text in members.items():
            z.writestr(
                name, text, compress_type=zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            )
    return out.getvalue()


def ooxml(main: str, part: str) -> bytes:
    types = (
        '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f'<Override PartName="/{part}" ContentType="{OOXML}{main}"/></Types>'
    )
    return package({"[Content_Types].xml": types, part: "<x/>"})


def odf(kind: str) -> bytes:
    return package({"mimetype": f"application/vnd.oasis.opendocument.{kind}", "content.xml": "<x/>"})


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x8825] = {2: (48.0, 51.0, 24.0)}  # GPSInfo: where the photo was taken
    return image("JPEG", exif=exif.tobytes())


PNG = image("PNG")
GOOD = {
    "photo.png": (PNG, ".png"),
    "photo.jpeg": (image("JPEG"), ".jpg"),
    "anim.gif": (image("GIF"), ".gif"),
    "pic.webp": (image("WEBP"), ".webp"),
    "report.pdf": (b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", ".pdf"),
    "notes.docx": (ooxml("wordprocessingml.document.main+xml", "word/document.xml"), ".docx"),
    "data.xlsx": (ooxml("spreadsheetml.sheet.main+xml", "xl/workbook.xml"), ".xlsx"),
    "slides.pptx": (ooxml("presentationml.presentation.main+xml", "ppt/presentation.xml"), ".pptx"),
    "notes.odt": (odf("text"), ".odt"),
    "data.ods": (odf("spreadsheet"), ".ods"),
    "slides.odp": (odf("presentation"), ".odp"),
}
BAD = {
    "page.html": b"<!doctype html><script>alert(document.cookie)</script>",
    "logo.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "shell.php": b"<?php system($_GET['c']); ?>",
    "photo.png": b"<html><body><script>alert(1)</script></body></html>",  # a PNG that is really HTML
    "archive.zip": package({"readme.txt": "not an office document"}),
    "broken.png": PNG[:40],  # PNG magic, no image
}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.ACCLAB_MAX_UPLOAD_MB = 10
    return tmp_path


def evidence(plan, name: str, content: bytes) -> Evidence:
    return Evidence(plan=plan, kind="supporting", file=SimpleUploadedFile(name, content))


@pytest.mark.django_db
@pytest.mark.parametrize("name", BAD)
def test_it_refuses_a_file_that_is_not_an_allowed_kind(plan_factory, media, name):
    row = evidence(plan_factory(), name, BAD[name])
    with pytest.raises(ValidationError) as error:
        row.full_clean()
    assert "file" in error.value.message_dict
    with pytest.raises(ValidationError):  # and no other path stores it either
        row.save()
    assert not any(p.is_file() for p in media.rglob("*"))


@pytest.mark.django_db
def test_it_refuses_a_file_above_the_size_limit_before_storing_it(plan_factory, media):
    row = evidence(plan_factory(), "random.bin", os.urandom(50 * 1024 * 1024))
    with pytest.raises(ValidationError) as error:
        row.full_clean()
    assert "larger than 10 MB" in str(error.value)
    with pytest.raises(ValidationError):
        row.save()
    assert not any(p.is_file() for p in media.rglob("*"))


@pytest.mark.django_db
def test_it_takes_the_size_limit_from_the_setting(plan_factory, settings):
    settings.ACCLAB_MAX_UPLOAD_MB = 1
    with pytest.raises(ValidationError):
        evidence(plan_factory(), "big.png", PNG + b"\0" * (1024 * 1024)).full_clean()


@pytest.mark.django_db
@pytest.mark.parametrize("name", GOOD)
def test_it_accepts_images_pdf_and_office_documents_under_a_name_of_their_kind(plan_factory, name):
    content, extension = GOOD[name]
    row = evidence(plan_factory(), name.replace(".", "_") + ".php", content)  # the name never counts
    row.full_clean()
    row.save()
    assert row.file.name.startswith("evidence/") and row.file.name.endswith(extension)
    assert "php" not in row.file.name


@pytest.mark.django_db
def test_it_re_encodes_images_dropping_metadata_and_appended_content(plan_factory):
    polyglot = evidence(plan_factory(), "p.png", PNG + b"<script>alert(1)</script>")
    polyglot.save()
    stored = polyglot.file.read()
    assert stored.startswith(b"\x89PNG") and b"<script>" not in stored
    photo = evidence(plan_factory(), "p.jpg", jpeg_with_gps())
    photo.save()
    with Image.open(photo.file.path) as reopened:
        assert 0x8825 not in reopened.getexif()


@pytest.fixture
def draft_file(plan_factory, lab_a):
    plan = plan_factory(title="Draft with a file", lab=lab_a, status=Plan.Status.DRAFT)
    row = evidence(plan, "secret.pdf", GOOD["report.pdf"][0])
    row.save()
    return row


def media_url(row) -> str:
    return row.file.url


def test_it_hides_a_draft_plans_file_from_anonymous_users_and_other_labs(
    client, draft_file, other_focal_point
):
    assert media_url(draft_file).startswith("/media/evidence/")
    assert client.get(media_url(draft_file)).status_code == 404
    client.force_login(other_focal_point)
    assert client.get(media_url(draft_file)).status_code == 404


def test_it_serves_a_draft_plans_file_to_its_focal_point_as_an_attachment(client, draft_file, focal_point):
    client.force_login(focal_point)
    response = client.get(media_url(draft_file))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]


def test_it_serves_a_published_plans_image_inline_to_everyone(client, plan_factory):
    plan = plan_factory(title="Published", status=Plan.Status.PUBLISHED)
    row = evidence(plan, "photo.png", PNG)
    row.save()
    response = client.get(media_url(row))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png" and response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline;")
    html = client.get(plan.get_absolute_url()).content.decode()
    assert f'<img src="{media_url(row)}"' in html


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/media/evidence/2026/none.png", "/media/../settings.py", "/media/"])
def test_it_answers_404_for_a_file_no_evidence_holds(client, path):
    assert client.get(path).status_code == 404


def test_it_serves_no_file_stored_before_uploads_were_checked(client, plan_factory, media):
    plan = plan_factory(status=Plan.Status.PUBLISHED)
    (media / "evidence").mkdir()
    (media / "evidence" / "old.svg").write_bytes(BAD["logo.svg"])
    Evidence.objects.bulk_create([Evidence(plan=plan, kind="supporting", file="evidence/old.svg")])
    assert client.get("/media/evidence/old.svg").status_code == 404


@pytest.mark.django_db
def test_it_checks_a_file_saved_in_code_too(plan_factory, media):
    row = Evidence.objects.create(plan=plan_factory(), kind="supporting")
    with pytest.raises(ValidationError):
        row.file.save("page.html", ContentFile(BAD["page.html"]))
    assert not any(p.is_file() for p in media.rglob("*"))
    row.file.save("chart.pdf", ContentFile(GOOD["report.pdf"][0]))
    assert row.file.name.endswith(".pdf")
