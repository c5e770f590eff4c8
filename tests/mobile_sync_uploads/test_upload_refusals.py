"""What the upload path refuses: strangers, other devices, orders out of scope, bombs, oversized files."""

from __future__ import annotations

from typing import Any

import pytest

from backend.accounts.roles import Role
from backend.workorders.models import Attachment, TimelineEvent
from backend.workorders.records.photos import MAX_UPLOAD_BYTES
from mobile_sync.uploads import storage
from mobile_sync.uploads.models import UploadSession
from tests.factories import user_with_roles
from tests.mobile_sync_uploads.phone import Phone, png_bomb, random_jpeg

pytestmark = pytest.mark.django_db


def _rows() -> list[Any]:
    return list(UploadSession.objects.order_by("id").values())


@pytest.mark.parametrize("data, reason", [(png_bomb(), "too_many_pixels"),
                                          (b"<html><script>alert(1)</script></html>", "unsupported_format")])
def test_a_file_that_is_no_acceptable_photo_is_rejected_and_nothing_is_stored(
        sides, phone, data, reason, django_capture_on_commit_callbacks):
    a, _b = sides
    events_before = TimelineEvent.objects.filter(order=a.order).count()
    upload_id = phone.create(a.order.id, data).json()["id"]
    phone.send(upload_id, data, 64 * 1024)

    with django_capture_on_commit_callbacks(execute=True):
        response = phone.complete(upload_id)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "upload_rejected" and response.json()["details"]["reason"] == reason
    session = UploadSession.objects.get(id=upload_id)
    assert session.status == "rejected" and session.reason == reason and session.attachment is None
    assert not Attachment.objects.exists()
    assert TimelineEvent.objects.filter(order=a.order).count() == events_before
    assert not storage.part_path(upload_id).exists()

    again = phone.complete(upload_id)  # the same answer, still nothing stored
    assert again.status_code == 400 and again.json()["details"]["reason"] == reason
    assert phone.put(upload_id, 0, data[:10]).status_code == 400
    assert phone.get(upload_id).json()["status"] == "rejected"


def test_another_technicians_upload_looks_missing_and_stays_unchanged(sides, phone):
    a, b = sides
    data = random_jpeg(20)
    upload_id = phone.create(a.order.id, data).json()["id"]
    phone.put(upload_id, 0, data[:500])
    before = _rows()

    stranger = Phone(user=b.technician)
    for response in (stranger.get(upload_id), stranger.put(upload_id, 500, data[500:]),
                     stranger.complete(upload_id)):
        assert response.status_code == 404, response.content
        assert response.json()["code"] == "not_found"
    assert _rows() == before
    assert storage.part_path(upload_id).read_bytes() == data[:500]
    assert not Attachment.objects.exists()


def test_an_upload_belongs_to_the_device_that_opened_it(sides, phone):
    a, _b = sides
    data = random_jpeg(21)
    upload_id = phone.create(a.order.id, data).json()["id"]
    before = _rows()
    tablet = Phone(user=a.technician, name="tablet")  # same technician, another device token
    assert tablet.get(upload_id).status_code == 404
    assert tablet.put(upload_id, 0, data).status_code == 404
    assert _rows() == before


def test_an_upload_whose_order_left_the_technicians_scope_looks_missing(sides, phone):
    a, b = sides
    data = random_jpeg(22)
    upload_id = phone.create(a.order.id, data).json()["id"]
    phone.send(upload_id, data, 2048)
    a.order.technician = b.technician  # reassigned while the phone was uploading
    a.order.save(update_fields=["technician"])
    assert phone.complete(upload_id).status_code == 404
    assert not Attachment.objects.exists()
    assert UploadSession.objects.get(id=upload_id).status == "open"


def test_opening_an_upload_for_an_order_outside_the_scope_is_404(sides):
    a, b = sides
    stranger = Phone(user=b.technician)
    response = stranger.create(a.order.id, random_jpeg(23))
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert not UploadSession.objects.exists()


def test_a_role_without_order_access_is_403_everywhere(sides, phone):
    a, _b = sides
    data = random_jpeg(24)
    upload_id = phone.create(a.order.id, data).json()["id"]
    before = _rows()
    sales = Phone(user=user_with_roles(Role.SALES))
    for response in (sales.create(a.order.id, data), sales.get(upload_id), sales.put(upload_id, 0, data),
                     sales.complete(upload_id)):
        assert response.status_code == 403, response.content
        assert response.json()["code"] == "permission_denied"
    assert _rows() == before


def test_a_declared_size_above_the_upload_limit_is_413(sides, phone):
    a, _b = sides
    response = phone.create(a.order.id, b"x", size=MAX_UPLOAD_BYTES + 1)
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert response.json()["details"]["max_bytes"] == MAX_UPLOAD_BYTES
    assert not UploadSession.objects.exists()


@pytest.mark.parametrize("override", [{"client_id": "short"}, {"client_id": "with-dash-123456"},
                                      {"sha256": "z" * 64}, {"size": 0}, {"unexpected": 1}])
def test_a_malformed_declaration_is_422(sides, phone, override):
    a, _b = sides
    response = phone.create(a.order.id, random_jpeg(25), **override)
    assert response.status_code == 422, response.content
    assert not UploadSession.objects.exists()


def test_a_chunk_above_the_request_limit_is_refused_before_it_is_read(sides, phone, settings):
    a, _b = sides
    settings.MAX_REQUEST_BYTES = 1024
    data = random_jpeg(26)
    upload_id = phone.create(a.order.id, data).json()["id"]
    response = phone.put(upload_id, 0, data[:2048])
    assert response.status_code == 413
    assert UploadSession.objects.get(id=upload_id).received == 0


def test_calls_without_a_device_token_are_401(sides):
    a, _b = sides
    from django.test import Client

    response = Client().post("/api/v1/sync/uploads", data={}, content_type="application/json")
    assert response.status_code == 401


def test_a_device_cannot_hold_more_unfinished_uploads_than_its_quota(sides, phone, monkeypatch):
    from mobile_sync.uploads import services as upload_services

    a, _b = sides
    monkeypatch.setattr(upload_services, "MAX_OPEN_UPLOADS_PER_DEVICE", 3)
    for n in range(3):
        assert phone.create(a.order.id, random_jpeg(20 + n)).status_code == 201
    refused = phone.create(a.order.id, random_jpeg(30))
    assert refused.status_code == 429, refused.content
    assert refused.json()["code"] == "upload_quota_exceeded"
    assert refused.json()["details"]["open_uploads"] == 3
    assert "未完成" in refused.json()["message"]
    assert UploadSession.objects.filter(status="open").count() == 3


def test_the_quota_counts_the_bytes_a_device_reserved(sides, phone, monkeypatch):
    from mobile_sync.uploads import services as upload_services

    a, _b = sides
    monkeypatch.setattr(upload_services, "MAX_OPEN_BYTES_PER_DEVICE", 1000)
    assert phone.create(a.order.id, b"x" * 600).status_code == 201
    refused = phone.create(a.order.id, b"y" * 600)
    assert refused.status_code == 429 and refused.json()["details"]["open_bytes"] == 600
