"""The pull side of the WatermelonDB protocol: scoped changes since a cursor, with tombstones."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from backend.core.cursors import safe_cursor
from mobile_sync.device_state import Delta, device_pull_issue, device_sync_open
from mobile_sync.errors import SchemaTooOld
from mobile_sync.tables import (
    DERIVED_TABLES,
    SCHEMA_VERSION,
    TABLES,
    Table,
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


def _incremental_entry(table: Table, scope: Any, *,
                       held: dict[str, int]) -> tuple[dict[str, list[Any]], dict[str, int]]:
    """Rows the device lacks go in ``created``, rows it holds that changed in ``updated``, rows gone in ``deleted``."""
    stamps = dict(scope.values_list("sync_id", "sync_stamp"))
    new_ids = [i for i in stamps if i not in held]
    # A row the device holds is sent again when its stamp differs from the version the device has: every stamp in
    # the scope is compared, so a row that committed late (after an earlier pull began) is never missed, and a
    # row the device changed without the server accepting it (marked RESEND by the push) comes back.
    changed_ids = [i for i, stamp in stamps.items() if i in held and stamp != held[i]]
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


def _derived_entry(rows: list[dict[str, Any]], stamp: Any, *, held: dict[str, int],
                   first: bool) -> tuple[dict[str, list[Any]], dict[str, int]]:
    """A derived table's changes: rows the device lacks in ``created``, rows whose stamp differs from the one it
    holds in ``updated``, rows gone in ``deleted``; and the stamps of the rows sent."""
    entry = _empty()
    stamps: dict[str, int] = {}
    for row in rows:
        now_stamp = stamp(row)
        if first or row["id"] not in held:
            entry["created"].append(row)
        elif held[row["id"]] != now_stamp:
            entry["updated"].append(row)
        else:
            continue
        stamps[row["id"]] = now_stamp
    if not first:
        entry["deleted"] = sorted(set(held) - {r["id"] for r in rows})
    return entry, stamps


def _delta(entry: dict[str, list[Any]], stamps: dict[str, int]) -> dict[str, int | None]:
    delta: dict[str, int | None] = {r["id"]: stamps[r["id"]] for r in entry["created"] + entry["updated"]}
    delta.update(dict.fromkeys(entry["deleted"]))
    return delta


def sync_pull(*, user: Any, device: Any, last_pulled_at: int | None, schema_version: int, now: datetime) -> dict[str, Any]:
    """Changes in the device's scope since the state it confirmed with ``last_pulled_at``; rows it already holds
    go in ``updated`` (never ``created``: WatermelonDB would resurrect a row deleted on the phone), rows that left
    its scope go in ``deleted``. What was sent is kept under the new cursor and becomes what the device holds
    only when the device presents that cursor (``device_state``): a lost answer is sent again, unchanged."""
    if schema_version > SCHEMA_VERSION or schema_version < 1:
        raise SchemaTooOld(details={"server_version": SCHEMA_VERSION, "client_version": schema_version})
    with transaction.atomic():
        sync = device_sync_open(device=device, presented=last_pulled_at, pull=True)
        floor = safe_cursor()
        first = last_pulled_at is None
        held_all = sync.state
        changes: dict[str, dict[str, list[Any]]] = {}
        delta: Delta = {}
        for table in TABLES:
            scope = table.scope(user, device)
            held = held_all.get(table.name, {})
            if first:
                entry, stamps = _first_entry(table, scope)
            else:
                entry, stamps = _incremental_entry(table, scope, held=held)
            if table.name == "work_order_events":
                # The device's refused offline steps come back so that nothing it did disappears silently.
                refused = list(refused_events(device, now))
                for event in refused:
                    if event.client_id in stamps or held.get(event.client_id) == event.sync_stamp:
                        continue  # the device holds this version
                    entry["updated" if event.client_id in held else "created"].append(refused_row(event))
                    stamps[event.client_id] = event.sync_stamp
                kept = {e.client_id for e in refused}
                entry["deleted"] = [i for i in entry["deleted"] if i not in kept]
            changes[table.name] = entry
            if first:
                delta[table.name] = dict(stamps)
            elif entry["created"] or entry["updated"] or entry["deleted"]:
                delta[table.name] = _delta(entry, stamps)
        # Derived tables (categories, articles): rows computed in Python, each with the stamp of its content.
        for derived in DERIVED_TABLES:
            entry, stamps = _derived_entry(derived.rows(user, device), derived.stamp,
                                           held=held_all.get(derived.name, {}), first=first)
            changes[derived.name] = entry
            if first:
                delta[derived.name] = dict(stamps)
            elif entry["created"] or entry["updated"] or entry["deleted"]:
                delta[derived.name] = {**stamps, **dict.fromkeys(entry["deleted"])}
        if last_pulled_at is None or delta or sync.row.confirmed != last_pulled_at:
            timestamp = device_pull_issue(sync=sync, floor=floor, delta=delta, replace=first, now=now)
        else:
            timestamp = last_pulled_at  # nothing changed: the device keeps its cursor, nothing is written
    return {"changes": changes, "timestamp": timestamp}
