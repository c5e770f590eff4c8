"""The password hasher the product runs is Django's default one (PBKDF2-SHA256, Django's iterations), faster:
same stored form, and hashes made by either side verify on the other without a re-hash."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher, check_password, get_hasher, make_password
from django.test import override_settings

from backend.accounts.hashers import FastPBKDF2PasswordHasher
from backend.config.settings import base


@pytest.mark.parametrize(("password", "salt", "iterations"), [
    ("anxin-demo-2026", "abcdefghijklmnopqrstuv", 1000),
    ("安心维修 密码 ✓", "Zr8QKQpM3xk2v0Ub4nWJcA", 1234),
    ("", "shortsalt", 1),
    ("p" * 4096, "x" * 64, 20),
])
def test_the_fast_hasher_derives_the_same_stored_hash_as_djangos(password: str, salt: str, iterations: int) -> None:
    ours = FastPBKDF2PasswordHasher().encode(password, salt, iterations)
    assert ours == PBKDF2PasswordHasher().encode(password, salt, iterations)
    assert ours.startswith(f"pbkdf2_sha256${iterations}${salt}$")


def test_the_product_hashes_with_djangos_algorithm_and_iterations() -> None:
    with override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS):
        hasher = get_hasher("default")
        assert isinstance(hasher, FastPBKDF2PasswordHasher)
        assert (hasher.algorithm, hasher.iterations) == (PBKDF2PasswordHasher.algorithm, PBKDF2PasswordHasher.iterations)
        assert hasher.iterations >= 1_000_000


def test_a_hash_made_by_django_verifies_without_a_rehash_and_ours_verifies_in_django() -> None:
    stock = PBKDF2PasswordHasher()
    by_django = stock.encode("anxin-demo-2026", stock.salt())
    rehashed: list[str] = []
    with override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS):
        assert check_password("anxin-demo-2026", by_django, setter=rehashed.append)
        assert not check_password("anxin-demo-2025", by_django, setter=rehashed.append)
        ours = make_password("anxin-demo-2026")
    assert rehashed == []
    assert stock.verify("anxin-demo-2026", ours) and not stock.must_update(ours)
