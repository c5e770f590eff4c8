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
