"""The warranty verdict of a new order (in warranty → the developer pays; out → paid service).

Periods follow the national minimums of 《房屋建筑工程质量保修办法》 (建设部令第80号): main
structure for the design life (here 50 years), roof and wall waterproofing and bathrooms 5 years,
electrical and plumbing 2 years, fit-out and the rest 2 years — counted from the handover date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from backend.workorders.models import WarrantyVerdict

WARRANTY_YEARS_BY_TOP_CATEGORY = {
    "structure": 50,
    "waterproofing": 5,
    "plumbing-electrical": 2,
    "doors-windows": 2,
    "fit-out": 2,
    "low-voltage": 2,
    "gas": 2,
}
DEFAULT_YEARS = 2


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


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def warranty_verdict(*, top_category: str, handover_date: date | None, today: date, public_area: bool) -> Verdict:
    if public_area:
        return Verdict(WarrantyVerdict.IN, "public area: maintained by the developer", "warranty.public_area")
    if handover_date is None:
        return Verdict(WarrantyVerdict.UNKNOWN, "the unit has no handover date", "warranty.no_handover_date")
    years = WARRANTY_YEARS_BY_TOP_CATEGORY.get(top_category, DEFAULT_YEARS)
    ends = _add_years(handover_date, years)
    params: dict[str, Any] = {"years": years, "category": top_category, "ends": ends.isoformat()}
    if today < ends:
        return Verdict(WarrantyVerdict.IN, f"{years}-year warranty for {top_category} until {ends.isoformat()}",
                       "warranty.in", params)
    return Verdict(WarrantyVerdict.OUT, f"{years}-year warranty for {top_category} ended {ends.isoformat()}",
                   "warranty.ended", params)
