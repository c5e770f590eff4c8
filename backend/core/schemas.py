from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field, field_validator

from backend.core.text import without_nul


class InSchema(Schema):
    """Base of every request body: unknown fields are an error, not silently dropped."""

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
