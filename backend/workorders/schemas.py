from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from ninja import Schema
from pydantic import Field

from backend.core.schemas import InSchema

StateName = Literal["submitted", "accepted", "assigned", "en_route", "on_site", "in_progress", "waiting",
                    "completed", "closed", "reopened", "cancelled", "rejected"]


class SlotIn(InSchema):
    start: datetime
    end: datetime


class OrderIn(InSchema):
    channel: Literal["phone", "walk_in", "wecom", "handover_inspection", "technician_found"] = Field(
        examples=["phone"])
    unit_id: UUID | None = None
    public_area_id: UUID | None = None
    category_code: str = Field(max_length=50, examples=["bathroom-leak"])
    priority: Literal["P1", "P2", "P3", "P4"] | None = Field(default=None, description="Defaults to the category's.")
    description: str = Field(max_length=2000, examples=["卫生间天花板渗水，楼上住户不在家"])
    location_detail: str = Field(default="", max_length=200, examples=["主卫顶部"])
    contact_name: str = Field(max_length=100, examples=["张女士"])
    contact_phone: str = Field(max_length=30, examples=["13800138000"])
    contact_language: str = Field(default="", max_length=10, examples=["en"],
                                  description="The language of the contact's text messages about the order "
                                              "(zh-hans or en); empty: the default.")
    preferred_slots: list[SlotIn] = Field(default_factory=list, max_length=5)


class SlaOut(Schema):
    target: str
    deadline_at: datetime | None
    met_at: datetime | None
    status: str
    breached: bool


class OrderSummaryOut(Schema):
    id: UUID
    number: str = Field(examples=["WX20261125-0007"])
    state: str
    priority: str
    category_code: str
    category_label: str
    project_id: UUID
    building_id: UUID | None
    unit_id: UUID | None
    public_area_id: UUID | None
    place: str
    channel: str
    team_id: UUID | None
    technician_id: UUID | None
    technician_name: str | None
    created_at: datetime
    updated_at: datetime
    revision: int
    sla: list[SlaOut]


