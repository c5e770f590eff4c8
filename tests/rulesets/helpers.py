"""Definition files for tests: the shipped ones with one change."""

from __future__ import annotations

from decimal import Decimal

from backend.rules import edits
from backend.rulesets.services import shipped_sources


def lowered_finance_threshold(amount: int = 3000) -> dict[str, str]:
    sources = shipped_sources()
    sources["approvals.yaml"] = edits.approval_threshold_set(sources["approvals.yaml"], old=Decimal(5000),
                                                             new=Decimal(amount))
    return sources


def faster_normal_resolution(duration: str = "4h") -> dict[str, str]:
    sources = shipped_sources()
    sources["sla.yaml"] = edits.sla_target_set(sources["sla.yaml"], policy="normal", target="resolution",
                                               duration=duration)
    return sources
