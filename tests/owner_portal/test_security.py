"""Verification and scope: nobody reaches a home's repairs without its owner's phone, and a miss changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from backend.notifications.models import Delivery
from backend.workorders.models import Comment, WorkOrder
from owner_portal.models import OtpChallenge
from tests.authz.framework import database_snapshot
from tests.factories import OwnerFactory, PublicAreaFactory, QrTokenFactory
from tests.owner_portal.helpers import home_with_owner, last_code, verified_client, verify

pytestmark = pytest.mark.django_db


def test_a_scanned_code_shows_the_place_but_no_owner_data():
    home, _ = home_with_owner()
    type(home.owner).objects.filter(id=home.owner.id).update(name="王小明", phone="+8613712349876")
    text = Client().get(f"/q/{home.token}").content.decode()
    assert home.unit.number in text
    assert "王小明" not in text and "9876" not in text


def test_pages_of_a_home_need_a_verified_phone():
    home, _ = home_with_owner()
    client = Client()
    assert client.get(f"/q/{home.token}/report")["Location"].startswith(f"/q/{home.token}/verify")
    assert client.get(f"/portal/orders/{home.side.order.id}")["Location"].startswith("/portal/login")
    assert client.get(f"/portal/orders/{home.side.order.id}/events",
                      HTTP_X_REQUESTED_WITH="fetch").status_code == 401


def test_a_phone_that_is_not_the_homes_owner_gets_no_code_and_the_same_answer():
    home, _ = home_with_owner()
    stranger = OwnerFactory()
    as_stranger = Client().post(f"/q/{home.token}/verify", {"action": "send", "phone": stranger.phone})
    as_owner = Client().post(f"/q/{home.token}/verify", {"action": "send", "phone": home.owner.phone})
    assert as_stranger.status_code == as_owner.status_code == 200
    assert as_stranger.context["step"] == as_owner.context["step"] == "code"
    sent = Delivery.objects.filter(event_type="sms.otp_code")
    assert [d.target_id for d in sent] == [home.owner.phone]


def test_the_code_is_stored_only_as_a_keyed_hash():
    home, _ = home_with_owner()
    Client().post(f"/q/{home.token}/verify", {"action": "send", "phone": home.owner.phone})
    challenge = OtpChallenge.objects.get()
    code = last_code(home.owner.phone)
    assert code not in challenge.code_hash and len(challenge.code_hash) == 64
    assert challenge.expires_at - challenge.created_at == timedelta(minutes=5)


def test_five_wrong_codes_kill_the_code_even_the_right_one_after():
    home, _ = home_with_owner()
    client = Client()
    url = f"/q/{home.token}/verify"
    client.post(url, {"action": "send", "phone": home.owner.phone})
    right = last_code(home.owner.phone)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        assert client.post(url, {"action": "check", "code": wrong}).status_code == 422
    assert OtpChallenge.objects.get().attempts == 5
    # The session forgot the dead code: checking again (even the right code) starts over with a new one.
    response = client.post(url, {"action": "check", "code": right})
    assert "portal_owner" not in client.session
    assert OtpChallenge.objects.get().verified_at is None
    assert response.status_code in {200, 422}


def test_an_expired_code_is_refused():
    home, _ = home_with_owner()
    client = Client()
    url = f"/q/{home.token}/verify"
    client.post(url, {"action": "send", "phone": home.owner.phone})
    OtpChallenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post(url, {"action": "check", "code": last_code(home.owner.phone)})
    assert response.status_code == 422 and "已过期" in response.content.decode()
    assert "portal_owner" not in client.session


def test_codes_are_rate_limited_per_phone():
    home, _ = home_with_owner()
    url = f"/q/{home.token}/verify"
    statuses = [Client(REMOTE_ADDR=f"10.0.0.{i}").post(url, {"action": "send", "phone": home.owner.phone}).status_code
                for i in range(7)]
    assert statuses[:5] == [200] * 5
    assert statuses[5] == 429  # the form shows the wait, in Chinese, with Retry-After
    assert Delivery.objects.filter(event_type="sms.otp_code").count() == 5


def test_an_owner_never_reaches_another_homes_order_and_nothing_changes():
    mine, theirs = home_with_owner()
    client = verified_client(mine)
    other = theirs.side.order
    before = database_snapshot()
    assert client.get(f"/portal/orders/{other.id}").status_code == 404
    assert client.get(f"/portal/orders/{other.id}/live").status_code == 404
    assert client.get(f"/portal/orders/{other.id}/events", HTTP_X_REQUESTED_WITH="fetch").status_code == 404
    for action, body in (("message", {"body": "你好"}), ("cancel", {"reason": "x"}), ("reopen", {"reason": "x"}),
                         ("rate", {"timeliness": 5, "attitude": 5, "quality": 5})):
        assert client.post(f"/portal/orders/{other.id}/{action}", body).status_code == 404
    assert client.get(f"/q/{theirs.token}/report").status_code == 404
    assert database_snapshot() == before
    assert other.number not in client.get("/portal/orders").content.decode()


def test_forms_need_the_csrf_token():
    home, _ = home_with_owner()
    client = Client(enforce_csrf_checks=True)
    assert client.post(f"/q/{home.token}/verify", {"action": "send", "phone": home.owner.phone}).status_code == 403


def test_a_public_area_code_accepts_any_verified_phone_and_scopes_to_its_reports():
    area = PublicAreaFactory()
    token = QrTokenFactory(unit=None, public_area=area).token
    client = Client()
    response = verify(client, token, "+8613912345678")
    assert response.status_code == 302
    response = client.post(f"/q/{token}/report", {"category_code": "elevator", "description": "3 号电梯门关不上"})
    assert response.status_code == 302
    order = WorkOrder.objects.get(public_area=area)
    assert order.contact_phone == "+8613912345678" and order.reporter_owner_id is None
    assert client.get(f"/portal/orders/{order.id}").status_code == 200


def test_a_bad_photo_saves_nothing():
    from django.core.files.uploadedfile import SimpleUploadedFile

    home, _ = home_with_owner()
    client = verified_client(home)
    before = WorkOrder.objects.count()
    response = client.post(f"/q/{home.token}/report", {
        "category_code": "bathroom-leak", "description": "漏水",
        "photos": [SimpleUploadedFile("x.jpg", b"not an image at all", "image/jpeg")]})
    assert response.status_code == 400
    assert WorkOrder.objects.count() == before


def test_ten_photos_are_refused():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.owner_portal.helpers import jpeg

    home, _ = home_with_owner()
    client = verified_client(home)
    photos = [SimpleUploadedFile(f"{i}.jpg", jpeg(40, 40, (i, i, i)), "image/jpeg") for i in range(10)]
    response = client.post(f"/q/{home.token}/report", {"category_code": "bathroom-leak", "description": "漏水",
                                                       "photos": photos})
    assert response.status_code == 422 and "最多 9 张照片" in response.content.decode()
    assert not Comment.objects.exists() and WorkOrder.objects.filter(channel="qr").count() == 0


def test_nul_characters_are_dropped_from_a_report_instead_of_failing():
    home, _ = home_with_owner()
    client = verified_client(home)
    response = client.post(f"/q/{home.token}/report", {"category_code": "bathroom-leak", "description": "漏\x00水",
                                                       "location_detail": "主\x00卫", "choice": "new"})
    assert response.status_code == 302
    order = WorkOrder.objects.get(channel="qr")
    assert (order.description, order.location_detail) == ("漏水", "主卫")
