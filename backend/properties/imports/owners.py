"""The owners import: one row per (owner, unit, start date).

An owner is found by phone number (E.164), an ownership by owner + unit + start date. The ID
number column is optional and never stored: it becomes a keyed hash while the cell is parsed, and
an empty cell leaves a stored hash alone (exports never contain the number, so a re-imported export
must not erase it).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.utils.translation import gettext as _

from backend.properties.imports.base import (
    Column,
    ErrorReport,
    Row,
    a_date,
    boolean,
    fetch_in,
    id_number_hash,
    phone,
    slug,
    text,
)
from backend.properties.imports.kinds import Changes, KindSpec, Plan, check_duplicates, resolve_buildings
from backend.properties.models import Owner, Ownership, Unit

OWNER_COLUMNS = (
    Column("project_code", ("项目编码", "项目代码"), slug(50), required=True),
    Column("building_code", ("楼栋编码", "楼栋代码", "楼号"), text(30), required=True),
    Column("unit_number", ("房号", "房间号", "单元号"), text(30), required=True),
    Column("owner_name", ("业主姓名", "姓名", "业主", "name"), text(100), required=True),
    Column("phone", ("手机号", "手机号码", "联系电话", "电话"), phone, required=True),
    Column("id_number", ("身份证号", "身份证号码", "证件号码"), id_number_hash),
    Column("start_date", ("开始日期", "起始日期", "产权开始日期"), a_date, required=True),
    Column("end_date", ("结束日期", "产权结束日期"), a_date),
    Column("primary_contact", ("主要联系人", "是否主要联系人"), boolean, blank=False),
)


def _check_one_owner_per_phone(rows: list[Row], report: ErrorReport) -> None:
    """One phone number is one owner: every row with it gives the same name and the same ID number."""
    first_name: dict[str, Row] = {}
    first_id: dict[str, Row] = {}
    for row in rows:
        number = row.values.get("phone")
        if number is None:
            continue
        name = row.values.get("owner_name")
        if name is not None:
            earlier = first_name.setdefault(number, row)
            if earlier is not row and earlier.values["owner_name"] != name:
                row.error(report, "owner_name",
                          _("This phone number is on row %(row)s with another name ('%(name)s'): one phone number, "
                            "one owner.") % {"row": earlier.number, "name": earlier.values["owner_name"]})
        id_hash = row.values.get("id_number")
        if id_hash:
            earlier = first_id.setdefault(number, row)
            if earlier is not row and earlier.values["id_number"] != id_hash:
                row.error(report, "id_number", _("This phone number is on row %(row)s with a different ID number.")
                          % {"row": earlier.number})


def plan_owners(rows: list[Row], report: ErrorReport) -> Plan:
    check_duplicates(rows, ("project_code", "building_code", "unit_number", "phone", "start_date"), report, "phone")
    _check_one_owner_per_phone(rows, report)
    buildings = resolve_buildings(rows, report)
    wanted = {(r.values.get("project_code"), r.values.get("building_code")) for r in rows}
    by_building = {b.id: key for key, b in buildings.items() if key in wanted}
    units = {
        (*by_building[u.building_id], u.number): u
        for u in fetch_in(Unit.objects.all(), "building_id", list(by_building))
    }
    for row in rows:
        key = (row.values.get("project_code"), row.values.get("building_code"), row.values.get("unit_number"))
        if (key[0], key[1]) in buildings and key[2] and key not in units:
            row.error(report, "unit_number", _("Unknown unit '%(unit)s' in building '%(building)s' of project "
                                               "'%(project)s'.") % {"unit": key[2], "building": key[1],
                                                                    "project": key[0]})
        start, end = row.values.get("start_date"), row.values.get("end_date")
        if start and end and end < start:
            row.error(report, "end_date", _("The end date is before the start date."))

    ok_rows = [row for row in rows if row.ok]
    existing_owners = {o.phone: o for o in fetch_in(Owner.objects.all(), "phone", [r.values["phone"] for r in ok_rows])}
    unit_ids = [units[(r.values["project_code"], r.values["building_code"], r.values["unit_number"])].id
                for r in ok_rows]
    existing_ownerships = {(o.owner_id, o.unit_id, o.start_date): o
                           for o in fetch_in(Ownership.objects.all(), "unit_id", unit_ids)}

    owners, ownerships = Changes(Owner), Changes(Ownership)
    owner_values: dict[str, dict[str, str]] = {}
    for row in ok_rows:
        values = owner_values.setdefault(row.values["phone"], {"name": row.values["owner_name"]})
        # The ID number may be on any of the owner's rows; the file may not give two different ones.
        if row.values.get("id_number") and "id_number_hash" not in values:
            values["id_number_hash"] = row.values["id_number"]
    planned = {
        number: owners.record(existing_owners.get(number), values, partial(Owner, phone=number, **values))
        for number, values in owner_values.items()
    }
    for row in ok_rows:
        owner = planned[row.values["phone"]]
        unit = units[(row.values["project_code"], row.values["building_code"], row.values["unit_number"])]
        start = row.values["start_date"]
        held: dict[str, Any] = {}
        if row.has("end_date"):
            held["end_date"] = row.values["end_date"]
        if row.has("primary_contact"):
            held["is_primary_contact"] = row.values["primary_contact"]
        ownerships.record(existing_ownerships.get((owner.id, unit.id, start)), held,
                          partial(Ownership, owner=owner, unit=unit, start_date=start, **held))
    return Plan({"owner": owners, "ownership": ownerships})


OWNERS = KindSpec("owners", OWNER_COLUMNS, plan_owners)
