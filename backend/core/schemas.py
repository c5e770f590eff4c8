from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from ninja import Schema
from pydantic import ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from backend.core.dates import date_in_window, instant_in_window
from backend.core.text import without_nul

OUT_OF_RANGE = "datetime_out_of_range"


def in_window(value: Any) -> Any:
    """Refuses a date or time from outside that lies outside the plausible window (backend.core.dates)."""
    if isinstance(value, datetime):
        if not instant_in_window(value):
            raise PydanticCustomError(OUT_OF_RANGE, "date and time out of the accepted range")
    elif isinstance(value, date) and not date_in_window(value):
        raise PydanticCustomError(OUT_OF_RANGE, "date out of the accepted range")
    elif isinstance(value, list):
        for item in value:
            in_window(item)
    return value


class EdgeSchema(Schema):
    """Base of every query schema: each date and time in it is range-checked.

    A schema names in ``KEPT_WHEN_IMPLAUSIBLE`` the device times it keeps rather than refuses (the
    caller then stores them as implausible and never uses them: a device's clock is not a typo)."""

    KEPT_WHEN_IMPLAUSIBLE: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="after")
    @classmethod
    def _dates_in_window(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name in cls.KEPT_WHEN_IMPLAUSIBLE:
            return value
        return in_window(value)


class InSchema(EdgeSchema):
    """Base of every request body: unknown fields are an error, not silently dropped; dates are range-checked."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _drop_nul(cls, value: Any) -> Any:
        # PostgreSQL text cannot hold NUL characters and nobody types one: drop them instead of failing later.
        return without_nul(value)


class ErrorOut(Schema):
    code: str = Field(examples=["permission_denied"])
    message: str = Field(examples=["您没有执行此操作的权限。"])
    details: dict[str, Any] = Field(default_factory=dict)


# Documented on every route: the error contract for the statuses any route can return.
COMMON_ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 413: ErrorOut,
                                 422: ErrorOut, 429: ErrorOut}
