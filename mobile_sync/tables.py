"""The tables a technician's device keeps, their client-side schema, and how each row is read.

Column names are snake_case, times are epoch milliseconds, money is a number of yuan. Every table
has a string ``id``: the row's 16-character ``sync_id`` (the id the device made, for rows created
offline), or the category code for categories.

Each published column is computed by the database (epoch milliseconds, numbers as floats, empty
strings as null, JSON as text, joined names), so a pull reads one tuple per row with exactly the
published values and makes its dict with ``zip`` over the column names; only the owner's phone
(masked by ``mask_phone``) and attachment URLs (the storage's) are finished in Python.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    DateTimeField,
    F,
    FloatField,
    Func,
    OuterRef,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, NullIf
from django.utils.module_loading import import_string

from backend.accounts.models import TechnicianProfile
from backend.properties.identity import mask_phone
from backend.properties.models import Ownership, Project, QrToken, Unit
from backend.properties.qr import qr_check_code
from backend.workorders.definitions import active_definitions
from backend.workorders.models import Attachment, Comment, PartUsage, SlaDeadline, TimelineEvent, WorkOrder
from backend.workorders.states import OPEN_STATES, State
from mobile_sync.models import SyncEvent

SCHEMA_VERSION = 1
# Orders a technician keeps on the phone: everything assigned and not yet closed or cancelled.
SCOPE_STATES = frozenset(OPEN_STATES | {State.COMPLETED})
REFUSALS_KEPT = timedelta(days=7)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def ms(value: datetime | None) -> int | None:
    """Epoch milliseconds, truncated: the same value ``EpochMs`` computes in the database."""
    if value is None:
        return None
    delta = value - EPOCH
    return delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000


# --- published values, computed in SQL ----------------------------------------------------------------------
class EpochMs(Func):
    """A datetime as whole epoch milliseconds (truncated), computed by PostgreSQL so no datetime object is made
    in Python for the 30 000 rows of a first pull.

    SQLite (embedded mode) has no exact function for it (its date functions round to the millisecond), so there
    the column is read as Django reads a ``DateTimeField`` (``DateTimeField.to_python`` over what the driver
    returns) and turned into milliseconds by ``ms`` — the documented ``convert_value`` hook of an expression.
    """

    output_field = BigIntegerField()
    template = "FLOOR(EXTRACT(EPOCH FROM %(expressions)s) * 1000)::bigint"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="%(expressions)s", **extra)

    def convert_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or isinstance(value, int):
            return value
        at = _DATETIME.to_python(value)
        return ms(at if at.tzinfo is not None else at.replace(tzinfo=UTC))


_DATETIME = DateTimeField()


def _blank_null(name: str) -> NullIf:
    return NullIf(F(name), Value(""))


class _Number(Func):
    """A decimal as a float (yuan, coordinates, quantities)."""

    output_field = FloatField()
    template = "(%(expressions)s)::double precision"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="CAST(%(expressions)s AS REAL)", **extra)


def _number(name: str) -> _Number:
    return _Number(F(name))


def _json_text(name: str) -> Cast:
    return Cast(name, TextField())


class _Spaced(Func):
    # ' ' + the value, or nothing when it is null or empty.
    template = "COALESCE(' ' || NULLIF(%(expressions)s, ''), '')"
    output_field = TextField()


class SpaceJoined(Func):
    """The non-empty values joined by single spaces, like ``" ".join(x for x in values if x)``."""

    template = "SUBSTR(%(expressions)s, 2)"
    arg_joiner = " || "
    output_field = TextField()

    def __init__(self, *values: Any) -> None:
        super().__init__(*(_Spaced(v) for v in values))


# --- tables --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    name: str
    type: str  # "string" | "number" | "boolean"
    optional: bool = False
    indexed: bool = False

    def as_schema(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "isOptional": self.optional, "isIndexed": self.indexed}


@dataclass(frozen=True)
class Table:
    name: str
    # The published columns, each with what the database computes for it (a field path or an expression).
    columns: tuple[tuple[Column, Any], ...]
    # (user, device) -> queryset of the rows in the device's scope, with ``sync_id`` and ``sync_stamp``
    scope: Callable[[Any, Any], QuerySet[Any]]
    # In-place touches on the rows that only Python can do (masking, storage URLs); None for most tables.
    finish: Callable[[list[dict[str, Any]]], None] | None = None
    names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", ("id", *(c.name for c, _source in self.columns)))

    @property
    def schema_columns(self) -> tuple[Column, ...]:
        return tuple(c for c, _source in self.columns)


def read_rows(table: Table, qs: QuerySet[Any]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The published rows of ``qs`` and each one's sync stamp, in one query."""
    # The stamp is selected last: zip() over the names stops before it.
    # No ORDER BY: the protocol's lists are unordered, and the models' default orderings cost a sort each.
    tuples = list(qs.order_by().values_list("sync_id", *(source for _c, source in table.columns), "sync_stamp"))
    names = table.names
    rows = [dict(zip(names, t)) for t in tuples]  # noqa: B905 — the trailing stamp is left out on purpose
    if table.finish is not None:
        table.finish(rows)
    return rows, {t[0]: t[-1] for t in tuples}


