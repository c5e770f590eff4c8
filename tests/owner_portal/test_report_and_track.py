from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from backend.workorders.models import Attachment, WorkOrder
from tests.owner_portal.helpers import home_with_owner, jpeg, verified_client

pytestmark = pytest.mark.django_db


def test_an_owner_reports_a_leak_with_two_photos_and_follows_it():
    home, _other = home_with_owner()
    client = verified_client(home)
    photos = [SimpleUploadedFile("a.jpg", jpeg(color=(10, 20, 30)), "image/jpeg"),
              SimpleUploadedFile("b.jpg", jpeg(color=(90, 20, 30)), "image/jpeg")]
    response = client.post(f"/q/{home.token}/report", {
        "category_code": "bathroom-leak", "description": "卫生间天花板漏水", "location_detail": "主卫",
        "photos": photos})
    assert response.status_code == 302, response.content.decode()[:800]
    order = WorkOrder.objects.get(channel="qr")
    assert order.unit_id == home.unit.id and order.reporter_owner_id == home.owner.id
    assert Attachment.objects.filter(order=order).count() == 2
    page = client.get(response["Location"])
    text = page.content.decode()
    assert page.status_code == 200 and order.number in text and "已受理" in text


def test_an_owner_who_reports_in_english_gets_the_orders_text_messages_in_english():
    from django.conf import settings
    from django.utils import timezone, translation

    from backend.notifications import sms
    from backend.notifications.models import Delivery
    from backend.workorders.live.owner_texts import owner_reply_notify

    home, _other = home_with_owner()
    client = verified_client(home)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(f"/q/{home.token}/report", {"category_code": "bathroom-leak",
                                                       "description": "Water drips from the bathroom ceiling"})
    assert response.status_code == 302, response.content.decode()[:800]
    order = WorkOrder.objects.get(channel="qr")
    assert order.contact_language == "en"

    owner_reply_notify(order=order, comment_id="c1", now=timezone.now())  # the office answered on the thread
    delivery = Delivery.objects.get(event_type="sms.message_reply")
    assert delivery.payload["language"] == "en"
    with translation.override(delivery.payload["language"]):
        text = sms.sms_render(template=delivery.payload["template"], params=delivery.payload["params"])
    assert order.number in text and not any("\u4e00" <= ch <= "\u9fff" for ch in text), text


def test_an_order_taken_without_a_language_texts_its_contact_in_the_default_language():
    from django.utils import timezone

    from backend.notifications.models import Delivery
    from backend.workorders.live.owner_texts import owner_reply_notify
    from tests.workorders.factories import WorkOrderFactory

    order = WorkOrderFactory()
    assert order.contact_language == ""
    owner_reply_notify(order=order, comment_id="c1", now=timezone.now())
    assert Delivery.objects.get(event_type="sms.message_reply").payload["language"] == "zh-hans"
