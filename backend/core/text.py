"""Text that every entry point accepts: PostgreSQL text cannot hold NUL characters, and no person types one."""

from __future__ import annotations

from typing import Any


def without_nul(value: Any) -> Any:
    """The value with NUL characters removed from every string in it (lists, dict keys and values included)."""
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, list):
        return [without_nul(item) for item in value]
    if isinstance(value, dict):
        return {without_nul(key): without_nul(item) for key, item in value.items()}
    return value
