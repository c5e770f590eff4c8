"""Labels the console's templates show for codes: states, SLA targets and clock statuses."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

from backend.workorders.notes import event_note_text
from backend.workorders.states import State

register = template.Library()

TARGETS = {"response": _("Response"), "arrival": _("Arrival"), "resolution": _("Resolution")}
CLOCK = {"running": _("running"), "paused": _("paused"), "met": _("met"), "met_late": _("met late"),
         "breached": _("breached")}


@register.filter
def state_label(code: str) -> str:
    try:
        return str(State(code).label)
    except ValueError:
        return code or ""


@register.filter
def event_note(event: object) -> str:
    """A timeline event's note in the reader's language (a system note) or as written (a person's)."""
    return event_note_text(note=getattr(event, "note", ""), data=getattr(event, "data", None))


@register.filter
def target_label(code: str) -> str:
    return str(TARGETS.get(code, code))


@register.filter
def clock_label(code: str) -> str:
    return str(CLOCK.get(code, code))
