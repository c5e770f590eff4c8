"""Read side of warranty: the terms of a unit (for the 住宅质量保证书) and the stored clocks."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from backend.properties.models import Unit, UnitUse
from workflows import warranty as rules


@dataclass(frozen=True)
class Term:
    component: str           # code; render the name through gettext in the caller's language
    owner_min_amount: int    # owner-chain minimum (102号) as text params: amount + unit (+ season)
    owner_min_unit: str
    owner_min_season: str
    owner_end: date | None
    contractor_end: date | None
    decided_end: date | None
    chain: str               # "owner" / "contractor" / "unknown"
    rule: str
    extension_months: int = 0   # the developer's contractual extension added to the owner's end
    contractor_amount: int = 0  # the contractor's period (80号令), as for the owner's minimum
    contractor_unit: str = ""
    contractor_season: str = ""


def extension_months(project_id: uuid.UUID | str) -> dict[str, int]:
    from backend.warranty.models import OwnerExtension

    return dict(OwnerExtension.objects.filter(project_id=project_id).values_list("component", "extra_months"))


def unit_warranty_terms(*, unit_id: uuid.UUID | str, handover_date: date | None = None,
                        unit: Unit | None = None) -> list[Term]:
    """``unit``: the caller's row of ``unit_id`` with its building and project joined (not read again)."""
    if unit is None:
        unit = Unit.objects.select_related("building__project").get(pk=unit_id)
    handover = handover_date or unit.handover_date
    building = unit.building
    extensions = extension_months(building.project_id)
    terms = []
    for code, comp in rules.COMPONENTS.items():
        ends = rules.decide(component=code, residential=unit.use == UnitUse.RESIDENTIAL, handover=handover,
                            acceptance=building.completion_acceptance_date,
                            region=building.project.warranty_region, design_life_years=building.design_life_years,
                            owner_extra_months=extensions.get(code, 0))
        terms.append(Term(code, comp.owner.amount, comp.owner.unit, comp.owner.season, ends.owner_end,
                          ends.contractor_end, ends.decided_end, ends.chain, ends.rule,
                          extension_months=extensions.get(code, 0), contractor_amount=comp.contractor.amount,
                          contractor_unit=comp.contractor.unit, contractor_season=comp.contractor.season))
    return terms