def _orders(user: Any, device: Any) -> QuerySet[WorkOrder]:
    return WorkOrder.objects.filter(technician=user, state__in=SCOPE_STATES)


def _of_orders(model: Any, user: Any) -> QuerySet[Any]:
    """Rows of the orders in scope, read through the join to the order (which also gives ``order__sync_id``)."""
    return model.objects.filter(order__technician=user, order__state__in=SCOPE_STATES)


def _events(user: Any, device: Any) -> QuerySet[Any]:
    return _of_orders(TimelineEvent, user).filter(kind=TimelineEvent.Kind.STATE)


def refused_events(device: Any, now: datetime) -> QuerySet[SyncEvent]:
    return SyncEvent.objects.filter(device=device, status=SyncEvent.Status.REFUSED, server_at__gte=now - REFUSALS_KEPT)


def refused_row(e: SyncEvent) -> dict[str, Any]:
    return {"id": e.client_id, "work_order_id": e.order_sync_id, "from_state": e.from_state or None,
            "to_state": e.to_state, "device_at": ms(e.device_at), "note": e.note, "status": "refused",
            "reason": f"{e.reason_code}: {e.reason}".strip(": "), "server_at": ms(e.server_at)}


def _finish_attachments(rows: list[dict[str, Any]]) -> None:
    storage = Attachment._meta.get_field("file").storage  # type: ignore[attr-defined]
    for a in rows:
        a["url"] = storage.url(a["url"])
        a["thumbnail_url"] = storage.url(a["thumbnail_url"]) if a["thumbnail_url"] else None


def _finish_orders(rows: list[dict[str, Any]]) -> None:
    for o in rows:  # SQLite keeps a UUID as 32 hex digits: the API spells it with dashes everywhere
        o["server_id"] = str(UUID(o["server_id"]))


def _units(user: Any, device: Any) -> QuerySet[Unit]:
    return Unit.objects.filter(id__in=_orders(user, device).filter(unit__isnull=False).values("unit_id"))


class _Owner(Func):
    """``<length of phone>:<phone><name>``: both of the owner's columns from one subquery, unambiguously."""

    output_field = TextField()

    def as_sql(self, compiler: Any, connection: Any, *args: Any, **extra: Any) -> Any:
        (phone, phone_params), (name, name_params) = (compiler.compile(e) for e in self.get_source_expressions())
        return (f"(CAST(LENGTH({phone}) AS TEXT) || ':' || {phone} || {name})",
                [*phone_params, *phone_params, *name_params])


def _current_owner() -> Subquery:
    """The unit's current owner (the primary contact first, then the earliest), its phone and name in one value."""
    current = Ownership.objects.filter(unit=OuterRef("pk"), end_date__isnull=True).order_by(
        "-is_primary_contact", "start_date", "id")
    return Subquery(current.annotate(packed=_Owner(F("owner__phone"), F("owner__name"))).values("packed")[:1],
                    output_field=TextField())


def _finish_units(rows: list[dict[str, Any]]) -> None:
    for u in rows:
        packed = u["owner_name"]
        if packed is not None:
            length, _colon, rest = packed.partition(":")
            u["owner_name"], u["owner_phone"] = rest[int(length):], mask_phone(rest[:int(length)])
        if u["qr_check"] is not None:  # the unit's active token, read to derive its check code: it never leaves
            u["qr_check"] = qr_check_code(u["qr_check"])


def _active_qr_token() -> Subquery:
    return Subquery(QrToken.objects.filter(unit=OuterRef("pk"), revoked_at__isnull=True).values("token")[:1],
                    output_field=CharField())


def _deadline(target: str) -> EpochMs:
    """Epoch milliseconds of the target's deadline in the order's latest cycle; null once met, paused or unset."""
    latest = SlaDeadline.objects.filter(order=OuterRef("pk"), target=target).order_by("-cycle").annotate(
        open_at=Case(When(met_at__isnull=True, then=F("deadline_at")), default=None, output_field=DateTimeField()))
    return EpochMs(Subquery(latest.values("open_at")[:1], output_field=DateTimeField()))


