from __future__ import annotations

from datetime import datetime
from uuid import UUID

from ninja import Schema
from pydantic import Field

from backend.core.schemas import InSchema


class TokenIn(InSchema):
    username: str = Field(min_length=1, max_length=150, examples=["tech1"])
    password: str = Field(min_length=1, max_length=128, examples=["••••••••"])
    device_name: str = Field(min_length=1, max_length=100, examples=["王师傅的 Android 手机"])
    code: str = Field(default="", max_length=12, description="The code texted after login_code_required.")


class TokenOut(Schema):
    id: UUID
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenIssuedOut(TokenOut):
    token: str = Field(description="Shown once. Send it as `Authorization: Bearer <token>`.")


class MeOut(Schema):
    id: UUID
    username: str
    display_name: str
    roles: list[str]
    team_codes: list[str]


class TeamOut(Schema):
    id: UUID
    code: str
    name: str
    supervisor_id: UUID | None
    category_codes: list[str]
    project_ids: list[UUID]
    member_count: int
