"""Write side of warranty. Runs inside the caller's transaction (no own commit)."""

from __future__ import annotations

from datetime import date
from typing import Any

from backend.warranty.models import WarrantyClock
from backend.warranty.selectors import unit_warranty_terms


def warranty_clocks_start(*, unit_id: Any, handover_date: date, actor: Any = None) -> list[WarrantyClock]:
    """Create or refresh one clock per component for the unit, started at ``handover_date``."""
    clocks = []
    for term in unit_warranty_terms(unit_id=unit_id, handover_date=handover_date):
        clock, _ = WarrantyClock.objects.update_or_create(
            unit_id=unit_id, component=term.component,
            defaults={"handover_date": handover_date, "owner_end": term.owner_end,
                      "contractor_end": term.contractor_end, "decided_end": term.decided_end,
                      "chain": term.chain, "rule": term.rule, "params": {}})
        clocks.append(clock)
    return clocks
