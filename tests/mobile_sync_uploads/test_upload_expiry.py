"""Uploads left open for more than 24 hours are expired and their bytes deleted."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.utils import timezone

from mobile_sync.uploads import services, storage
from mobile_sync.uploads.models import UploadSession
from mobile_sync.uploads.tasks import uploads_expire
from tests.mobile_sync_uploads.phone import new_client_id, random_jpeg, sha256

pytestmark = pytest.mark.django_db


def _open(sides, phone, data: bytes, *, opened_at):
    a, _b = sides
    session, _created = services.upload_create(actor=a.technician, device_token=phone.token,
                                               client_id=new_client_id(), order_id=a.order.id, size=len(data),
                                               sha256=sha256(data), filename="p.jpg", owner_visible=True,
                                               now=opened_at)
    services.upload_append(actor=a.technician, device_token=phone.token, upload_id=session.id, offset=0,
                           data=data[:100], now=opened_at)
    return session


def test_uploads_older_than_a_day_expire_once_and_lose_their_bytes(sides, phone):
    now = timezone.now()
    data = random_jpeg(30)
    old = _open(sides, phone, data, opened_at=now - timedelta(hours=25))
    fresh = _open(sides, phone, data, opened_at=now - timedelta(hours=1))

    assert services.uploads_expire(now=now) == 1
    assert services.uploads_expire(now=now) == 0  # running twice expires nothing twice
    old.refresh_from_db()
    assert old.status == "expired" and old.updated_at == now
    assert not storage.part_path(old.id).exists()
    assert UploadSession.objects.get(id=fresh.id).status == "open"
    assert storage.part_path(fresh.id).read_bytes() == data[:100]

    gone = phone.put(old.id, 100, data[100:])
    assert gone.status_code == 410 and gone.json()["code"] == "upload_expired"
    assert phone.get(old.id).json()["status"] == "expired"


def test_an_upload_past_its_day_is_refused_even_before_the_sweep(sides, phone):
    data = random_jpeg(31)
    session = _open(sides, phone, data, opened_at=timezone.now() - timedelta(hours=24, seconds=1))
    response = phone.put(session.id, 100, data[100:])
    assert response.status_code == 410
    session.refresh_from_db()
    assert session.status == "expired" and session.received == 100
    assert not storage.part_path(session.id).exists()


def test_the_sweep_removes_partial_files_no_open_upload_owns(sides, phone, upload_dir):
    now = timezone.now()
    data = random_jpeg(32)
    kept = _open(sides, phone, data, opened_at=now - timedelta(hours=2))
    upload_dir.mkdir(parents=True, exist_ok=True)
    lost = upload_dir / "0b7f2d2e-3c3a-4d8e-9d55-5b3b0f6d2a11.part"  # left by a crash
    lost.write_bytes(b"partial")
    recent = upload_dir / "6a0d4b0e-8f0c-4c6b-a3a3-0f2f6b1d9e22.part"  # its row may not be committed yet
    recent.write_bytes(b"partial")
    old_time = (now - timedelta(hours=30)).timestamp()
    os.utime(lost, (old_time, old_time))
    os.utime(storage.part_path(kept.id), (old_time, old_time))

    services.uploads_expire(now=now)
    assert not lost.exists()
    assert recent.exists()
    assert storage.part_path(kept.id).exists()


def test_the_beat_task_runs_the_sweep(sides, phone):
    data = random_jpeg(33)
    _open(sides, phone, data, opened_at=timezone.now() - timedelta(days=2))
    assert uploads_expire.name == "mobile_sync.uploads_expire"
    assert uploads_expire() == 1
