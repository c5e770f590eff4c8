"""Reads back what a reportlab PDF shows, with the standard library only (no PDF package is installed):
checks the file's structure as a reader would open it, then decodes the page streams
(ASCII85 + Flate) and the strings their text operators show (UCS-2 for the CID font, Latin-1 else)."""

from __future__ import annotations

import base64
import re
import zlib

_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f", b"(": b"(", b")": b")", b"\\": b"\\"}


def check_structure(pdf: bytes) -> int:
    """Header, trailer, and every cross-reference entry pointing at its object; returns the page count."""
    assert pdf.startswith(b"%PDF-1."), pdf[:20]
    assert pdf.rstrip().endswith(b"%%EOF")
    start = int(re.findall(rb"startxref\s+(\d+)", pdf)[-1])
    assert pdf[start:start + 4] == b"xref"
    header = re.match(rb"xref\s+0 (\d+)\s+", pdf[start:])
    assert header is not None
    entries = re.findall(rb"(\d{10}) (\d{5}) ([nf])", pdf[start + header.end():])[: int(header.group(1))]
    for number, (offset, _generation, kind) in enumerate(entries):
        if kind == b"n":
            assert re.match(rb"%d 0 obj" % number, pdf[int(offset):]), f"object {number} is not at its offset"
    return len(re.findall(rb"/Type /Page\b", pdf))


def _unescape(raw: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(raw):
        char = raw[i:i + 1]
        if char != b"\\":
            out += char
            i += 1
            continue
        octal = re.match(rb"[0-7]{1,3}", raw[i + 1:i + 4])
        if octal:
            out.append(int(octal.group(0), 8) & 0xFF)
            i += 1 + len(octal.group(0))
        else:
            out += _ESCAPES.get(raw[i + 1:i + 2], raw[i + 1:i + 2])
            i += 2
    return bytes(out)


def shown_text(pdf: bytes) -> str:
    """Every string the pages show, in order, one per line."""
    shown: list[str] = []
    for stream in re.finditer(rb"stream\r?\n(.*?~>)\s*endstream", pdf, re.S):
        content = zlib.decompress(base64.a85decode(stream.group(1), adobe=True))
        font = b""
        for token in re.finditer(rb"/(F\d+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\)\s*Tj", content, re.S):
            if token.group(1):
                font = token.group(1)
                continue
            raw = _unescape(token.group(2))
            shown.append(raw.decode("utf-16-be") if font != b"F1" else raw.decode("latin-1"))
    return "\n".join(shown)
