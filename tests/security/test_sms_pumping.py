"""Verification codes: no SMS pumping through a public code, no owner locked out by a stranger."""

from __future__ import annotations

import logging

import pytest
from django.test import Client, override_settings

from backend.notifications.models import Delivery
from owner_portal.models import OtpChallenge
from tests.factories import OwnerFactory, PublicAreaFactory, QrTokenFactory
from tests.owner_portal.helpers import home_with_owner, last_code

pytestmark = pytest.mark.django_db


def _codes_sent() -> int:
    return Delivery.objects.filter(event_type="sms.otp_code").count()


def _public_code() -> str:
    return QrTokenFactory(unit=None, public_area=PublicAreaFactory()).token


@pytest.mark.parametrize("phone", ["+447911123456", "+12025550123", "+85291234567", "+886912345678",
                                   "+862161234567"])  # the last one is a Shanghai landline
def test_a_public_area_code_sends_only_to_mainland_mobile_numbers(phone):
    token = _public_code()
    response = Client().post(f"/q/{token}/verify", {"action": "send", "phone": phone})
    assert response.status_code == 422 and "请输入中国大陆手机号码" in response.content.decode()
    assert _codes_sent() == 0 and not OtpChallenge.objects.exists()


@override_settings(SMS_ALLOWED_REGIONS=["CN", "HK"])
def test_regions_allowed_by_the_settings_receive_codes():
    token = _public_code()
    assert Client().post(f"/q/{token}/verify", {"action": "send", "phone": "+85291234567"}).status_code == 200
    assert _codes_sent() == 1


def test_a_project_that_allows_hong_kong_sends_its_codes_there_and_other_projects_do_not():
    allowing = PublicAreaFactory()
    allowing.project.sms_extra_regions = "HK MO"
    allowing.project.save(update_fields=["sms_extra_regions"])
    token = QrTokenFactory(unit=None, public_area=allowing).token
    assert Client().post(f"/q/{token}/verify", {"action": "send", "phone": "+85291234567"}).status_code == 200
    assert _codes_sent() == 1
    # Still only mobile numbers of the allowed regions: a UK number is refused, with the regions named.
    response = Client().post(f"/q/{token}/verify", {"action": "send", "phone": "+447911123456"})
    assert response.status_code == 422 and "CN HK MO" in response.content.decode()
    response = Client().post(f"/q/{_public_code()}/verify", {"action": "send", "phone": "+85291234567"})
    assert response.status_code == 422 and "请输入中国大陆手机号码" in response.content.decode()
    assert _codes_sent() == 1


def test_an_unknown_region_code_on_a_project_is_refused_with_its_name():
    from django.core.exceptions import ValidationError

    project = PublicAreaFactory().project
    project.sms_extra_regions = "HK XX"
    with pytest.raises(ValidationError) as caught:
        project.full_clean()
    assert "XX" in str(caught.value)


def test_a_rotating_forwarded_header_does_not_escape_the_per_code_limit():
    token = _public_code()
    statuses = [Client().post(f"/q/{token}/verify", {"action": "send", "phone": f"+86139{n:08d}"},
                              HTTP_X_FORWARDED_FOR=f"198.51.100.{n}", REMOTE_ADDR=f"10.0.1.{n}").status_code
                for n in range(12)]
    assert statuses[:10] == [200] * 10 and statuses[10:] == [429, 429]
    assert _codes_sent() == 10


def test_the_hourly_budget_stops_all_codes_and_alerts_once(settings, caplog):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "otp_send_global": (3, 3600)}
    tokens = [_public_code() for _ in range(5)]
    with caplog.at_level(logging.ERROR, logger="anxin.security"):
        statuses = [Client(REMOTE_ADDR=f"10.0.2.{n}").post(f"/q/{token}/verify",
                                                           {"action": "send", "phone": f"+86137{n:08d}"}).status_code
                    for n, token in enumerate(tokens)]
    assert statuses == [200, 200, 200, 429, 429]
    assert _codes_sent() == 3
    assert len([r for r in caplog.records if "budget" in r.getMessage()]) == 1


def test_five_tries_against_a_wrong_home_do_not_lock_out_its_real_owner():
    mine, theirs = home_with_owner()
    # A stranger (or the owner by mistake) asks for codes for someone else's home with the owner's phone.
    for n in range(6):
        response = Client(REMOTE_ADDR=f"10.0.3.{n}").post(f"/q/{theirs.token}/verify",
                                                           {"action": "send", "phone": mine.owner.phone})
        assert response.status_code == 200 and response.context["step"] == "code"
    assert _codes_sent() == 0
    # The real owner still gets their code at their own home, and signs in.
    client = Client()
    assert client.post(f"/q/{mine.token}/verify", {"action": "send", "phone": mine.owner.phone}).status_code == 200
    response = client.post(f"/q/{mine.token}/verify", {"action": "check", "code": last_code(mine.owner.phone)})
    assert response.status_code == 302


def test_a_challenge_for_a_phone_that_may_not_verify_accepts_no_code():
    home, _ = home_with_owner()
    stranger = OwnerFactory()
    client = Client()
    client.post(f"/q/{home.token}/verify", {"action": "send", "phone": stranger.phone})
    challenge = OtpChallenge.objects.get(phone=stranger.phone)
    for code in ("000000", "123456"):
        assert client.post(f"/q/{home.token}/verify", {"action": "check", "code": code}).status_code == 422
    assert "portal_owner" not in client.session
    assert OtpChallenge.objects.get(id=challenge.id).verified_at is None


def test_a_rate_limited_verify_says_when_to_retry():
    home, _ = home_with_owner()
    for n in range(5):
        Client(REMOTE_ADDR=f"10.0.4.{n}").post(f"/q/{home.token}/verify", {"action": "send", "phone": home.owner.phone})
    response = Client(REMOTE_ADDR="10.0.4.9").post(f"/q/{home.token}/verify",
                                                   {"action": "send", "phone": home.owner.phone})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0


def test_replies_from_the_office_are_coalesced_into_one_text_per_half_hour():
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from backend.workorders.live.owner_texts import owner_reply_notify

    home, _ = home_with_owner()
    order = home.side.order
    start = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    for minutes in (0, 5, 12, 29):
        owner_reply_notify(order=order, comment_id=f"c{minutes}", now=start + timedelta(minutes=minutes))
    assert Delivery.objects.filter(event_type="sms.message_reply").count() == 1
    owner_reply_notify(order=order, comment_id="c-later", now=start + timedelta(minutes=31))
    assert Delivery.objects.filter(event_type="sms.message_reply").count() == 2


def test_quotes_are_texted_at_most_three_times_a_day_per_order():
    from django.utils import timezone

    from backend.workorders.models import WorkOrder
    from backend.workorders.owner import steps as owner_services

    home, _ = home_with_owner()
    order = home.side.order
    WorkOrder.objects.filter(id=order.id).update(warranty_verdict="out")
    for amount in ("100", "120", "130", "140", "150"):
        owner_services.quote_send(actor=home.side.technician, order_id=order.id, amount_yuan=amount, note="",
                                  now=timezone.now())
    assert Delivery.objects.filter(event_type="sms.quote_ready").count() == 3
