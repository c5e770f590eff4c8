"""Input rules shared by every entry point (API, portal, sync push): limits, visit slots, field errors."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

from backend.workorders.errors import InvalidOrderInput

MAX_SLOTS = 5
MAX_DESCRIPTION = 2000  # a report's description, a comment


def invalid(field_name: str, reason: Any) -> InvalidOrderInput:
    """A field error of an order's input, in the error contract (``details.errors``)."""
    return InvalidOrderInput(details={"errors": [{"field": field_name, "reason": str(reason)}]})


def clean_slots(slots: list[dict[str, Any]]) -> list[dict[str, str]]:
    if len(slots) > MAX_SLOTS:
        raise invalid("preferred_slots", _("At most 5 preferred visit slots."))
    clean = []
    for slot in slots:
        start, end = slot.get("start"), slot.get("end")
        if not isinstance(start, datetime) or not isinstance(end, datetime) or start.tzinfo is None or end <= start:
            raise invalid("preferred_slots", _("Each slot needs a start before its end, with a time zone."))
        clean.append({"start": start.isoformat(), "end": end.isoformat()})
    return clean
