"""The partial files of open uploads, on local disk under ``SYNC_UPLOAD_DIR`` (default ``VAR_DIR/uploads``).

Partial bytes are not in the default storage: they are written at an offset, many times, and only
the cleaned result of a completed upload is stored there (by ``attachment_add``). Every web process
that serves uploads must see the same directory (a shared volume when there are several hosts).

A file may hold more bytes than the session's ``received`` count (a write whose transaction did
not commit); those are ignored and overwritten: every write truncates the file after its chunk.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from uuid import UUID

from django.conf import settings

SUFFIX = ".part"


def upload_dir() -> Path:
    return Path(getattr(settings, "SYNC_UPLOAD_DIR", settings.VAR_DIR / "uploads"))


def part_path(upload_id: UUID) -> Path:
    return upload_dir() / f"{upload_id}{SUFFIX}"


def write_chunk(upload_id: UUID, *, offset: int, data: bytes) -> None:
    """Writes ``data`` at ``offset``, drops anything after it, and flushes to disk before returning."""
    path = part_path(upload_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.lseek(fd, offset, os.SEEK_SET)
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.ftruncate(fd, offset + len(data))
        os.fsync(fd)
    finally:
        os.close(fd)


def read_part(upload_id: UUID, *, size: int) -> bytes:
    """The first ``size`` bytes of the partial file (fewer, or none, when bytes were lost)."""
    try:
        with part_path(upload_id).open("rb") as handle:
            return handle.read(size)
    except FileNotFoundError:
        return b""


def truncate(upload_id: UUID) -> None:
    path = part_path(upload_id)
    if path.exists():
        os.truncate(path, 0)


def discard(upload_id: UUID) -> None:
    part_path(upload_id).unlink(missing_ok=True)


def orphans(*, keep: Iterable[UUID], modified_before: float) -> list[Path]:
    """Partial files of no upload in ``keep``, last written before the ``modified_before`` timestamp."""
    directory = upload_dir()
    if not directory.is_dir():
        return []
    kept = {str(upload_id) for upload_id in keep}
    found = []
    with os.scandir(directory) as entries:
        for entry in entries:
            if not entry.name.endswith(SUFFIX) or not entry.is_file(follow_symlinks=False):
                continue
            if entry.name[: -len(SUFFIX)] in kept:
                continue
            if entry.stat(follow_symlinks=False).st_mtime < modified_before:
                found.append(Path(entry.path))
    return found
