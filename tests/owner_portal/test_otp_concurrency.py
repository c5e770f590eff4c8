"""Concurrent guesses at one code on PostgreSQL: the five tries are claimed by conditional updates, never more."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from backend.core.errors import AppError
from owner_portal.models import OtpChallenge
from owner_portal.services import otp_request, otp_verify
from tests.owner_portal.helpers import home_with_owner, last_code

pytestmark = pytest.mark.django_db(transaction=True)


def test_twelve_concurrent_wrong_guesses_use_exactly_five_tries(settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs a database that several threads share (PostgreSQL in CI)")
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "otp_verify_ip": (1000, 3600)}
    home, _ = home_with_owner()
    challenge = otp_request(phone=home.owner.phone, token=home.token, ip="198.51.100.1", now=timezone.now())
    wrong = "000000" if last_code(home.owner.phone) != "000000" else "111111"
    codes: list[tuple[str, object]] = []
    barrier = threading.Barrier(12)

    def guess() -> None:
        barrier.wait()
        try:
            otp_verify(challenge_id=challenge.id, code=wrong, ip="198.51.100.1", now=timezone.now())
            codes.append(("verified", None))
        except AppError as exc:
            codes.append((exc.code, exc.details.get("tries_left")))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert OtpChallenge.objects.get(id=challenge.id).attempts == 5
    # Exactly five guesses were counted (each told it was wrong, the last ones that no try is left); the
    # other seven found the code used up before comparing anything. How many tries were left when a guess
    # was told depends on the interleaving, so only the counts are asserted.
    counted = [c for c in codes if c[0] == "code_invalid" or c == ("code_expired", 0)]
    assert len(counted) == 5
    assert codes.count(("code_expired", None)) == 7
    assert all(code != "verified" for code, _left in codes)
