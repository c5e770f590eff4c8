"""The one error type of the project.

Every context raises ``AppError`` subclasses; the API's exception handler turns each into
``{"code": ..., "message": <translated>, "details": {...}}`` with the class's HTTP status.
Messages are lazy translations, rendered in the request's language (Chinese by default).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class AppError(Exception):
    status: int = 400
    code: str = "bad_request"
    message: Any = _("The request could not be processed.")

    def __init__(self, message: Any = None, *, code: str | None = None, details: dict[str, Any] | None = None,
                 status: int | None = None) -> None:
        if message is not None:
            self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.details: dict[str, Any] = details or {}
        super().__init__(str(self.code))

    def as_body(self) -> dict[str, Any]:
        return {"code": self.code, "message": str(self.message), "details": self.details}


class ValidationFailed(AppError):
    status = 422
    code = "validation_error"
    message = _("Some fields are invalid.")


class MalformedRequest(AppError):
    status = 400
    code = "malformed_request"
    message = _("The request body is not valid JSON.")


class NotAuthenticated(AppError):
    status = 401
    code = "not_authenticated"
    message = _("Please sign in first.")


class PermissionDenied(AppError):
    status = 403
    code = "permission_denied"
    message = _("You do not have permission to do this.")


class NotFound(AppError):
    """Raised both when a thing does not exist and when the actor may not see it."""

    status = 404
    code = "not_found"
    message = _("Not found.")


class MethodNotAllowed(AppError):
    status = 405
    code = "method_not_allowed"
    message = _("This method is not allowed here.")


class Conflict(AppError):
    status = 409
    code = "conflict"
    message = _("The request conflicts with the current state.")


class PayloadTooLarge(AppError):
    status = 413
    code = "payload_too_large"
    message = _("The request body is too large.")


class RateLimited(AppError):
    status = 429
    code = "rate_limited"
    message = _("Too many attempts. Please try again later.")


class ServerError(AppError):
    status = 500
    code = "server_error"
    message = _("An unexpected error occurred. It has been logged.")


class ServiceUnavailable(AppError):
    status = 503
    code = "service_unavailable"
    message = _("A required service is unavailable.")


STATUS_ERRORS: dict[int, type[AppError]] = {
    400: MalformedRequest,
    401: NotAuthenticated,
    403: PermissionDenied,
    404: NotFound,
    405: MethodNotAllowed,
    409: Conflict,
    413: PayloadTooLarge,
    429: RateLimited,
    500: ServerError,
    503: ServiceUnavailable,
}


def error_for_status(status: int) -> AppError:
    cls = STATUS_ERRORS.get(status)
    if cls is None:
        return AppError(status=status, code=f"http_{status}")
    return cls()
