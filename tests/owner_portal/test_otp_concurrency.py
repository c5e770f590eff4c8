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
    codes: list[str] = []
    barrier = threading.Barrier(12)

    def guess() -> None:
        barrier.wait()
        try:
            otp_verify(challenge_id=challenge.id, code=wrong, ip="198.51.100.1", now=timezone.now())
            codes.append("verified")
        except AppError as exc:
            codes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert OtpChallenge.objects.get(id=challenge.id).attempts == 5
    assert sorted(codes).count("code_invalid") == 4  # the fifth wrong try already says "ask for a new code"
    assert codes.count("code_expired") == 8 and "verified" not in codes