def _projects(user: Any, device: Any) -> QuerySet[Project]:
    return Project.objects.filter(id__in=_orders(user, device).values("project_id"))


def _profiles(user: Any, device: Any) -> QuerySet[TechnicianProfile]:
    return TechnicianProfile.objects.filter(user=user)


S, N, B = "string", "number", "boolean"
TABLES: tuple[Table, ...] = (
    Table("projects", (
        (Column("name", S), "name"),
        (Column("city", S), "city"),
        (Column("address", S), "address"),
        (Column("latitude", N), _number("latitude")),
        (Column("longitude", N), _number("longitude")),
        (Column("service_phone", S, optional=True), _blank_null("service_phone")),
    ), _projects),
    Table("units", (
        (Column("project_id", S, indexed=True), "building__project__sync_id"),
        (Column("building_name", S), "building__name"),
        (Column("number", S), "number"),
        (Column("floor", N), "floor"),
        (Column("layout", S), "layout"),
        (Column("owner_name", S, optional=True), _current_owner()),  # split by _finish_units
        (Column("owner_phone", S, optional=True), Value(None, output_field=CharField())),  # masked, ditto
        # The check code of the unit's QR label (backend.properties.qr.qr_check_code), null while it has none: the
        # phone confirms arrival by scanning the label, or by the code printed under it, offline. Issuing, rotating
        # or revoking a unit's token re-stamps the unit.
        (Column("qr_check", S, optional=True), _active_qr_token()),  # the token, made the check code by _finish_units
    ), _units, _finish_units),
    Table("work_orders", (
        (Column("number", S), "number"),
        (Column("project_id", S, indexed=True), "project__sync_id"),
        (Column("unit_id", S, optional=True, indexed=True), "unit__sync_id"),
        (Column("place", S), SpaceJoined(F("project__name"), F("building__name"),
                                         Coalesce(_blank_null("unit__number"), F("public_area__name")))),
        (Column("category_id", S, indexed=True), "category_code"),
        (Column("priority", S), "priority"),
        (Column("description", S), "description"),
        (Column("location_detail", S), "location_detail"),
        (Column("contact_name", S), "contact_name"),
        (Column("contact_phone", S), "contact_phone"),
        (Column("state", S, indexed=True), "state"),
        (Column("waiting_reason", S, optional=True), _blank_null("waiting_reason")),
        (Column("preferred_slots", S), _json_text("preferred_slots")),
        (Column("warranty_verdict", S), "warranty_verdict"),
        (Column("estimate_yuan", N, optional=True), _number("estimate_yuan")),
        (Column("created_at", N), EpochMs("created_at")),
        (Column("updated_at", N), EpochMs("updated_at")),
        (Column("server_revision", N), "revision"),
        # The order's id in the rest of the API (uploads, estimates), and its open SLA deadlines, from which the
        # phone counts down offline. A deadline moves only with a step or an edit of the order, which re-stamps it.
        (Column("server_id", S), Cast("id", CharField())),
        (Column("response_due_at", N, optional=True), _deadline("response")),
        (Column("arrival_due_at", N, optional=True), _deadline("arrival")),
        (Column("resolution_due_at", N, optional=True), _deadline("resolution")),
    ), _orders, _finish_orders),
    Table("work_order_events", (
        (Column("work_order_id", S, indexed=True), "order__sync_id"),
        (Column("from_state", S, optional=True), _blank_null("from_state")),
        (Column("to_state", S), "to_state"),
        (Column("device_at", N, optional=True), EpochMs("device_at")),
        (Column("note", S), "note"),
        (Column("status", S), Value("applied", output_field=CharField())),
        (Column("reason", S, optional=True), Value(None, output_field=CharField())),
        (Column("server_at", N, optional=True), EpochMs("created_at")),
    ), _events),
    Table("comments", (
        (Column("work_order_id", S, indexed=True), "order__sync_id"),
        (Column("body", S), "body"),
        (Column("owner_visible", B), "owner_visible"),
        # A homeowner's message from the portal has no staff author: the owner's name stands in.
        (Column("author_name", S), Coalesce(_blank_null("author__display_name"), _blank_null("author__username"),
                                            _blank_null("author_owner__name"), Value(""), output_field=CharField())),
        (Column("created_at", N), EpochMs("created_at")),
    ), lambda u, d: _of_orders(Comment, u)),
    Table("part_usages", (
        (Column("work_order_id", S, indexed=True), "order__sync_id"),
        (Column("name", S), "name"),
        (Column("quantity", N), _number("quantity")),
        (Column("unit_price_yuan", N), _number("unit_price_yuan")),
        (Column("created_at", N), EpochMs("created_at")),
    ), lambda u, d: _of_orders(PartUsage, u)),
    Table("attachments", (
        (Column("work_order_id", S, indexed=True), "order__sync_id"),
        (Column("content_type", S), "content_type"),
        (Column("size_bytes", N), "size_bytes"),
        (Column("sha256", S), "sha256"),
        (Column("url", S), "file"),  # the stored name; made a URL by _finish_attachments
        (Column("thumbnail_url", S, optional=True), "thumbnail"),
        (Column("created_at", N), EpochMs("created_at")),
    ), lambda u, d: _of_orders(Attachment, u), _finish_attachments),
    Table("technician_profiles", (
        (Column("name", S), Coalesce(_blank_null("user__display_name"), "user__username", output_field=CharField())),
        (Column("skills", S), _json_text("skills")),
        (Column("on_duty", B), "on_duty"),
        (Column("last_latitude", N, optional=True), _number("last_latitude")),
        (Column("last_longitude", N, optional=True), _number("last_longitude")),
        (Column("last_position_at", N, optional=True), EpochMs("last_position_at")),
    ), _profiles),
)
TABLES_BY_NAME = {t.name: t for t in TABLES}


