"""Checks, cleans and re-encodes uploaded photos and files before anything is stored.

- The format is read from the content (Pillow / the PDF header), never from the name or the
  declared content type; only JPEG, PNG, WebP and PDF are accepted.
- The pixel count is checked from the header before decoding, so a decompression bomb is a
  clear 400 and never a crash or a memory spike.
- Images are decoded and re-encoded: whatever else the file carried (EXIF with GPS location,
  appended archives or scripts of a polyglot) is dropped; the orientation is applied first.
- A thumbnail is made for each image; the SHA-256 of the uploaded bytes identifies duplicates.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

from backend.workorders.errors import UploadRejected

MAX_UPLOAD_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 40_000_000  # e.g. 8000 x 5000: more than any phone camera, far below a bomb
MAX_STORED_EDGE = 2560
THUMBNAIL_EDGE = 320
IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


@dataclass(frozen=True)
class CleanFile:
    content: bytes
    content_type: str
    extension: str
    sha256: str
    width: int | None = None
    height: int | None = None
    thumbnail: bytes | None = None


def _reject(message: object, **details: object) -> UploadRejected:
    return UploadRejected(message, details=dict(details))


def clean_upload(data: bytes) -> CleanFile:
    if not data:
        raise _reject(_("The file is empty."), reason="empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise _reject(_("The file is larger than %(mb)s MB.") % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)},
                      reason="too_large", max_bytes=MAX_UPLOAD_BYTES)
    digest = hashlib.sha256(data).hexdigest()
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-2048:]:
            raise _reject(_("The PDF file is damaged or incomplete."), reason="bad_pdf")
        return CleanFile(content=data, content_type="application/pdf", extension="pdf", sha256=digest)
    return _clean_image(data, digest)


def _clean_image(data: bytes, digest: str) -> CleanFile:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            fmt = probe.format or ""
            width, height = probe.size
    except (UnidentifiedImageError, Image.DecompressionBombWarning, Image.DecompressionBombError, OSError,
            SyntaxError, ValueError) as exc:
        if isinstance(exc, Image.DecompressionBombWarning | Image.DecompressionBombError):
            raise _reject(_("The image has too many pixels."), reason="too_many_pixels",
                          max_pixels=MAX_PIXELS) from exc
        raise _reject(_("Only JPEG, PNG, WebP photos and PDF files are accepted."), reason="unsupported_format") from exc
    if fmt not in IMAGE_FORMATS:
        raise _reject(_("Only JPEG, PNG, WebP photos and PDF files are accepted."), reason="unsupported_format",
                      detected=fmt)
    if width * height > MAX_PIXELS:
        raise _reject(_("The image has too many pixels."), reason="too_many_pixels", max_pixels=MAX_PIXELS,
                      pixels=width * height)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data))
            opened.load()
            image: Image.Image = ImageOps.exif_transpose(opened)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise _reject(_("The image is damaged and cannot be read."), reason="corrupt") from exc

    has_alpha = image.mode in {"RGBA", "LA", "PA"} or (image.mode == "P" and "transparency" in image.info)
    image = image.convert("RGBA" if has_alpha else "RGB")
    image.thumbnail((MAX_STORED_EDGE, MAX_STORED_EDGE))
    out_format = "PNG" if has_alpha else "JPEG"
    content = _encode(image, out_format)
    thumb = image.copy()
    thumb.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE))
    return CleanFile(
        content=content,
        content_type=IMAGE_FORMATS[out_format],
        extension="png" if out_format == "PNG" else "jpg",
        sha256=digest,
        width=image.width,
        height=image.height,
        thumbnail=_encode(thumb.convert("RGB"), "JPEG"),
    )


def _encode(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    if fmt == "JPEG":
        # No exif= argument: nothing of the original metadata (GPS included) is written.
        image.save(buffer, format="JPEG", quality=85, optimize=True)
    else:
        image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
