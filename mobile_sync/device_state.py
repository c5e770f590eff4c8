"""What each device holds: ``{table: {record id: seen stamp}}``, loaded and saved per table."""

from __future__ import annotations

from typing import Any

from mobile_sync.models import DeviceTable

State = dict[str, dict[str, int]]


def device_state_load(*, device: Any, tables: list[str] | None = None, for_update: bool = False) -> State:
    qs = DeviceTable.objects.filter(device=device)
    if tables is not None:
        qs = qs.filter(table__in=tables)
    if for_update:
        qs = qs.select_for_update()
    return {row.table: {k: int(v) for k, v in row.records.items()} for row in qs}


def device_state_save(*, device: Any, state: State, tables: set[str]) -> None:
    for table in sorted(tables):
        DeviceTable.objects.update_or_create(device=device, table=table, defaults={"records": state.get(table, {})})
