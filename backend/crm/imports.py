"""Import customers from CSV / XLSX through the registry's import framework: every row validated first,
errors as ``{row, column, field, reason}``, then all rows in one transaction or none.

Columns: ``name`` (姓名), ``phone`` (手机号), optional ``id_number`` (身份证号, only its keyed hash is kept),
``consultant`` (置业顾问: a username with a seat in the project), ``note`` (备注), ``consent`` (同意联系).
Each row is a lead of channel ``import`` matched like any other (an existing customer gets the source).
Clock: a row naming a consultant puts a customer nobody holds in their private pool with a fresh clock from
the import time (no protection period; the pool limit applies, the daily claim cap does not); a row without
one leaves the customer where it is (a new one in the public pool)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from backend.core.errors import AppError
from backend.crm.access import access_project, ensure_crm, ensure_manager_of
from backend.crm.identity import hash_id_number, normalize_phone
from backend.crm.models import ClaimKind, Customer, Seat
from backend.properties.errors import ImportInvalid
from backend.properties.imports import bind_columns, parse_rows
from backend.properties.imports.base import CellError, Column, ErrorReport, boolean, text
from backend.properties.imports.reading import read_table


def _phone(value: Any) -> str:
    try:
        return normalize_phone(str(value))
    except AppError:
        raise CellError(_("Not a valid phone number.")) from None


def _id_number(value: Any) -> str:
    try:
        return hash_id_number(str(value))
    except AppError:
        raise CellError(_("Not a valid resident ID number (check digit or birth date).")) from None


COLUMNS = (
    Column("name", ("姓名", "客户姓名"), text(100), required=True),
    Column("phone", ("手机号", "手机号码", "电话"), _phone, required=True),
    Column("id_number", ("身份证号", "身份证号码"), _id_number, blank=""),
    Column("consultant", ("置业顾问", "顾问"), text(150), blank=""),
    Column("note", ("备注",), text(300), blank=""),
    Column("consent", ("同意联系",), boolean, blank=False),
)


@dataclass(frozen=True)
class CustomerImportResult:
    rows: int
    created: int
    matched: int
    dry_run: bool


def customers_import(*, actor: Any, project_id: Any, filename: str, content: bytes, dry_run: bool = False,
                     now: datetime) -> CustomerImportResult:
    from backend.crm.services import lead_create
    from backend.crm.services.clock import hold, pool_settings
    from backend.crm.services.pools import check_may_take

    ensure_crm(actor)
    project = access_project(actor, project_id)
    ensure_manager_of(actor, project.id)
    table = read_table(filename=filename, content=content)
    report = ErrorReport()
    positions = bind_columns(table, COLUMNS, report)
    if report:
        raise ImportInvalid(details=report.as_details())
    rows = parse_rows(table, COLUMNS, positions, report)
    seats = {s.user.username: s.user for s in Seat.objects.filter(project=project, is_manager=False)
             .select_related("user")}
    for row in rows:
        name = row.values.get("consultant") or ""
        if name and name not in seats:
            row.error(report, "consultant", _("No consultant of this project has this username."))
    if report:
        raise ImportInvalid(details=report.as_details())
    created = matched = 0
    settings_row = pool_settings(project.id)
    with transaction.atomic():
        for row in rows:
            values = row.values
            try:
                result = lead_create(actor=actor, project_id=project.id, name=values["name"], phone=values["phone"],
                                     channel="import", consent=bool(values.get("consent")),
                                     note=values.get("note") or "", now=now, dispatch=False,
                                     id_number_hash=values.get("id_number") or "")
                consultant = seats.get(values.get("consultant") or "")
                customer = Customer.objects.select_for_update().get(id=result.customer.id)
                if consultant is not None and customer.holder_id is None:
                    check_may_take(user=consultant, customer=customer, settings_row=settings_row, now=now,
                                   count_daily=False)
                    hold(customer, settings_row, consultant_id=consultant.id, kind=ClaimKind.TRANSFER_IN, actor=actor,
                         now=now, protect=False, params={"why": "import"})
            except AppError as exc:
                report.add(row=row.number, reason=str(exc.message))
                continue
            created += int(result.created)
            matched += int(not result.created)
        if report or dry_run:
            transaction.set_rollback(True)
    if report:
        raise ImportInvalid(details=report.as_details())
    return CustomerImportResult(rows=len(rows), created=created, matched=matched, dry_run=dry_run)
