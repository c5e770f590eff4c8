from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from backend.core.errors import AppError, Conflict, ValidationFailed


class InvalidTransition(Conflict):
    code = "invalid_transition"
    message = _("This step is not possible in the order's current state.")


class PreconditionFailed(ValidationFailed):
    code = "precondition_failed"
    message = _("The order is not ready for this step.")


class NotAssignee(AppError):
    status = 403
    code = "not_assignee"
    message = _("Only the assigned technician may do this.")


class ReopenWindowClosed(Conflict):
    code = "reopen_window_closed"
    message = _("The order can no longer be reopened.")


class InvalidOrderInput(ValidationFailed):
    code = "invalid_order"
    message = _("The work order is incomplete or invalid.")


class UploadRejected(AppError):
    status = 400
    code = "upload_rejected"
    message = _("The file cannot be accepted.")


class QuoteRequired(Conflict):
    code = "quote_required"
    message = _("This repair is a paid service: the owner must accept a quote first (or the office waives it on record).")
