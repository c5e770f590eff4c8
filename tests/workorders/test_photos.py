from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from backend.workorders.errors import UploadRejected
from backend.workorders.records import photos as photos


def jpeg_with_gps(width: int = 640, height: int = 480) -> bytes:
    image = Image.new("RGB", (width, height), (200, 80, 40))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (31.0, 13.0, 49.0), 3: "E", 4: (121.0, 28.0, 25.0)}  # GPSInfo
    exif[0x010F] = "PhoneMaker"
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def test_gps_location_and_all_exif_are_stripped():
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)
    clean = photos.clean_upload(original)
    stored = Image.open(io.BytesIO(clean.content))
    assert not stored.getexif().get_ifd(0x8825)
    assert 0x010F not in stored.getexif()
    assert clean.content_type == "image/jpeg" and clean.thumbnail
    assert max(Image.open(io.BytesIO(clean.thumbnail)).size) <= photos.THUMBNAIL_EDGE


def test_a_decompression_bomb_is_refused_before_decoding():
    # A small PNG file that declares 20000 x 20000 pixels.
    buffer = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buffer, format="PNG", optimize=True)
    data = buffer.getvalue()
    assert len(data) < 200_000
    with pytest.raises(UploadRejected) as caught:
        photos.clean_upload(data)
    assert caught.value.details["reason"] == "too_many_pixels"
    assert caught.value.status == 400


def test_a_polyglot_loses_its_payload_on_re_encoding():
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("evil.html", "<script>alert(1)</script>")
    polyglot = jpeg_with_gps() + archive.getvalue()
    clean = photos.clean_upload(polyglot)
    assert b"<script>" not in clean.content and b"PK\x03\x04" not in clean.content


@pytest.mark.parametrize(
    "data",
    [b"", b"GIF89a" + b"\x00" * 100, b"<html><script>alert(1)</script></html>", b"\xff\xd8\xff\xe0garbage",
     b"%PDF-1.7 truncated"],
    ids=["empty", "gif", "html", "broken-jpeg", "truncated-pdf"],
)
def test_unsupported_or_damaged_files_are_refused_with_a_reason(data):
    with pytest.raises(UploadRejected) as caught:
        photos.clean_upload(data)
    assert caught.value.details["reason"] in {"empty", "unsupported_format", "corrupt", "bad_pdf"}


def test_a_pdf_is_kept_as_it_is():
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    clean = photos.clean_upload(pdf)
    assert clean.content == pdf and clean.content_type == "application/pdf"


def test_transparent_png_stays_png_and_large_photos_are_scaled_down():
    buffer = io.BytesIO()
    Image.new("RGBA", (4000, 3000), (0, 0, 0, 0)).save(buffer, format="PNG")
    clean = photos.clean_upload(buffer.getvalue())
    assert clean.content_type == "image/png"
    assert max(clean.width, clean.height) == photos.MAX_STORED_EDGE


@settings(max_examples=40, deadline=None)
@given(st.binary(min_size=1, max_size=2048))
def test_arbitrary_bytes_never_crash_the_cleaner(data):
    try:
        clean = photos.clean_upload(data)
    except UploadRejected:
        return
    assert clean.content_type in {"image/jpeg", "image/png", "application/pdf"}
