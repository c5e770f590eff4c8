"""The handover context's error codes, in the one error shape (``AppError``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from backend.core.errors import Conflict


class SlotFull(Conflict):
    code = "handover_slot_full"
    message = _("This time slot is fully booked. Please pick another one.")


class InvalidHandoverStep(Conflict):
    code = "handover_invalid_step"
    message = _("The handover of this unit cannot take this step in its current state.")


class NotSigned(Conflict):
    code = "handover_not_signed"
    message = _("The owner has not signed the inspection yet.")
