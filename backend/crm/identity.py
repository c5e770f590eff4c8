"""Who a lead is: the normalised phone (phonenumbers, through ``properties.identity``) and the keyed hash
of the resident ID number, its checksum verified by python-stdnum's ``cn.ric``. The number itself is
never stored or logged."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

from backend.properties.errors import InvalidIdNumber
from backend.properties.identity import mask_phone, normalize_phone

__all__ = ["hash_id_number", "mask_phone", "normalize_phone"]


def hash_id_number(raw: str) -> str:
    """HMAC-SHA256 (hex) of the validated, compact ID number under ``settings.ID_HASH_KEY``."""
    try:
        compact = ric.validate(raw or "")
    except StdnumError as exc:
        raise InvalidIdNumber(details={"reason": type(exc).__name__}) from None
    key = str(settings.ID_HASH_KEY).encode("utf-8")
    return hmac.new(key, compact.upper().encode("ascii"), hashlib.sha256).hexdigest()
