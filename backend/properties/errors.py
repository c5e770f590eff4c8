"""Error codes of the property registry."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from backend.core.errors import AppError, Conflict, NotFound, ValidationFailed


class InvalidPhone(ValidationFailed):
    code = "invalid_phone"
    message = _("This is not a valid phone number.")


class InvalidIdNumber(ValidationFailed):
    code = "invalid_id_number"
    message = _("This is not a valid 18-character resident ID number.")


class InvalidOwnershipDates(ValidationFailed):
    code = "invalid_ownership_dates"
    message = _("The end date is before the start date.")


class ImportInvalid(ValidationFailed):
    """The file was refused; ``details["errors"]`` lists every problem as {row, column, field, reason}."""

    code = "import_invalid"
    message = _("The file was not imported: correct the errors listed and upload it again.")


class ImportConflict(Conflict):
    code = "import_conflict"
    message = _("The registry changed while the file was being imported. Nothing was saved; please import it again.")


class QrTokenInvalid(NotFound):
    """A token that was never issued: a forged, mistyped or truncated code."""

    code = "qr_token_invalid"
    message = _("This QR code is not valid.")


class QrTokenRevoked(AppError):
    status = 410
    code = "qr_token_revoked"
    message = _("This QR code has been replaced. Please scan the new code on site.")
