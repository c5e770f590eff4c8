"""The CRM's API shapes: allowlists of fields. Money in fen (integers)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from ninja import Schema
from pydantic import Field

from backend.core.schemas import EdgeSchema, InSchema

Fen = int
MAX_FEN = 10**13


class LeadIn(InSchema):
    project_id: UUID
    name: str = Field(min_length=1, max_length=100, examples=["张三"])
    phone: str = Field(min_length=3, max_length=40, examples=["139 0000 0001"])
    channel: Literal["walk_in", "phone", "partner", "qr", "referral", "import"] = "walk_in"
    consent: bool = Field(description="The customer agreed to be contacted (PIPL); recorded per source.")
    id_number: str = Field("", max_length=30, description="Resident ID number; only its keyed hash is kept.")
    partner_id: int | None = Field(None, ge=1, le=2**31)
    note: str = Field("", max_length=300)
    expected_amount_fen: Fen = Field(0, ge=0, le=MAX_FEN)
    referral_code: str = Field("", max_length=20, description="老带新: a customer's referral code; the lead is "
                               "then of channel `referral`, attributed to that customer when it is a new one.")


class CustomerRowOut(Schema):
    id: UUID
    name: str
    phone: str = Field(description="In full only for the customer's own consultant; masked otherwise.")
    stage: str
    stage_label: str
    project: str
    holder: str
    last_activity_at: datetime
    recycle_due_at: datetime | None
    warned: bool
    days_left: int | None = Field(description="Whole days before the customer returns to the public pool.")
    tags: list[str] = Field(description="The customer's tags (each a segment the lists filter by).")


class LeadOut(Schema):
    customer: CustomerRowOut
    created: bool
    merged: list[str]


class SourceOut(Schema):
    channel: str
    name: str
    phone: str
    consent: bool
    created_at: datetime


class FollowUpOut(Schema):
    id: int
    kind: str
    note: str
    next_step: str
    next_at: datetime | None
    at: datetime


class EventOut(Schema):
    kind: str
    at: datetime
    from_stage: str
    to_stage: str
    params: dict[str, Any]


class Customer360Out(Schema):
    customer: CustomerRowOut
    sources: list[SourceOut]
    follow_ups: list[FollowUpOut]
    events: list[EventOut]


class FollowUpIn(InSchema):
    kind: Literal["call", "visit", "showing", "message"]
    note: str = Field(min_length=1, max_length=2000)
    next_step: str = Field("", max_length=200)
    next_at: datetime | None = None


class StageIn(InSchema):
    to: Literal["lead", "contacted", "showing", "intent", "lost"]
    reason: str = Field("", max_length=40)


class ReleaseIn(InSchema):
    reason: str = Field(min_length=1, max_length=200)


class TransferIn(InSchema):
    customer_ids: list[UUID] = Field(min_length=1, max_length=500)
    to_user_id: UUID


class MergeIn(InSchema):
    kept_id: UUID
    merged_id: UUID


class MergeOut(Schema):
    id: int
    kept_id: UUID
    merged_id: UUID
    undone_at: datetime | None


class GrabOut(Schema):
    customer_id: UUID
    name: str
    project: str
    expires_at: datetime
    seconds_left: int


class ReserveIn(InSchema):
    customer_id: UUID


class ReservationOut(Schema):
    id: int
    unit_id: UUID
    customer_id: UUID
    expires_at: datetime
    status: str


class SubscriptionIn(InSchema):
    unit_id: UUID
    customer_id: UUID
    deposit_fen: Fen = Field(ge=1, le=MAX_FEN)


class SubscriptionOut(Schema):
    id: UUID
    unit_id: UUID
    customer_id: UUID
    deposit_fen: Fen
    status: str


class ContractIn(InSchema):
    subscription_id: UUID
    buyers: list[str] = Field(min_length=1, max_length=4)
    discount_fen: Fen = Field(0, ge=0, le=MAX_FEN)
    payment_method: Literal["full", "instalments", "mortgage"]
    down_payment_percent: int = Field(30, ge=0, le=100)
    instalments: int = Field(0, ge=0, le=60)


class DecisionIn(InSchema):
    decision: Literal["approve", "reject"]
    comment: str = Field("", max_length=300)


class PaymentLineOut(Schema):
    id: int
    seq: int
    kind: str
    due_date: Any
    amount_fen: Fen
    received_fen: Fen


class ContractOut(Schema):
    id: UUID
    unit_id: UUID
    customer_id: UUID
    buyers: list[str]
    list_price_fen: Fen
    discount_fen: Fen
    price_fen: Fen
    payment_method: str
    status: str
    signed_at: datetime | None
    lines: list[PaymentLineOut]


class PaymentIn(InSchema):
    amount_fen: Fen = Field(ge=1, le=MAX_FEN)
    reference: str = Field("", max_length=60)


class PaymentOut(Schema):
    id: int
    line_id: int
    amount_fen: Fen
    received_at: datetime


class FunnelStageOut(Schema):
    stage: str
    label: str
    now: int
    reached: int
    conversion: float | None
    win_rate: float | None


class ForecastOut(Schema):
    month: str
    weighted_fen: Fen


class FunnelOut(Schema):
    stages: list[FunnelStageOut]
    lost: int
    cycle_days: float | None
    forecast: list[ForecastOut]


class RateOut(Schema):
    key: str = ""
    total: int
    fast: int
    rate: float | None


class KpiOut(Schema):
    project: RateOut
    consultants: list[RateOut]
    teams: list[RateOut]
    channels: list[RateOut]
    offers: dict[str, int]


class ReceivableOut(Schema):
    month: str
    due_fen: Fen
    received_fen: Fen
    outstanding_fen: Fen
    overdue_fen: Fen


class ReadyOut(Schema):
    unit_id: UUID
    unit: str
    building_id: UUID
    contract_id: UUID
    customer_id: UUID
    buyers: list[str]
    price_fen: Fen
    received_fen: Fen
    signed_at: datetime | None


class InventoryUnitOut(Schema):
    unit_id: UUID
    number: str
    floor: int
    status: str
    list_price_fen: Fen | None
    reserved_until: datetime | None


class InventoryOut(Schema):
    building_id: UUID
    counts: dict[str, int]
    units: list[InventoryUnitOut]


class ImportOut(Schema):
    rows: int
    created: int
    matched: int = Field(description="Rows that matched an existing customer (a source added).")
    dry_run: bool


class ProjectScopeQuery(EdgeSchema):
    project_id: UUID | None = None


class ReferralCodeOut(Schema):
    code: str
    referrer_id: UUID
    url: str = Field(description="The public page behind the code (print it as a QR code).")
    created_at: datetime


class ReferredOut(Schema):
    name: str
    stage: str
    attributed: bool = Field(description="False when the project knew the customer already: no reward.")
    referred_at: datetime
    reward_fen: int | None = Field(description="The referrer's reward once the referred customer signed.")


class ReferredByOut(Schema):
    name: str
    code: str
    attribution_until: datetime


class ReferralsOut(Schema):
    code: str | None
    referred: list[ReferredOut]
    referred_by: ReferredByOut | None


class TagIn(InSchema):
    tag: str = Field(min_length=1, max_length=40, examples=["改善型"])


class TagsOut(Schema):
    tags: list[str]


class SegmentOut(Schema):
    tag: str
    count: int


class TagQuery(EdgeSchema):
    tag: str | None = Field(None, max_length=40, description="Only the customers carrying this tag (a segment).")


class PoolQuery(ProjectScopeQuery):
    tag: str | None = Field(None, max_length=40, description="Only the customers carrying this tag (a segment).")
