"""Turns every exception that reaches the API into the one error contract.

``{"code": str, "message": str (in the request's language), "details": dict}`` — for domain
errors, validation errors, ninja's HTTP errors, Django's 404/403, oversized bodies and anything
unhandled (logged, never shown).
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from backend.core.errors import (
    AppError,
    MalformedRequest,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    ServerError,
    ValidationFailed,
    error_for_status,
)

logger = logging.getLogger("anxin.api")


def error_response(error: AppError) -> JsonResponse:
    response = JsonResponse(error.as_body(), status=error.status, json_dumps_params={"ensure_ascii": False})
    retry_after = error.details.get("retry_after_seconds")
    if retry_after is not None:
        response["Retry-After"] = str(int(retry_after))
    if error.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="anxin"'
    return response


def _reason_for(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind == "extra_forbidden":
        return _("This field is not allowed.")
    if kind in {"int_parsing", "int_type"}:
        return _("Expected an integer.")
    if kind in {"float_parsing", "float_type", "decimal_parsing", "decimal_type"}:
        return _("Expected a number.")
    if kind in {"string_type"}:
        return _("Expected text.")
    if kind in {"bool_parsing", "bool_type"}:
        return _("Expected true or false.")
    if kind in {"uuid_parsing", "uuid_type"}:
        return _("Expected an identifier (UUID).")
    if kind in {"datetime_parsing", "datetime_type", "datetime_from_date_parsing"}:
        return _("Expected a date and time (ISO 8601).")
    if kind == "datetime_out_of_range":
        return _("The date is out of the accepted range (2000–2100 for times, 1900–2100 for dates).")
    if kind in {"date_parsing", "date_type", "date_from_datetime_parsing"}:
        return _("Expected a date (YYYY-MM-DD).")
    if kind == "string_too_long":
        return _("Text is too long (at most %(n)s characters).") % {"n": ctx.get("max_length")}
    if kind == "string_too_short":
        return _("Text is too short (at least %(n)s characters).") % {"n": ctx.get("min_length")}
    if kind in {"literal_error", "enum"}:
        return _("Expected one of: %(choices)s.") % {"choices": ctx.get("expected", "")}
    if kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        return _("The value is out of range.")
    if kind in {"model_attributes_type", "dict_type", "model_type"}:
        return _("Expected an object.")
    if kind in {"list_type"}:
        return _("Expected a list.")
    if kind in {"too_long", "too_short"}:
        return _("The list has too many or too few items.")
    if kind == "value_error" and isinstance(ctx.get("error"), Exception):
        # Our own validators raise ValueError with a translated message; pydantic's English text is not shown.
        return str(ctx["error"])
    return _("Invalid value.")


def validation_details(errors: list[dict[str, Any]]) -> dict[str, Any]:
    fields = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        # ninja prefixes the parameter source ("body", "query", "path") and the argument name.
        if loc and loc[0] in {"body", "query", "path", "form", "file", "header", "cookie"}:
            source = loc[0]
            loc = loc[2:] if len(loc) > 2 else loc[1:]
        else:
            source = "body"
        fields.append({"source": source, "field": ".".join(loc), "reason": _reason_for(error), "type": error.get("type")})
    return {"errors": fields}


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(AppError)
    def on_app_error(request: HttpRequest, exc: AppError) -> HttpResponse:
        if exc.status >= 500:
            logger.error("app error %s on %s %s", exc.code, request.method, request.path)
        return error_response(exc)

    @api.exception_handler(NinjaValidationError)
    def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        return error_response(ValidationFailed(details=validation_details(list(exc.errors))))

    @api.exception_handler(AuthenticationError)
    def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error_response(NotAuthenticated())

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400:
            return error_response(MalformedRequest())
        return error_response(error_for_status(exc.status_code))

    @api.exception_handler(Http404)
    def on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(NotFound())

    @api.exception_handler(DjangoPermissionDenied)
    def on_403(request: HttpRequest, exc: DjangoPermissionDenied) -> HttpResponse:
        return error_response(PermissionDenied())

    @api.exception_handler(RequestDataTooBig)
    def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return error_response(PayloadTooLarge())

    @api.exception_handler(MultiPartParserError)
    def on_bad_multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
        return error_response(MalformedRequest(_("The uploaded form could not be read."),
                                               details={"reason": "multipart"}))

    @api.exception_handler(Exception)
    def on_unhandled(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(ServerError())
