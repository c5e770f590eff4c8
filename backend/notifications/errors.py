"""Error codes of outbound notifications."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from backend.core.errors import AppError, ValidationFailed


class InvalidNotification(ValidationFailed):
    code = "invalid_notification"
    message = _("The notification is incomplete or invalid.")


class UnknownSmsTemplate(ValidationFailed):
    code = "unknown_sms_template"
    message = _("There is no text message template with this name.")


class MissingSmsParams(ValidationFailed):
    code = "missing_sms_params"
    message = _("The text message template needs more parameters.")


class SignatureInvalid(AppError):
    """A webhook receiver got a request whose signature does not match (or is missing or malformed)."""

    status = 401
    code = "signature_invalid"
    message = _("The webhook signature is invalid.")


class SignatureExpired(SignatureInvalid):
    """The signature matches but its timestamp is too far from now: a replay or a badly set clock."""

    code = "signature_expired"
    message = _("The webhook timestamp is too old or too far in the future.")


class SmsSendFailed(AppError):
    """Raised by an SMS backend. ``retryable`` says whether a later attempt may succeed."""

    status = 502
    code = "sms_send_failed"
    message = _("The text message could not be sent.")

    def __init__(self, message: object = None, *, retryable: bool = True, details: dict[str, object] | None = None,
                 ) -> None:
        super().__init__(message, details=details)
        self.retryable = retryable
