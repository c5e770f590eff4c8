"""The pull side of the WatermelonDB protocol: scoped changes since a cursor, with tombstones."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from mobile_sync.cursors import safe_cursor
from mobile_sync.device_state import device_state_load, device_state_save
from mobile_sync.errors import SchemaTooOld
from mobile_sync.models import RESEND, DeviceTable
from mobile_sync.tables import SCHEMA_VERSION, TABLES, category_rows, refused_events, refused_row, table_rows


def _empty() -> dict[str, list[Any]]:
    return {"created": [], "updated": [], "deleted": []}


def sync_pull(*, user: Any, device: Any, last_pulled_at: int | None, schema_version: int, now: datetime) -> dict[str, Any]:
    """Changes in the device's scope since ``last_pulled_at``; rows it already holds go in ``updated``
    (never ``created``: WatermelonDB would resurrect a row deleted on the phone), rows that left its scope
    go in ``deleted``."""
    if schema_version > SCHEMA_VERSION or schema_version < 1:
        raise SchemaTooOld(details={"server_version": SCHEMA_VERSION, "client_version": schema_version})
    cursor = safe_cursor()
    first = last_pulled_at is None
    held = {} if first else device_state_load(device=device)
    known: dict[str, set[str]] = {name: set(records) for name, records in held.items()}
    seen: dict[tuple[str, str], int] = {(name, i): stamp for name, records in held.items() for i, stamp in records.items()}
    changes: dict[str, dict[str, list[Any]]] = {}
    new_state: dict[str, dict[str, int]] = {name: dict(records) for name, records in held.items()}
    dirty: set[str] = set()
    for table in TABLES:
        scope = table.scope(user, device)
        stamps = dict(scope.values_list("sync_id", "sync_stamp"))
        have = known.get(table.name, set())
        new_ids = [i for i in stamps if i not in have]
        # A row the device holds is sent again only if it changed since the version the device has: its stamp
        # is at or past the cursor (it may have committed late) and differs from the one the device saw.
        changed_ids = [i for i in stamps if i in have and stamps[i] != seen.get((table.name, i))
                       and (first or stamps[i] >= last_pulled_at or seen.get((table.name, i)) == RESEND)]  # type: ignore[operator]
        wanted = scope if first else scope.filter(sync_id__in=new_ids + changed_ids)
        rows = {r["id"]: r for r in table_rows(table, wanted)} if (new_ids or changed_ids) else {}
        entry = _empty()
        entry["created"] = [rows[i] for i in new_ids if i in rows]
        entry["updated"] = [rows[i] for i in changed_ids if i in rows]
        entry["deleted"] = sorted(have - set(stamps))
        if table.name == "work_order_events":
            # The device's refused offline steps come back so that nothing it did disappears silently.
            for event in refused_events(device, now).filter(sync_stamp__gte=0 if first else last_pulled_at):
                row = refused_row(event)
                target = "updated" if event.client_id in have else "created"
                if row["id"] not in stamps:
                    entry[target].append(row)
                    stamps[row["id"]] = event.sync_stamp
            entry["deleted"] = sorted(set(entry["deleted"]) - {e.client_id for e in refused_events(device, now)})
        changes[table.name] = entry
        records = new_state.setdefault(table.name, {})
        for r in entry["created"] + entry["updated"]:
            records[r["id"]] = stamps.get(r["id"], 0)
        for record_id in entry["deleted"]:
            records.pop(record_id, None)
        if entry["created"] or entry["updated"] or entry["deleted"] or first:
            dirty.add(table.name)
    categories = _empty()
    have_categories = known.get("categories", set())
    for row in category_rows():
        if row["id"] not in have_categories:
            categories["created"].append(row)
            new_state.setdefault("categories", {})[row["id"]] = 0
            dirty.add("categories")
    changes["categories"] = categories
    with transaction.atomic():
        if first:
            DeviceTable.objects.filter(device=device).exclude(table__in=dirty).delete()
        device_state_save(device=device, state=new_state, tables=dirty)
    timestamp = max(cursor, last_pulled_at or 0, 1)
    return {"changes": changes, "timestamp": timestamp}
