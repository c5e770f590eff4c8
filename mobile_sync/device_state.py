"""What each device holds: ``{table: {record id: seen stamp}}``, as of the cursor the device presents.

A pull does not change what the server believes the device holds: its answer may be lost on the way (a
network cut in a lift shaft), and the device then pulls again with its old cursor. So a pull stores what it
sent as a *pending* delta under the new cursor it issues (``DevicePull``), and the device's record sets
(``DeviceTable``) move to that state only when the device presents the cursor back — in its next pull or
push — which proves it applied the answer. A pull retried with the old cursor is computed from the same
confirmed state, so it sends the same changes again, with ``created`` and ``updated`` still right.

Cursors are issued per device, strictly increasing, each naming exactly one answer; a cursor the device
never received is never confirmed. Every pull and push of a device locks its ``DeviceCursor`` row first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from django.db import transaction

from mobile_sync.errors import InvalidSyncBatch
from mobile_sync.models import MAX_PENDING, DeviceCursor, DevicePull, DeviceTable

State = dict[str, dict[str, int]]
Delta = dict[str, dict[str, int | None]]
# WatermelonDB keeps the cursor in a JavaScript number: larger integers would not come back exact.
MAX_CURSOR = 2**53 - 1


@dataclass
class DeviceSync:
    """One request's view of a device: its locked cursor row and the record sets it holds."""

    row: DeviceCursor
    presented: int | None
    state: State
    # True when the presented cursor is neither the confirmed one nor a pending one: an old cursor (a restored
    # phone, a request delayed on the way) or one from before cursors were kept per device.
    stale: bool = False
    dirty: set[str] = field(default_factory=set)


def _load(device: Any, tables: list[str] | None = None) -> State:
    qs = DeviceTable.objects.filter(device=device)
    if tables is not None:
        qs = qs.filter(table__in=tables)
    return dict(qs.values_list("table", "records"))


def device_state_load(*, device: Any, tables: list[str] | None = None) -> State:
    """The device's confirmed record sets."""
    return _load(device, tables)


def device_state_save(*, device: Any, state: State, tables: set[str]) -> None:
    """One statement for all the tables: an upsert on (device, table)."""
    if not tables:
        return
    DeviceTable.objects.bulk_create(
        [DeviceTable(device=device, table=table, records=state.get(table, {})) for table in sorted(tables)],
        update_conflicts=True, unique_fields=["device", "table"], update_fields=["records"])


def _apply(state: State, delta: Delta) -> set[str]:
    for table, changes in delta.items():
        records = state.setdefault(table, {})
        for record_id, stamp in changes.items():
            if stamp is None:
                records.pop(record_id, None)
            else:
                records[record_id] = stamp
    return set(delta)


def device_state_at(*, device: Any, cursor: int) -> State:
    """What the device holds once it presents ``cursor`` (read only: nothing is confirmed)."""
    pending = DevicePull.objects.filter(device=device, cursor=cursor).first()
    state = {} if pending is not None and pending.replace else _load(device)
    if pending is not None:
        _apply(state, cast(Delta, pending.delta))
    return state


def device_sync_open(*, device: Any, presented: int | None, pull: bool) -> DeviceSync:
    """Locks the device's cursors and returns what it holds as of ``presented``, confirming that cursor when it
    names a pending pull. Call inside a transaction. ``presented=None``: for a pull, a first pull (the device
    holds nothing); for a push, the confirmed state (the push names no state)."""
    if presented is not None and presented > MAX_CURSOR:
        raise InvalidSyncBatch(details={"reason": "last_pulled_at is not a cursor this server issued"})
    DeviceCursor.objects.get_or_create(device=device)
    row = DeviceCursor.objects.select_for_update().get(device=device)
    if presented is None:
        return DeviceSync(row=row, presented=None, state={} if pull else _load(device))
    if row.issued is not None and presented > row.issued:
        raise InvalidSyncBatch(details={"reason": "last_pulled_at is not a cursor this server issued"})
    if presented == row.confirmed:
        return DeviceSync(row=row, presented=presented, state=_load(device))
    pending = DevicePull.objects.filter(device=device, cursor=presented).first()
    if pending is None:
        return DeviceSync(row=row, presented=presented, state=_load(device), stale=row.confirmed is not None)
    # The device applied this answer: it holds that state now. Every other pending pull was computed from the
    # state before it and can never be confirmed.
    state = {} if pending.replace else _load(device)
    dirty = _apply(state, cast(Delta, pending.delta))
    if pending.replace:
        DeviceTable.objects.filter(device=device).exclude(table__in=dirty).delete()
    device_state_save(device=device, state=state, tables=dirty)
    DevicePull.objects.filter(device=device).delete()
    row.confirmed = presented
    row.save(update_fields=["confirmed"])
    return DeviceSync(row=row, presented=presented, state=state)


def device_pull_issue(*, sync: DeviceSync, floor: int, delta: Delta, replace: bool, now: datetime) -> int:
    """A new cursor for an answer that changes what the device holds (or moves it off a stale cursor); its delta
    is kept until the device presents it. Strictly above every cursor issued to the device and the one it
    presented, and at least ``floor``."""
    cursor = max(floor, (sync.presented or 0) + 1, (sync.row.issued or 0) + 1, 1)
    if cursor > MAX_CURSOR:  # pragma: no cover — 2**53 pulls
        raise InvalidSyncBatch(details={"reason": "cursor space exhausted"})
    with transaction.atomic():
        DevicePull.objects.create(device_id=sync.row.device_id, cursor=cursor, replace=replace,
                                  delta=delta,  # type: ignore[misc] # a delta's stamps may be null
                                  created_at=now)
        sync.row.issued = cursor
        sync.row.save(update_fields=["issued"])
        old = DevicePull.objects.filter(device_id=sync.row.device_id).order_by("-cursor").values_list(
            "id", flat=True)[MAX_PENDING:]
        DevicePull.objects.filter(id__in=list(old)).delete()
    return cursor
