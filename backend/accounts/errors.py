from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from backend.core.errors import AppError, NotAuthenticated


class InvalidCredentials(NotAuthenticated):
    code = "invalid_credentials"
    message = _("The username or password is incorrect.")


class InvalidToken(NotAuthenticated):
    code = "invalid_token"
    message = _("The device token is invalid or has been revoked.")


class InvalidSkills(AppError):
    status = 422
    code = "invalid_skills"
    message = _("Skills must map a skill code to a level from 1 to 5.")


class LoginCodeRequired(AppError):
    """Many failed sign-ins for this username from elsewhere: the password alone is not enough now."""

    status = 403
    code = "login_code_required"
    message = _("This account is protected after many failed sign-ins. If it has a phone on file, a code "
                "was sent to it: enter the code with your password.")


class LoginCodeInvalid(LoginCodeRequired):
    code = "login_code_invalid"
    message = _("The sign-in code is wrong or has expired. Sign in again without a code to get a new one.")
