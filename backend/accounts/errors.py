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
