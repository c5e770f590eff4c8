from __future__ import annotations

import hashlib
import hmac

import pytest
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from backend.properties.errors import InvalidIdNumber, InvalidPhone
from backend.properties.identity import (
    format_phone,
    hash_id_number,
    id_number_check_char,
    mask_phone,
    normalize_id_number,
    normalize_phone,
)
from tests.properties.files import ID_NUMBERS

MOBILE_PREFIXES = ["130", "133", "135", "138", "139", "150", "158", "177", "186", "189", "199"]


@pytest.mark.parametrize("raw", ["13812345678", "138 1234 5678", "138-1234-5678", "+86 138 1234 5678",
                                 "008613812345678", "+8613812345678"])
def test_chinese_mobile_numbers_are_normalised_to_e164(raw):
    assert normalize_phone(raw) == "+8613812345678"


def test_landlines_and_foreign_numbers_are_accepted_in_e164():
    assert normalize_phone("0571-8765 4321") == "+8657187654321"
    assert normalize_phone("400-820-8888") == "+864008208888"
    assert normalize_phone("+852 6123 4567") == "+85261234567"


@pytest.mark.parametrize("raw", ["", "   ", "12345", "1381234567", "138123456789", "abc", "95588", "1" * 60])
def test_invalid_phone_numbers_are_refused_with_their_own_code(raw):
    with pytest.raises(InvalidPhone) as info:
        normalize_phone(raw)
    assert info.value.code == "invalid_phone"
    assert info.value.status == 422


def test_a_mobile_is_masked_like_chinese_apps_do():
    assert mask_phone("+8613812345678") == "138****5678"


def test_a_landline_keeps_its_area_code_prefix_and_hides_the_middle():
    assert mask_phone("+8657187654321") == "057*****4321"


def test_a_foreign_number_shows_its_country_code_and_only_the_last_four_digits():
    assert mask_phone("+85261234567") == "+852 ****4567"


def test_stored_numbers_are_formatted_for_people():
    assert format_phone("+864008208888") == "400 820 8888"
    assert format_phone("+85261234567") == "+852 6123 4567"


@given(st.text(max_size=40))
def test_masking_never_reveals_more_than_seven_digits(text):
    masked = mask_phone(text)
    assert sum(ch.isdigit() for ch in masked) <= 7


@given(st.sampled_from(MOBILE_PREFIXES), st.integers(min_value=0, max_value=99_999_999))
def test_a_masked_mobile_hides_exactly_the_four_middle_digits(prefix, rest):
    number = f"{prefix}{rest:08d}"
    assert mask_phone(normalize_phone(number)) == f"{number[:3]}****{number[-4:]}"


@given(st.sampled_from(MOBILE_PREFIXES), st.integers(min_value=0, max_value=99_999_999),
       st.sampled_from(["", "+86 ", "0086", "+86-"]), st.sampled_from(["", " ", "-"]))
def test_phone_normalisation_is_idempotent_whatever_the_spelling(prefix, rest, country, separator):
    digits = f"{rest:08d}"
    raw = f"{country}{prefix}{separator}{digits[:4]}{separator}{digits[4:]}"
    once = normalize_phone(raw)
    assert once == f"+86{prefix}{digits}"
    assert normalize_phone(once) == once


@pytest.mark.parametrize("raw", ID_NUMBERS)
def test_valid_id_numbers_pass_their_checksum(raw):
    assert normalize_id_number(raw) == raw


def test_id_numbers_are_upper_cased_and_stripped_before_checking():
    assert normalize_id_number(" 11010519491231002x ") == "11010519491231002X"


def _with_check_char(first17: str) -> str:
    return first17 + id_number_check_char(first17)


@pytest.mark.parametrize(("raw", "reason"), [
    ("110105194912310021", "checksum"),
    ("11010519491231002", "format"),
    ("1101051949123100211", "format"),
    ("01010519491231002X", "format"),
    ("11010519491231002Y", "format"),
    (_with_check_char("11010519491331002"), "birth_date"),  # month 13, correct checksum
    (_with_check_char("11010518501231002"), "birth_date"),  # born 1850
])
def test_invalid_id_numbers_are_refused_with_the_reason(raw, reason):
    with pytest.raises(InvalidIdNumber) as info:
        normalize_id_number(raw)
    assert info.value.details["reason"] == reason


@override_settings(ID_HASH_KEY="test-key")
def test_the_id_number_hash_is_an_hmac_under_the_configured_key_of_the_normalised_number():
    expected = hmac.new(b"test-key", b"11010519491231002X", hashlib.sha256).hexdigest()
    assert hash_id_number("11010519491231002x") == expected
    assert "11010519491231002" not in expected


def test_the_id_number_hash_changes_with_the_key():
    with override_settings(ID_HASH_KEY="key-one"):
        one = hash_id_number(ID_NUMBERS[0])
    with override_settings(ID_HASH_KEY="key-two"):
        two = hash_id_number(ID_NUMBERS[0])
    assert one != two


@given(st.text(alphabet="0123456789", min_size=17, max_size=17).filter(lambda s: s[0] != "0"))
def test_the_check_character_makes_any_plausible_number_valid_or_refused_only_for_its_date(first17):
    number = first17 + id_number_check_char(first17)
    try:
        assert normalize_id_number(number) == number
    except InvalidIdNumber as exc:
        assert exc.details["reason"] == "birth_date"