# --- derived tables: read-only rows computed in Python, not stamped by the database ------------------------------
@dataclass(frozen=True)
class DerivedTable:
    """A read-only table whose rows are computed (the categories from the rules files, the knowledge-base articles
    of the owner portal) rather than read from a stamped model. Each row's stamp comes from ``stamp``: a row is
    sent when the device lacks it or holds another stamp (an edit, or RESEND after a refused push)."""

    name: str
    columns: tuple[Column, ...]
    rows: Callable[[Any, Any], list[dict[str, Any]]]  # (user, device) -> the rows in the device's scope
    stamp: Callable[[dict[str, Any]], int]


def category_rows(user: Any = None, device: Any = None) -> list[dict[str, Any]]:
    definitions = active_definitions()
    rows = []
    for code in sorted(definitions.category_codes):
        cat = definitions.category(code)
        path = definitions.category_path(code)
        rows.append({"id": code, "name": cat.name, "name_en": cat.name_en,
                     "parent_id": path[-2] if len(path) > 1 else None, "default_priority": cat.default_priority})
    return rows


def content_stamp(row: dict[str, Any]) -> int:
    """A positive 48-bit stamp of a row's content: it changes with any edit of the row."""
    digest = hashlib.sha256(json.dumps(row, sort_keys=True, ensure_ascii=False).encode("utf-8")).digest()
    return int.from_bytes(digest[:6], "big") + 1


def article_rows(user: Any, device: Any) -> list[dict[str, Any]]:
    """The self-help articles of the categories of the technician's orders, from the source the settings name
    (``MOBILE_SYNC_ARTICLES``: the owner portal's, which owns the knowledge base; this app does not import it)."""
    source = getattr(settings, "MOBILE_SYNC_ARTICLES", "")
    if not source:
        return []
    codes = set(_orders(user, device).order_by().values_list("category_code", flat=True).distinct())
    rows: list[dict[str, Any]] = import_string(source)(category_codes=codes)
    return rows


CATEGORY_COLUMNS = (Column("name", S), Column("name_en", S, optional=True), Column("parent_id", S, optional=True),
                    Column("default_priority", S))
ARTICLE_COLUMNS = (
    Column("category_id", S, indexed=True), Column("title", S), Column("title_en", S, optional=True),
    Column("summary", S), Column("summary_en", S, optional=True),
    Column("steps", S),  # JSON text: [{"text", "text_en", "image_url"}] in order
    Column("cover_url", S, optional=True), Column("position", N),
)
DERIVED_TABLES: tuple[DerivedTable, ...] = (
    # Each category is held at stamp 0: the rules files change only with a release.
    DerivedTable("categories", CATEGORY_COLUMNS, category_rows, lambda row: 0),
    DerivedTable("articles", ARTICLE_COLUMNS, article_rows, content_stamp),
)
ALL_TABLE_NAMES = (*(t.name for t in TABLES), *(t.name for t in DERIVED_TABLES))


def schema() -> dict[str, Any]:
    tables = [{"name": t.name, "columns": [c.as_schema() for c in t.schema_columns]} for t in TABLES]
    tables += [{"name": t.name, "columns": [c.as_schema() for c in t.columns]} for t in DERIVED_TABLES]
    return {"version": SCHEMA_VERSION, "tables": sorted(tables, key=lambda t: t["name"])}
