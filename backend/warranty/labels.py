"""The names of the warranty components and periods in the reader's language (msgids English,
Chinese in this app's catalogue), shared by the 质量保证书 and the verdict's explanations."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext, gettext_lazy, ngettext

COMPONENT_LABELS: dict[str, Any] = {
    "foundation_structure": gettext_lazy("Foundation and main structure"),
    "roof_waterproofing": gettext_lazy("Roof waterproofing"),
    "wet_room_waterproofing": gettext_lazy("Waterproofing of bathrooms and rooms with waterproofing requirements"),
    "wall_leakage": gettext_lazy("Leaks through external walls"),
    "heating": gettext_lazy("Heating system"),
    "cooling": gettext_lazy("Cooling system"),
    "electrical_lines": gettext_lazy("Electrical lines, lamps and switches"),
    "plumbing_pipes": gettext_lazy("Water supply and drainage pipes"),
    "sanitary_ware": gettext_lazy("Sanitary ware"),
    "fit_out": gettext_lazy("Fit-out (plaster, floors)"),
    "doors_windows": gettext_lazy("Doors and windows"),
}

CHAIN_LABELS: dict[str, Any] = {
    "owner": gettext_lazy("from the handover (developer's minimum)"),
    "contractor": gettext_lazy("from the completion acceptance (contractor's period)"),
    "unknown": gettext_lazy("unknown"),
}


def component_label(code: str) -> str:
    label = COMPONENT_LABELS.get(code)
    return str(label) if label is not None else code


def period_label(amount: int, unit: str, season: str = "") -> str:
    """“3 years”, “6 months”, “1 heating season”, “the design life” in the active language."""
    if unit == "years":
        return ngettext("%(n)s year", "%(n)s years", amount) % {"n": amount}
    if unit == "months":
        return ngettext("%(n)s month", "%(n)s months", amount) % {"n": amount}
    if unit == "seasons":
        if season == "cooling":
            return ngettext("%(n)s cooling season", "%(n)s cooling seasons", amount) % {"n": amount}
        return ngettext("%(n)s heating season", "%(n)s heating seasons", amount) % {"n": amount}
    return gettext("the design life")
