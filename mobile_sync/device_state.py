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
    return dict(qs.values_list("table", "records"))


def device_state_save(*, device: Any, state: State, tables: set[str]) -> None:
    """One statement for all the tables: an upsert on (device, table)."""
    if not tables:
        return
    DeviceTable.objects.bulk_create(
        [DeviceTable(device=device, table=table, records=state.get(table, {})) for table in sorted(tables)],
        update_conflicts=True, unique_fields=["device", "table"], update_fields=["records"])
