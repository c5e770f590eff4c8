"""The pull side of the WatermelonDB protocol: scoped changes since a cursor, with tombstones."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from mobile_sync.cursors import safe_cursor
from mobile_sync.device_state import device_state_load, device_state_save
from mobile_sync.errors import SchemaTooOld
from mobile_sync.models import RESEND, DeviceTable
from mobile_sync.tables import (
    SCHEMA_VERSION,
    TABLES,
    Table,
    category_rows,
    read_rows,
    refused_events,
    refused_row,
)


def _empty() -> dict[str, list[Any]]:
    return {"created": [], "updated": [], "deleted": []}


def _first_entry(table: Table, scope: Any) -> tuple[dict[str, list[Any]], dict[str, int]]:
    """A first pull: the device holds nothing, so every row in scope is ``created``; rows and stamps in one query."""
    rows, stamps = read_rows(table, scope)
    entry = _empty()
    entry["created"] = rows
    return entry, stamps


def _incremental_entry(table: Table, scope: Any, *, held: dict[str, int],
                       last_pulled_at: int) -> tuple[dict[str, list[Any]], dict[str, int]]:
    """Rows the device lacks go in ``created``, rows it holds that changed in ``updated``, rows gone in ``deleted``."""
    stamps = dict(scope.values_list("sync_id", "sync_stamp"))
    new_ids = [i for i in stamps if i not in held]
    # A row the device holds is sent again only if it changed since the version the device has: its stamp is at or
    # past the cursor (it may have committed late) and differs from the one the device saw.
    changed_ids = [i for i, stamp in stamps.items() if i in held and stamp != held[i]
                   and (stamp >= last_pulled_at or held[i] == RESEND)]
    rows: dict[str, dict[str, Any]] = {}
    if new_ids or changed_ids:
        fetched, fetched_stamps = read_rows(table, scope.filter(sync_id__in=new_ids + changed_ids))
        rows = {r["id"]: r for r in fetched}
        stamps.update(fetched_stamps)  # the stamp of the version actually sent, should it have moved meanwhile
    entry = _empty()
    entry["created"] = [rows[i] for i in new_ids if i in rows]
    entry["updated"] = [rows[i] for i in changed_ids if i in rows]
    entry["deleted"] = sorted(set(held) - set(stamps))
    return entry, stamps


def sync_pull(*, user: Any, device: Any, last_pulled_at: int | None, schema_version: int, now: datetime) -> dict[str, Any]:
    """Changes in the device's scope since ``last_pulled_at``; rows it already holds go in ``updated``
    (never ``created``: WatermelonDB would resurrect a row deleted on the phone), rows that left its scope
    go in ``deleted``."""
    if schema_version > SCHEMA_VERSION or schema_version < 1:
        raise SchemaTooOld(details={"server_version": SCHEMA_VERSION, "client_version": schema_version})
    cursor = safe_cursor()
    first = last_pulled_at is None
    # A first pull starts the device afresh: what it held before does not count.
    held_all = {} if first else device_state_load(device=device)
    changes: dict[str, dict[str, list[Any]]] = {}
    new_state: dict[str, dict[str, int]] = dict(held_all)
    dirty: set[str] = set()
    for table in TABLES:
        scope = table.scope(user, device)
        held = held_all.get(table.name, {})
        if last_pulled_at is None:
            entry, stamps = _first_entry(table, scope)
        else:
            entry, stamps = _incremental_entry(table, scope, held=held, last_pulled_at=last_pulled_at)
        if table.name == "work_order_events":
            # The device's refused offline steps come back so that nothing it did disappears silently.
            refused = list(refused_events(device, now))
            for event in refused:
                if event.sync_stamp < (last_pulled_at or 0) or event.client_id in stamps:
                    continue
                entry["updated" if event.client_id in held else "created"].append(refused_row(event))
                stamps[event.client_id] = event.sync_stamp
            kept = {e.client_id for e in refused}
            entry["deleted"] = [i for i in entry["deleted"] if i not in kept]
        changes[table.name] = entry
        if first:
            # Every row in scope was sent: the device now holds exactly these, at these stamps.
            new_state[table.name] = stamps
        elif entry["created"] or entry["updated"] or entry["deleted"]:
            records = dict(held)
            for r in entry["created"]:
                records[r["id"]] = stamps[r["id"]]
            for r in entry["updated"]:
                records[r["id"]] = stamps[r["id"]]
            for record_id in entry["deleted"]:
                records.pop(record_id, None)
            new_state[table.name] = records
        if first or entry["created"] or entry["updated"] or entry["deleted"]:
            dirty.add(table.name)
    categories = _empty()
    have_categories = held_all.get("categories", {})
    category_records = dict(have_categories)
    for row in category_rows():
        if row["id"] not in have_categories:
            categories["created"].append(row)
            category_records[row["id"]] = 0
    if categories["created"] or first:
        new_state["categories"] = category_records
        dirty.add("categories")
    changes["categories"] = categories
    with transaction.atomic():
        if first:
            DeviceTable.objects.filter(device=device).exclude(table__in=dirty).delete()
        device_state_save(device=device, state=new_state, tables=dirty)
    timestamp = max(cursor, last_pulled_at or 0, 1)
    return {"changes": changes, "timestamp": timestamp}
