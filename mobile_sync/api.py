"""The WatermelonDB sync protocol for technicians' devices, under /api/v1/sync (docs/sync-protocol.md)."""

from __future__ import annotations

import json
from typing import Any

import orjson
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import Field

from backend.accounts.access import ensure_role
from backend.accounts.auth import DeviceTokenAuth
from backend.accounts.roles import Role
from backend.core.schemas import COMMON_ERRORS, InSchema
from mobile_sync import selectors, services, tables
from mobile_sync.device_state import MAX_CURSOR
from mobile_sync.errors import InvalidSyncBatch

router = Router(tags=["sync"], auth=DeviceTokenAuth())
ERRORS: dict[int, Any] = {**COMMON_ERRORS, 409: COMMON_ERRORS[400]}


def _technician(request: HttpRequest) -> tuple[Any, Any]:
    ensure_role(request.user, [Role.TECHNICIAN])
    return request.user, request.user.device_token  # type: ignore[union-attr]


class ColumnOut(Schema):
    name: str
    type: str
    isOptional: bool  # noqa: N815 — WatermelonDB's own spelling
    isIndexed: bool  # noqa: N815


class TableOut(Schema):
    name: str
    columns: list[ColumnOut]


class SchemaOut(Schema):
    version: int
    tables: list[TableOut]


class PullQuery(Schema):
    last_pulled_at: str | None = Field(default=None, description="The `timestamp` of the last pull, or null.")
    schema_version: int = Field(default=tables.SCHEMA_VERSION)
    migration: str | None = Field(default=None, description="WatermelonDB's migration sync info (JSON) or null.")


class PullOut(Schema):
    changes: dict[str, dict[str, list[Any]]]
    timestamp: int


class PushIn(InSchema):
    changes: dict[str, Any]
    last_pulled_at: int | None = None


class PushOut(Schema):
    ok: bool
    events: list[dict[str, Any]]
    refused: list[dict[str, Any]]
    replayed: bool


def _cursor(raw: str | int | None) -> int | None:
    if raw in (None, "", "null", "undefined"):
        return None
    if isinstance(raw, str) and len(raw) > 20:  # int() of a long digit string is quadratic; no cursor is that long
        raise InvalidSyncBatch(details={"reason": "last_pulled_at is not a cursor this server issued"})
    try:
        value = int(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise InvalidSyncBatch(details={"reason": "last_pulled_at must be a number or null"}) from exc
    if value < 0:
        raise InvalidSyncBatch(details={"reason": "last_pulled_at must not be negative"})
    if value > MAX_CURSOR:
        raise InvalidSyncBatch(details={"reason": "last_pulled_at is not a cursor this server issued"})
    return value or None


@router.get("/schema", response={200: SchemaOut, **ERRORS}, summary="The client-side database schema")
def sync_schema(request: HttpRequest):  # type: ignore[no-untyped-def]
    _technician(request)
    return tables.schema()


@router.get("/pull", response={200: PullOut, **ERRORS}, summary="Pull changes since a cursor")
def sync_pull(request: HttpRequest, query: Query[PullQuery]):  # type: ignore[no-untyped-def]
    """`{"changes": {table: {"created", "updated", "deleted"}}, "timestamp": cursor}` for the device's scope."""
    user, device = _technician(request)
    if query.migration not in (None, "", "null"):
        try:
            json.loads(query.migration)
        except ValueError as exc:
            raise InvalidSyncBatch(details={"reason": "migration must be JSON or null"}) from exc
    result = selectors.sync_pull(user=user, device=device, last_pulled_at=_cursor(query.last_pulled_at),
                                 schema_version=query.schema_version, now=timezone.now())
    # Encoded here by orjson, not validated against PullOut and rendered by ninja: a first pull of 10 000 orders
    # is 30 000 rows, and the selector's values are already of the published types (tests/mobile_sync).
    return HttpResponse(orjson.dumps(result), content_type="application/json; charset=utf-8")


@router.post("/push", response={200: PushOut, **ERRORS}, summary="Push a batch of offline changes")
def sync_push(request: HttpRequest, payload: PushIn, last_pulled_at: str | None = None):  # type: ignore[no-untyped-def]
    """One transaction; idempotent; 409 `sync_conflict` when a pushed record changed on the server since the
    device received it (pull, then push again)."""
    user, device = _technician(request)
    cursor = _cursor(payload.last_pulled_at if payload.last_pulled_at is not None else last_pulled_at)
    return services.sync_push(user=user, device=device, changes=payload.changes, last_pulled_at=cursor,
                              now=timezone.now())
