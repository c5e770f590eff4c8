"""Warranty periods of Chinese housing law as pure rules (no Django).

Two chains are computed per component and the decided end follows 《商品房销售管理办法》 art.33:

* the contractor's chain (承包单位 → 建设单位): 《建设工程质量管理条例》 art.40 and 建设部令第80号
  art.7–8, counted from the completion acceptance date (竣工验收合格之日);
* the owner's chain (开发企业 → 业主): 建房〔1998〕102号 art.5–6 (住宅质量保证书 minimums), counted from
  the handover date (交付之日).

Residential units: the later of the two ends (the owner never gets less than the contractor's remaining
period, and never less than the 102号 minimums). Non-residential units: the contractor's remaining period.

Leap days: a period of N years starting on 29 February ends on 28 February (the usual reading of
"N years" where the end year has no 29 February).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

Unit = Literal["years", "months", "seasons", "design_life"]


@dataclass(frozen=True)
class Period:
    amount: int
    unit: Unit
    season: str = ""  # "heating" / "cooling" for unit == "seasons"


@dataclass(frozen=True)
class Component:
    code: str
    contractor: Period
    owner: Period
    contractor_article: str
    owner_article: str


# Default definitions; backend.warranty may override them from admin-edited rows.
COMPONENTS: dict[str, Component] = {
    c.code: c for c in [
        Component("foundation_structure", Period(0, "design_life"), Period(0, "design_life"),
                  "80号令 art.7(1)", "102号 art.5"),
        Component("roof_waterproofing", Period(5, "years"), Period(3, "years"), "80号令 art.7(2)", "102号 art.6(1)"),
        Component("wet_room_waterproofing", Period(5, "years"), Period(1, "years"),
                  "80号令 art.7(2)", "102号 art.6(2)"),
        Component("wall_leakage", Period(5, "years"), Period(1, "years"), "80号令 art.7(2)", "102号 art.6(2)"),
        Component("heating", Period(2, "seasons", "heating"), Period(1, "seasons", "heating"),
                  "80号令 art.7(3)", "102号 art.6(8)"),
        Component("cooling", Period(2, "seasons", "cooling"), Period(1, "seasons", "cooling"),
                  "80号令 art.7(3)", "102号 art.6(8)"),
        Component("electrical_lines", Period(2, "years"), Period(6, "months"), "80号令 art.7(4)", "102号 art.6(9)"),
        Component("plumbing_pipes", Period(2, "years"), Period(2, "months"), "80号令 art.7(4)", "102号 art.6(6)"),
        Component("sanitary_ware", Period(2, "years"), Period(1, "years"), "80号令 art.7(4)", "102号 art.6(7)"),
        Component("fit_out", Period(2, "years"), Period(1, "years"), "80号令 art.7(5)", "102号 art.6(3-5)"),
        Component("doors_windows", Period(2, "years"), Period(1, "years"), "80号令 art.7(5)", "102号 art.6(5)"),
    ]
}

# Top-level order categories → component; anything not here is "unmapped" (shown, never guessed).
CATEGORY_COMPONENTS: dict[str, str] = {
    "structure": "foundation_structure",
    "waterproofing": "wet_room_waterproofing",
    "plumbing-electrical": "plumbing_pipes",
    "doors-windows": "doors_windows",
    "fit-out": "fit_out",
    "low-voltage": "electrical_lines",
    "gas": "plumbing_pipes",
}

# Heating / cooling seasons per region as (start month, day, end month, day); the end may be next year.
SEASONS: dict[str, dict[str, tuple[int, int, int, int]]] = {
    "north": {"heating": (11, 15, 3, 15), "cooling": (6, 1, 9, 30)},
    "default": {"heating": (12, 1, 2, 28), "cooling": (6, 1, 9, 30)},
}


@dataclass(frozen=True)
class Ends:
    component: str
    owner_end: date | None
    contractor_end: date | None
    decided_end: date | None
    chain: str  # "owner" / "contractor" / "unknown"
    rule: str
    params: dict[str, str] = field(default_factory=dict)


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February → 28 February
        return day.replace(year=day.year + years, day=28)


def add_months(day: date, months: int) -> date:
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _season_ranges(region: str, season: str, start_year: int) -> list[tuple[date, date]]:
    sm, sd, em, ed = SEASONS.get(region, SEASONS["default"])[season]
    out = []
    for y in range(start_year - 1, start_year + 10):
        s = date(y, sm, sd)
        e_year = y + 1 if (em, ed) < (sm, sd) else y
        e = date(e_year, em, 28 if (em, ed) == (2, 29) else ed)
        out.append((s, e))
    return out


def season_end(start: date, count: int, season: str, region: str) -> date:
    """End of the ``count``-th season that ends after ``start`` (a season under way counts)."""
    ranges = [r for r in _season_ranges(region, season, start.year) if r[1] >= start]
    return ranges[count - 1][1]


def period_end(start: date, period: Period, *, region: str, design_life_years: int) -> date:
    if period.unit == "years":
        return add_years(start, period.amount)
    if period.unit == "months":
        return add_months(start, period.amount)
    if period.unit == "seasons":
        return season_end(start, period.amount, period.season, region)
    return add_years(start, design_life_years)


def decide(*, component: str, residential: bool, handover: date | None, acceptance: date | None,
           region: str = "default", design_life_years: int = 50, owner_extra_months: int = 0,
           components: dict[str, Component] | None = None) -> Ends:
    comp = (components or COMPONENTS).get(component)
    if comp is None:
        return Ends(component, None, None, None, "unknown", "warranty.unmapped")
    if acceptance is None:
        return Ends(component, None, None, None, "unknown", "warranty.acceptance_missing")
    contractor_end = period_end(acceptance, comp.contractor, region=region, design_life_years=design_life_years)
    owner_end: date | None = None
    if handover is not None:
        owner_end = period_end(handover, comp.owner, region=region, design_life_years=design_life_years)
        if owner_extra_months:
            owner_end = add_months(owner_end, owner_extra_months)
    params = {"contractor_end": contractor_end.isoformat(), "owner_end": owner_end.isoformat() if owner_end else "",
              "contractor_article": comp.contractor_article, "owner_article": comp.owner_article}
    if not residential or owner_end is None:
        return Ends(component, owner_end, contractor_end, contractor_end, "contractor",
                    "art33.non_residential" if not residential else "art33.no_handover", params)
    if owner_end > contractor_end:
        return Ends(component, owner_end, contractor_end, owner_end, "owner", "art33.residential", params)
    return Ends(component, owner_end, contractor_end, contractor_end, "contractor", "art33.residential",
                params)
