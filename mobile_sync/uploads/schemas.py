"""In- and out-schemas of the resumable uploads (allowlists of fields)."""

from __future__ import annotations

from uuid import UUID

from ninja import Schema
from pydantic import Field

from backend.core.schemas import InSchema


class UploadIn(InSchema):
    client_id: str = Field(pattern=r"^[0-9A-Za-z]{16}$", description="16 characters [0-9a-zA-Z] made on the phone; "
                           "repeating a create with the same client id returns the same upload.")
    order_id: UUID
    size: int = Field(ge=1, description="The file's exact size in bytes (at most 15 MiB).")
    sha256: str = Field(pattern=r"^[0-9a-fA-F]{64}$", description="SHA-256 of the whole file, hex.")
    filename: str = Field(max_length=200, description="The name on the phone; shown to staff only.")
    owner_visible: bool = Field(description="Whether the owner sees the photo on the tracking page.")


class UploadOut(Schema):
    id: UUID
    offset: int = Field(description="Bytes received so far: the next chunk starts here.")
    size: int
    status: str = Field(description="open | complete | rejected | expired")
    attachment_id: UUID | None = None
    deduplicated: bool = Field(False, description="The order already had this file; no new attachment was made.")


class OffsetOut(Schema):
    offset: int


class CompleteOut(Schema):
    id: UUID
    status: str = Field(description="complete")
    attachment_id: UUID | None = Field(description="The order's attachment (null only if it was deleted since).")
    deduplicated: bool
