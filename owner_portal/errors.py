from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from backend.core.errors import AppError, ValidationFailed


class PhoneNotRegistered(ValidationFailed):
    code = "phone_not_registered"
    message = _("This number is not registered for this home. Use the number you gave at handover, or call "
                "customer service.")


class CodeInvalid(ValidationFailed):
    code = "code_invalid"
    message = _("The code is not correct.")


class CodeExpired(ValidationFailed):
    code = "code_expired"
    message = _("The code has expired or was tried too often. Please ask for a new code.")


class NotVerified(AppError):
    status = 401
    code = "owner_not_verified"
    message = _("Please verify your phone number first.")