class OrderPageOut(Schema):
    items: list[OrderSummaryOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class TimelineOut(Schema):
    id: int
    order_id: UUID
    kind: str
    actor: str
    from_state: str
    to_state: str
    note: str
    data: dict[str, Any]
    owner_visible: bool
    created_at: datetime
    device_at: datetime | None


class PartOut(Schema):
    id: UUID
    name: str
    quantity: Decimal
    unit_price_yuan: Decimal


class LabourOut(Schema):
    id: UUID
    description: str
    minutes: int
    amount_yuan: Decimal


class AttachmentOut(Schema):
    id: UUID
    content_type: str
    size_bytes: int
    sha256: str
    url: str
    thumbnail_url: str | None


class OrderDetailOut(OrderSummaryOut):
    description: str
    location_detail: str
    contact_name: str
    contact_phone: str
    contact_language: str
    preferred_slots: list[dict[str, str]]
    warranty_verdict: str
    warranty_reason: str = Field(description="Why the order is (out of) warranty, in the reader's language.")
    warranty_reasoning: dict[str, Any] | None = Field(
        description="The same reason as a code and its params (null for orders taken before codes).")
    waiting_reason: str
    definitions_version: str
    routing_explanation: dict[str, Any]
    routing_explanation_lines: list[str] = Field(
        description="The routing explanation in the reader's language: rules tried, notes, candidates.")
    estimate_yuan: Decimal | None
    actual_cost_yuan: Decimal | None
    timeline: list[TimelineOut]
    parts: list[PartOut]
    labour: list[LabourOut]
    attachments: list[AttachmentOut]


class IntakeOut(Schema):
    order: OrderDetailOut
    duplicates: list[str] = Field(description="Numbers of open orders on the same place and category family.")


class TransitionIn(InSchema):
    # A device clock far off (year 1, 9999) does not refuse the step: the time is kept as implausible.
    KEPT_WHEN_IMPLAUSIBLE = frozenset({"device_at"})

    to: StateName = Field(examples=["en_route"])
    note: str = Field(default="", max_length=500)
    waiting_reason: Literal["parts", "owner", "approval"] | None = None
    device_at: datetime | None = Field(default=None, description="When it happened on the device, if offline.")


class AssignIn(InSchema):
    technician_id: UUID
    reason: str = Field(min_length=1, max_length=300, examples=["原师傅请假，改派"])


class CommentIn(InSchema):
    body: str = Field(min_length=1, max_length=2000)
    owner_visible: bool = False


class CommentOut(Schema):
    id: UUID
    body: str
    owner_visible: bool
    created_at: datetime


class PartIn(InSchema):
    name: str = Field(min_length=1, max_length=100, examples=["角阀"])
    quantity: Decimal = Field(gt=0, max_digits=10, decimal_places=2, examples=["2"])
    unit_price_yuan: Decimal = Field(ge=0, max_digits=12, decimal_places=2, examples=["35.00"])


class LabourIn(InSchema):
    description: str = Field(min_length=1, max_length=200)
    minutes: int = Field(gt=0, le=24 * 60)
    amount_yuan: Decimal = Field(ge=0, max_digits=12, decimal_places=2)


class TechnicianOut(Schema):
    id: UUID
    name: str
    skills: dict[str, int]
    on_duty: bool
    open_orders: int
    last_latitude: Decimal | None
    last_longitude: Decimal | None
    last_position_at: datetime | None
    team_codes: list[str]


class TechnicianStatusIn(InSchema):
    on_duty: bool | None = None
    latitude: Decimal | None = Field(default=None, ge=-90, le=90, max_digits=9, decimal_places=6)
    longitude: Decimal | None = Field(default=None, ge=-180, le=180, max_digits=9, decimal_places=6)


class TechnicianStatusOut(Schema):
    on_duty: bool
    last_latitude: Decimal | None
    last_longitude: Decimal | None
    last_position_at: datetime | None


class CategoryOut(Schema):
    code: str
    name: str
    name_en: str | None
    default_priority: str
    children: list[CategoryOut]


class EstimateIn(InSchema):
    amount_yuan: Decimal = Field(ge=0, max_digits=12, decimal_places=2, examples=["1280.00"])
    note: str = Field(default="", max_length=500, examples=["更换卫生间防水层，含材料"])
    client_id: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9_-]{8,64}$", examples=["k3T9xQ2mVb7LwZ4a"],
        description="The client's own id of this estimate (8–64 characters [A-Za-z0-9_-]), sent again on every retry: "
                    "a repeat returns the estimate already made (200) instead of a second one; the same id with "
                    "another amount or note is a 409 `estimate_client_id_reused`.")


class QuoteIn(InSchema):
    amount_yuan: Decimal = Field(gt=0, max_digits=12, decimal_places=2, examples=["380.00"])
    note: str = Field(default="", max_length=500, examples=["更换水龙头阀芯（保修期外），含材料和人工"])


class MergeIn(InSchema):
    into: str = Field(min_length=1, max_length=30, examples=["WX20261125-0007"],
                      description="The number of the open order on the same place that this one repeats.")


class WaiverIn(InSchema):
    reason: str = Field(min_length=1, max_length=300, examples=["业主为老客户，本次人工费减免"])


class QuoteOut(Schema):
    id: UUID
    order_id: UUID
    amount_yuan: Decimal
    note: str
    status: str = Field(description="pending | accepted | refused | withdrawn")
    created_at: datetime
    decided_at: datetime | None


class ApprovalOut(Schema):
    id: UUID
    order_id: UUID
    amount_yuan: Decimal
    graph_code: str
    status: str
    opened_at: datetime
    closed_at: datetime | None
    state: dict[str, Any] = Field(description="Steps, approvers, signatures and deadlines as the engine keeps them.")


class ApproveIn(InSchema):
    comment: str = Field(default="", max_length=500)


class RejectIn(InSchema):
    reason: str = Field(min_length=1, max_length=500, examples=["报价偏高，请重新核算"])


class DelegateIn(InSchema):
    to_user_id: UUID


class InboxItemOut(Schema):
    id: UUID
    order_id: UUID
    order_number: str
    amount_yuan: Decimal
    graph_code: str
    step: int
    step_name: str
    mode: str
    due_at: datetime | None
    requester: str
    opened_at: datetime


class PriorityIn(InSchema):
    priority: Literal["P1", "P2", "P3", "P4"]
    reason: str = Field(min_length=1, max_length=300)
