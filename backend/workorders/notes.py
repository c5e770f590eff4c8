"""Notes the system writes on an order's timeline, stored as a code and params, shown in the reader's language.

A person's note (a dispatcher's reason, a technician's diagnosis) is kept as they wrote it. A note
the system writes ("grab pool", "waiting for approval") is stored twice: as English text in
``TimelineEvent.note`` (for logs, exports and rows read by older clients) and as
``data["note"] = {"code", "params"}``, which ``event_note_text`` renders in the active language, so
a Chinese dispatcher reads Chinese whoever's request wrote the line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy

NOTES: dict[str, Any] = {
    "grab_pool": gettext_lazy("grab pool"),
    "grab_expired": gettext_lazy("grab pool expired; nobody eligible"),
    "waiting_approval": gettext_lazy("waiting for approval"),
    "approval_escalated": gettext_lazy("escalated"),
    "waiting_owner_quote": gettext_lazy("waiting for the owner's decision on the quote"),
    "owner_accepted_quote": gettext_lazy("the owner accepted the quote"),
    "comment_edited": gettext_lazy("comment edited: %(body)s"),
    "part_changed": gettext_lazy("part changed: %(name)s × %(quantity)s"),
    "part_removed": gettext_lazy("part removed: %(name)s"),
    "approval_stand_in": gettext_lazy("%(away)s is away: the approval goes to %(stand_in)s"),
    "merged_into": gettext_lazy("Duplicate of %(number)s: merged into it."),
    "merged_from": gettext_lazy("%(number)s was merged into this order."),
}


@dataclass(frozen=True)
class SystemNote:
    code: str
    params: Mapping[str, Any]

    @property
    def text(self) -> str:
        """The English text stored in the event's ``note`` column."""
        with translation.override("en"):
            return _render(self.code, self.params) or self.code

    @property
    def data(self) -> dict[str, Any]:
        """What goes into the event's ``data``."""
        return {"note": {"code": self.code, "params": {k: str(v) for k, v in self.params.items()}}}


def system_note(code: str, **params: Any) -> SystemNote:
    if code not in NOTES:
        raise ValueError(f"unknown system note {code!r}")
    return SystemNote(code=code, params=params)


def _render(code: str, params: Mapping[str, Any]) -> str | None:
    template = NOTES.get(code)
    if template is None:
        return None
    try:
        return str(template) % dict(params) if params else str(template)
    except (KeyError, TypeError, ValueError):
        return None


def event_note_text(*, note: str, data: Mapping[str, Any] | None) -> str:
    """The note of a timeline event as the reader should see it: a system note in the active
    language, anything else as written."""
    coded = (data or {}).get("note")
    if isinstance(coded, Mapping) and isinstance(coded.get("code"), str):
        params = coded.get("params") if isinstance(coded.get("params"), Mapping) else {}
        rendered = _render(coded["code"], params)  # type: ignore[arg-type]
        if rendered is not None:
            return rendered
    return note
