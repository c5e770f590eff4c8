"""Write side of warranty. Runs inside the caller's transaction (no own commit)."""

from __future__ import annotations

from datetime import date
from typing import Any

from backend.properties.models import Unit
from backend.warranty.models import WarrantyClock
from backend.warranty.selectors import unit_warranty_terms

CLOCK_FIELDS = ("handover_date", "owner_end", "contractor_end", "decided_end", "chain", "rule", "params")


def warranty_clocks_start(*, unit_id: Any, handover_date: date, actor: Any = None, unit: Unit | None = None) -> int:
    """Create or refresh one clock per component for the unit, started at ``handover_date``: one
    upsert for all the components (not a read and a write per component). ``unit`` (with its
    building and project joined) saves reading it again when the caller holds it. Returns how many
    components' clocks were written; the rows are not read back (a refreshed row keeps its stored id,
    which the upsert's objects would not carry)."""
    clocks = WarrantyClock.objects.bulk_create(
        [WarrantyClock(unit_id=unit_id, component=term.component, handover_date=handover_date,
                       owner_end=term.owner_end, contractor_end=term.contractor_end, decided_end=term.decided_end,
                       chain=term.chain, rule=term.rule, params={})
         for term in unit_warranty_terms(unit_id=unit_id, unit=unit, handover_date=handover_date)],
        update_conflicts=True, unique_fields=["unit", "component"], update_fields=[*CLOCK_FIELDS, "updated_at"])
    return len(clocks)
