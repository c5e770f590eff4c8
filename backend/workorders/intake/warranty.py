"""The warranty verdict of a new order (in warranty → the developer pays; out → paid service).

The ends come from ``workflows.warranty.decide`` (two chains: the contractor's under 建设部令第80号
art.7–8 from the completion acceptance date, the owner's under 建房〔1998〕102号 art.5–6 from the
handover date; 《商品房销售管理办法》 art.33 picks the decided end). See docs/warranty.md.
A missing acceptance date gives "unknown", never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from backend.workorders.models import WarrantyVerdict
from workflows import warranty as rules


@dataclass(frozen=True)
class Verdict:
    """``reason`` is the English text kept in ``WorkOrder.warranty_reason``; ``code`` and ``params``
    are stored beside it and rendered in the reader's language (``backend.workorders.reasons``)."""

    verdict: str
    reason: str
    code: str = ""
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def reasoning(self) -> dict[str, Any]:
        return {"code": self.code, "params": self.params}


def warranty_verdict(*, top_category: str, handover_date: date | None, today: date, public_area: bool,
                     acceptance_date: date | None = None, residential: bool = True, region: str = "default",
                     design_life_years: int = 50, extensions: dict[str, int] | None = None) -> Verdict:
    if public_area:
        return Verdict(WarrantyVerdict.IN, "public area: maintained by the developer", "warranty.public_area")
    if handover_date is None:
        return Verdict(WarrantyVerdict.UNKNOWN, "the unit has no handover date", "warranty.no_handover_date")
    component = rules.CATEGORY_COMPONENTS.get(top_category)
    if component is None:
        return Verdict(WarrantyVerdict.UNKNOWN, f"category {top_category} is not mapped to a warranty component",
                       "warranty.unmapped", {"category": top_category})
    if acceptance_date is None:
        return Verdict(WarrantyVerdict.UNKNOWN, "unknown — acceptance date missing", "warranty.acceptance_missing",
                       {"category": top_category, "component": component})
    ends = rules.decide(component=component, residential=residential, handover=handover_date,
                        acceptance=acceptance_date, region=region, design_life_years=design_life_years,
                        owner_extra_months=(extensions or {}).get(component, 0))
    assert ends.decided_end is not None
    params: dict[str, Any] = {"category": top_category, "component": component, "chain": ends.chain,
                              "rule": ends.rule, "ends": ends.decided_end.isoformat(),
                              "owner_end": ends.owner_end.isoformat() if ends.owner_end else "",
                              "contractor_end": ends.contractor_end.isoformat() if ends.contractor_end else ""}
    if today <= ends.decided_end:
        return Verdict(WarrantyVerdict.IN, f"warranty for {top_category} until {params['ends']} "
                       f"({ends.chain} chain decided)", "warranty.in_chain", params)
    return Verdict(WarrantyVerdict.OUT, f"warranty for {top_category} ended {params['ends']} "
                   f"({ends.chain} chain decided)", "warranty.ended_chain", params)
