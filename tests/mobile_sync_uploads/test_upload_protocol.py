"""The resumable upload path as a phone drives it: open, send chunks, resume, complete."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from backend.workorders.models import Attachment, TimelineEvent
from backend.workorders.records.photos import clean_upload
from backend.workorders.services import attachment_add
from mobile_sync.uploads import services, storage
from mobile_sync.uploads.errors import UploadOffsetMismatch
from mobile_sync.uploads.models import UploadSession
from tests.mobile_sync_uploads.phone import new_client_id, noise, random_jpeg, sha256

pytestmark = pytest.mark.django_db


def jpeg_with_gps() -> bytes:
    image = noise(7, 80, 60)
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (31.0, 13.0, 49.0), 3: "E", 4: (121.0, 28.0, 25.0)}  # GPSInfo
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def test_a_photo_sent_in_three_chunks_becomes_the_orders_attachment(
        sides, phone, upload_dir, django_capture_on_commit_callbacks):
    a, _b = sides
    data = jpeg_with_gps()
    created = phone.create(a.order.id, data)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["offset"] == 0 and body["size"] == len(data) and body["status"] == "open"
    assert body["attachment_id"] is None
    upload_id = body["id"]

    third = len(data) // 3 + 1
    offsets = []
    for start in range(0, len(data), third):
        response = phone.put(upload_id, start, data[start:start + third])
        assert response.status_code == 200, response.content
        offsets.append(response.json()["offset"])
    assert offsets == [third, 2 * third, len(data)]
    assert storage.part_path(upload_id).read_bytes() == data

    with django_capture_on_commit_callbacks(execute=True):
        done = phone.complete(upload_id)
    assert done.status_code == 200, done.content
    result = done.json()
    assert result["status"] == "complete" and result["deduplicated"] is False

    attachment = Attachment.objects.get(id=result["attachment_id"])
    assert attachment.order_id == a.order.id and attachment.uploaded_by == a.technician
    assert attachment.sha256 == sha256(data) and attachment.original_name == "漏水.jpg"
    stored = Image.open(default_storage.open(attachment.file.name))
    assert not stored.getexif().get_ifd(0x8825)  # no GPS location left
    assert TimelineEvent.objects.filter(order=a.order, kind=TimelineEvent.Kind.ATTACHMENT,
                                        data__attachment_id=str(attachment.id)).count() == 1
    assert not storage.part_path(upload_id).exists()
    assert phone.get(upload_id).json() == {"id": upload_id, "offset": len(data), "size": len(data),
                                            "status": "complete", "attachment_id": str(attachment.id),
                                            "deduplicated": False}


def test_after_a_cut_the_phone_asks_for_the_offset_and_resumes_from_there(sides, phone):
    a, _b = sides
    data = random_jpeg(1, 160, 120)
    upload_id = phone.create(a.order.id, data).json()["id"]
    assert phone.put(upload_id, 0, data[:1000]).status_code == 200
    # The second chunk arrives, but the answer is lost in the lift shaft: the phone does not know.
    assert phone.put(upload_id, 1000, data[1000:2500]).status_code == 200

    status = phone.get(upload_id)
    assert status.status_code == 200
    assert status.json()["offset"] == 2500 and status.json()["status"] == "open"
    phone.send(upload_id, data, 1500, start=2500)
    done = phone.complete(upload_id)
    assert done.status_code == 200, done.content
    assert Attachment.objects.get(id=done.json()["attachment_id"]).sha256 == sha256(data)


def test_a_chunk_at_the_wrong_offset_gets_409_with_the_servers_offset_and_changes_nothing(sides, phone):
    a, _b = sides
    data = random_jpeg(2)
    upload_id = phone.create(a.order.id, data).json()["id"]
    ahead = phone.put(upload_id, 100, data[100:200])
    assert ahead.status_code == 409
    assert ahead.json()["code"] == "upload_offset_mismatch" and ahead.json()["details"]["offset"] == 0
    assert UploadSession.objects.get(id=upload_id).received == 0
    assert not storage.part_path(upload_id).exists()

    assert phone.put(upload_id, 0, data[:300]).status_code == 200
    repeated = phone.put(upload_id, 0, data[:300])  # a retry of a chunk that was already taken
    assert repeated.status_code == 409 and repeated.json()["details"]["offset"] == 300
    assert storage.part_path(upload_id).read_bytes() == data[:300]


def test_the_offset_may_come_as_a_query_parameter_and_is_required(sides, phone):
    a, _b = sides
    data = random_jpeg(3)
    upload_id = phone.create(a.order.id, data).json()["id"]
    assert phone.put(upload_id, 0, data[:50], via_query=True).json() == {"offset": 50}
    missing = phone.client.put(f"/api/v1/sync/uploads/{upload_id}", data=data[50:], content_type="application/octet-stream",
                               **phone.headers)
    assert missing.status_code == 422 and missing.json()["code"] == "upload_offset_required"
    wrong_type = phone.put(upload_id, 50, data[50:], content_type="application/json")
    assert wrong_type.status_code == 415 and wrong_type.json()["code"] == "unsupported_media_type"
    assert UploadSession.objects.get(id=upload_id).received == 50


def test_a_chunk_beyond_the_declared_size_is_refused(sides, phone):
    a, _b = sides
    data = random_jpeg(4)
    upload_id = phone.create(a.order.id, data).json()["id"]
    response = phone.put(upload_id, 0, data + b"extra")
    assert response.status_code == 422 and response.json()["code"] == "upload_overflow"
    assert UploadSession.objects.get(id=upload_id).received == 0


def test_two_chunks_for_the_same_offset_append_once(sides, phone, monkeypatch):
    a, _b = sides
    data = random_jpeg(5)
    upload_id = phone.create(a.order.id, data).json()["id"]
    seen_before = UploadSession.objects.get(id=upload_id)  # what a concurrent request read: offset 0
    assert phone.put(upload_id, 0, data[:400]).status_code == 200

    monkeypatch.setattr(services, "upload_get", lambda **kwargs: seen_before)
    with pytest.raises(UploadOffsetMismatch) as caught:
        services.upload_append(actor=a.technician, device_token=phone.token, upload_id=seen_before.id, offset=0,
                               data=b"\x00" * 400, now=seen_before.created_at)
    assert caught.value.details["offset"] == 400
    assert storage.part_path(upload_id).read_bytes() == data[:400]
    assert UploadSession.objects.get(id=upload_id).received == 400


def test_opening_the_same_client_id_again_returns_the_same_upload(sides, phone):
    a, _b = sides
    data = random_jpeg(6)
    client_id = new_client_id()
    first = phone.create(a.order.id, data, client_id=client_id)
    assert first.status_code == 201
    phone.put(first.json()["id"], 0, data[:700])

    again = phone.create(a.order.id, data, client_id=client_id)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"] and again.json()["offset"] == 700
    assert UploadSession.objects.count() == 1

    other = phone.create(a.order.id, random_jpeg(60), client_id=client_id)
    assert other.status_code == 409 and other.json()["code"] == "upload_client_id_reused"
    assert set(other.json()["details"]["fields"]) == {"sha256", "size"}
    assert UploadSession.objects.get().sha256 == sha256(data)


def test_a_file_the_order_already_has_completes_at_once_without_bytes(sides, phone):
    a, _b = sides
    data = random_jpeg(8)
    existing, _created = attachment_add(actor=a.technician, order_id=a.order.id, data=data, original_name="a.jpg",
                                        owner_visible=True, now=a.order.created_at)
    response = phone.create(a.order.id, data)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "complete" and body["attachment_id"] == str(existing.id) and body["deduplicated"]
    done = phone.complete(body["id"])
    assert done.json() == {"id": body["id"], "status": "complete", "attachment_id": str(existing.id),
                           "deduplicated": True}
    assert Attachment.objects.count() == 1
    assert phone.put(body["id"], 0, data).status_code == 409  # nothing more to send


def test_a_file_attached_meanwhile_by_someone_else_is_reported_as_deduplicated(sides, phone):
    a, _b = sides
    data = random_jpeg(9)
    upload_id = phone.create(a.order.id, data).json()["id"]
    phone.send(upload_id, data, 4096)
    staff_copy, _created = attachment_add(actor=a.dispatcher, order_id=a.order.id, data=data, original_name="b.jpg",
                                          owner_visible=False, now=a.order.created_at)
    done = phone.complete(upload_id)
    assert done.status_code == 200
    assert done.json()["attachment_id"] == str(staff_copy.id) and done.json()["deduplicated"] is True
    assert Attachment.objects.count() == 1


def test_bytes_that_do_not_match_the_declared_hash_reset_the_upload(sides, phone):
    a, _b = sides
    data = random_jpeg(10, 128, 96)
    upload_id = phone.create(a.order.id, data).json()["id"]
    corrupted = data[:2000] + bytes(b ^ 0xFF for b in data[2000:2100]) + data[2100:]
    phone.send(upload_id, corrupted, 3000)

    mismatch = phone.complete(upload_id)
    assert mismatch.status_code == 422 and mismatch.json()["code"] == "upload_hash_mismatch"
    assert mismatch.json()["details"]["offset"] == 0
    assert phone.get(upload_id).json()["offset"] == 0 and phone.get(upload_id).json()["status"] == "open"
    assert storage.part_path(upload_id).read_bytes() == b""
    assert not Attachment.objects.exists()

    phone.send(upload_id, data, 3000)
    done = phone.complete(upload_id)
    assert done.status_code == 200, done.content
    assert Attachment.objects.get().sha256 == sha256(data)


def test_completing_twice_gives_the_same_answer_and_one_attachment(sides, phone):
    a, _b = sides
    data = random_jpeg(11)
    upload_id = phone.create(a.order.id, data).json()["id"]
    phone.send(upload_id, data, 1024)
    first = phone.complete(upload_id)
    second = phone.complete(upload_id)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert Attachment.objects.count() == 1
    assert Attachment.objects.get().file.read() == clean_upload(data).content
    assert TimelineEvent.objects.filter(order=a.order, kind=TimelineEvent.Kind.ATTACHMENT).count() == 1


def test_completing_before_every_byte_arrived_is_refused(sides, phone):
    a, _b = sides
    data = random_jpeg(12)
    upload_id = phone.create(a.order.id, data).json()["id"]
    phone.put(upload_id, 0, data[:10])
    response = phone.complete(upload_id)
    assert response.status_code == 409 and response.json()["code"] == "upload_incomplete"
    assert response.json()["details"] == {"offset": 10, "size": len(data)}
    assert UploadSession.objects.get(id=upload_id).status == "open"
