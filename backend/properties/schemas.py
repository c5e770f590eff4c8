from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from ninja import Schema
from pydantic import Field

from backend.core.schemas import EdgeSchema
from backend.properties.selectors import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

# No list is this long; above it an offset is an error, not an overflow in the database.
MAX_OFFSET = 1_000_000


class PageQuery(EdgeSchema):
    limit: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description=f"At most {MAX_PAGE_SIZE}.")
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class ProjectQuery(PageQuery):
    search: str = Field("", max_length=100, description="Part of the code, name or city.", examples=["杭州"])


class UnitQuery(PageQuery):
    floor: int | None = Field(None, ge=-9, le=300, description="Only units on this floor.", examples=[12])


class PageOut(Schema):
    count: int = Field(description="Items matching, over all pages.", examples=[128])
    limit: int = Field(examples=[DEFAULT_PAGE_SIZE])
    offset: int = Field(examples=[0])


class ProjectOut(Schema):
    id: UUID
    code: str = Field(examples=["hz-001"])
    name: str = Field(examples=["杭州云栖花园"])
    city: str = Field(examples=["杭州"])
    address: str = Field(examples=["浙江省杭州市西湖区文三路 88 号"])
    latitude: float = Field(examples=[30.2741])
    longitude: float = Field(examples=[120.1551])
    delivery_date: date | None = Field(examples=["2024-06-30"])
    service_phone: str | None = Field(description="Customer-service line, formatted.", examples=["400 820 8888"])
    building_count: int = Field(examples=[6])
    unit_count: int = Field(examples=[432])


class ProjectPage(PageOut):
    items: list[ProjectOut]


class BuildingOut(Schema):
    id: UUID
    project_id: UUID
    code: str = Field(examples=["3"])
    name: str = Field(examples=["3栋"])
    floors: int = Field(examples=[18])
    unit_count: int = Field(examples=[72])


class BuildingPage(PageOut):
    items: list[BuildingOut]


class OwnerBriefOut(Schema):
    name: str = Field(examples=["王芳"])
    phone_masked: str = Field(description="Never the full number.", examples=["138****5678"])
    is_primary_contact: bool
    since: date = Field(examples=["2024-07-01"])


class UnitOut(Schema):
    id: UUID
    building_id: UUID
    number: str = Field(examples=["1201"])
    floor: int = Field(examples=[12])
    layout: str = Field(examples=["三室两厅"])
    area_m2: float | None = Field(examples=[98.5])
    handover_status: str = Field(examples=["delivered"])
    handover_date: date | None = Field(examples=["2024-07-01"])
    owners: list[OwnerBriefOut] = Field(description="Current owners, primary contact first.")


class UnitPage(PageOut):
    items: list[UnitOut]


class ImportCountsOut(Schema):
    created: int = Field(examples=[120])
    updated: int = Field(examples=[3])
    unchanged: int = Field(examples=[0])


class ImportResultOut(Schema):
    kind: str = Field(examples=["units"])
    dry_run: bool = Field(description="True: validated and counted, nothing written.")
    rows: int = Field(description="Data rows read (the header excluded).", examples=[123])
    created: int = Field(examples=[120])
    updated: int = Field(examples=[3])
    unchanged: int = Field(examples=[0])
    models: dict[str, ImportCountsOut] = Field(
        description="Counts per record type; the owners kind writes owners and ownerships.",
        examples=[{"unit": {"created": 120, "updated": 3, "unchanged": 0}}],
    )


class QrPlaceOut(Schema):
    kind: str = Field(description="`unit` or `public_area`.", examples=["unit"])
    label: str = Field(examples=["杭州云栖花园 3栋 1201"])
    project_name: str = Field(examples=["杭州云栖花园"])
    building_name: str | None = Field(examples=["3栋"])
    unit_number: str | None = Field(examples=["1201"])
    public_area_name: str | None = Field(examples=[None])
    service_phone: str | None = Field(examples=["400 820 8888"])


class QrTokenOut(Schema):
    id: UUID
    token: str = Field(examples=["q3J9xk2LmP0aVb7cR1sT4uWy"])
    url: str = Field(description="What the printed QR code encodes.",
                     examples=["https://anxin.example.com/q/q3J9xk2LmP0aVb7cR1sT4uWy"])
    created_at: datetime
    place: QrPlaceOut
