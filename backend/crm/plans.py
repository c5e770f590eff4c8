"""Payment plans and commissions as integer arithmetic in fen: the lines always add up to the price."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True)
class PlanLine:
    kind: str
    due_date: date
    amount_fen: int


def add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def plan_lines(*, price_fen: int, deposit_fen: int, method: str, down_payment_percent: int, instalments: int,
               signed_date: date) -> list[PlanLine]:
    """定金 (already due at subscription), then:
    - full: the balance in 30 days;
    - mortgage: the down payment (percent of the price, the deposit counted in) in 30 days, the loan in 90;
    - instalments: the down payment in 30 days, then the rest in ``instalments`` monthly parts (the odd fen
      on the last part)."""
    if price_fen <= 0 or deposit_fen <= 0 or deposit_fen > price_fen:
        raise ValueError("deposit must be positive and at most the price")
    lines = [PlanLine("deposit", signed_date, deposit_fen)]
    rest = price_fen - deposit_fen
    if method == "full":
        if rest:
            lines.append(PlanLine("full", add_months(signed_date, 1), rest))
        return lines
    down_total = price_fen * down_payment_percent // 100
    down = max(0, down_total - deposit_fen)
    if down:
        lines.append(PlanLine("down_payment", add_months(signed_date, 1), down))
    rest -= down
    if method == "mortgage":
        if rest:
            lines.append(PlanLine("mortgage", add_months(signed_date, 3), rest))
        return lines
    if method != "instalments" or instalments < 1:
        raise ValueError("instalments need at least one part")
    part, odd = divmod(rest, instalments)
    for index in range(instalments):
        amount = part + (odd if index == instalments - 1 else 0)
        if amount:
            lines.append(PlanLine("instalment", add_months(signed_date, 2 + index), amount))
    return lines


def commission_fen(rule: dict[str, Any], price_fen: int) -> int:
    """percent (basis points of the price), fixed, or tiered (the tier that holds the price applies to
    the whole price). Rounded down to the fen."""
    kind = rule.get("kind")
    if kind == "fixed":
        return int(rule["amount_fen"])
    if kind == "percent":
        return price_fen * int(rule["basis_points"]) // 10_000
    if kind == "tiered":
        for tier in rule["tiers"]:
            limit = tier.get("up_to_fen")
            if limit is None or price_fen <= int(limit):
                return price_fen * int(tier["basis_points"]) // 10_000
        return 0
    return 0
