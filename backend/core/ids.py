"""Short public ids: 16 characters of [0-9a-zA-Z], the shape offline clients (WatermelonDB) make."""

from __future__ import annotations

import secrets
import string

ALPHABET = string.digits + string.ascii_letters
SYNC_ID_LENGTH = 16


def new_sync_id() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(SYNC_ID_LENGTH))


def is_sync_id(value: object) -> bool:
    return isinstance(value, str) and len(value) == SYNC_ID_LENGTH and all(c in ALPHABET for c in value)
