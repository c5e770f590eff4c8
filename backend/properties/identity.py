"""Personal data of homeowners: phone numbers and national ID numbers.

Phones are stored in E.164 (``+8613812345678``) and shown masked (``138****5678``). National ID
numbers are never stored: only an HMAC-SHA256 under ``settings.ID_HASH_KEY`` of the normalised
number, so that the same person can be recognised again without the number being readable.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date

import phonenumbers
from django.conf import settings

from backend.properties.errors import InvalidIdNumber, InvalidPhone

PHONE_REGION = "CN"
CN_COUNTRY_CODE = 86
_MAX_PHONE_INPUT = 40

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"
_ID_PATTERN = re.compile(r"^[1-9]\d{16}[\dX]$")
_ID_SEPARATORS = re.compile(r"[\s\-]")


def normalize_phone(raw: str) -> str:
    """A phone number in E.164, read as Chinese when it has no country code. Raises ``InvalidPhone``."""
    text = (raw or "").strip()
    if not text or len(text) > _MAX_PHONE_INPUT:
        raise InvalidPhone(details={"value": text[:_MAX_PHONE_INPUT]})
    try:
        number = phonenumbers.parse(text, PHONE_REGION)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(details={"value": text}) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(details={"value": text})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """A stored number as people write it: ``400 820 8888`` at home, ``+852 6123 4567`` abroad."""
    try:
        number = phonenumbers.parse(e164, PHONE_REGION)
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == CN_COUNTRY_CODE:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


_CN_MOBILE_E164 = re.compile(r"\+861[3-9][0-9]{9}")


def _mask_digits(digits: str, *, max_head: int = 3) -> str:
    n = len(digits)
    if n >= 8:
        head, tail = max(0, min(max_head, n - 8)), 4
    else:
        head, tail = 0, max(0, n - 4)
    return digits[:head] + "*" * (n - head - tail) + digits[n - tail:]


def mask_phone(phone: str) -> str:
    """``+8613812345678`` → ``138****5678``; a foreign number keeps its country code: ``+852 ****4567``.

    At most seven digits of the whole output are real digits, and at least four digits of the
    number are always hidden.
    """
    text = (phone or "").strip()
    if _CN_MOBILE_E164.fullmatch(text):
        # The stored form of almost every owner: masked without parsing (sync pulls mask thousands).
        return _mask_digits(text[3:])
    try:
        number = phonenumbers.parse(text, PHONE_REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and number.country_code == CN_COUNTRY_CODE:
        national = phonenumbers.national_significant_number(number)
        # Landlines are written with their trunk prefix: 0571 8765 4321.
        if phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.FIXED_LINE:
            national = "0" + national
        return _mask_digits(national)
    if number is not None:
        # The country code is shown, so the national part reveals its last four digits only.
        national = phonenumbers.national_significant_number(number)
        return f"+{number.country_code} " + _mask_digits(national, max_head=0)
    return _mask_digits("".join(ch for ch in text if ch.isdigit()))


def normalize_id_number(raw: str) -> str:
    """An 18-character resident ID number, upper case, with its checksum and birth date verified."""
    text = _ID_SEPARATORS.sub("", (raw or "")).upper()
    if not _ID_PATTERN.match(text):
        raise InvalidIdNumber(details={"reason": "format"})
    total = sum(int(digit) * weight for digit, weight in zip(text[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK_CHARS[total % 11] != text[17]:
        raise InvalidIdNumber(details={"reason": "checksum"})
    try:
        born = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError as exc:
        raise InvalidIdNumber(details={"reason": "birth_date"}) from exc
    if born.year < 1900:
        raise InvalidIdNumber(details={"reason": "birth_date"})
    return text


def id_number_check_char(first17: str) -> str:
    """The check character for the first 17 digits (used to build valid demo and test numbers)."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def hash_id_number(raw: str) -> str:
    """HMAC-SHA256 (hex) of the normalised ID number under ``settings.ID_HASH_KEY``."""
    normalized = normalize_id_number(raw)
    key = str(settings.ID_HASH_KEY).encode("utf-8")
    return hmac.new(key, normalized.encode("ascii"), hashlib.sha256).hexdigest()
