"""Property: however a photo is cut into chunks, and whatever chunks are sent twice, the same attachment results."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.workorders.models import Attachment
from backend.workorders.records.photos import clean_upload
from mobile_sync.uploads import storage
from tests.mobile_sync_uploads.phone import random_jpeg, sha256

pytestmark = pytest.mark.django_db

# The world (fixtures) is built once per test; each example runs in a transaction that is rolled back.
PROPERTY = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@dataclass(frozen=True)
class Plan:
    data: bytes
    cuts: list[int]  # where one chunk ends and the next begins
    replays: list[str]  # per chunk: "none", "again" (the same chunk once more), "ahead" (a later offset)


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    data = random_jpeg(draw(st.integers(0, 2**32 - 1)), draw(st.integers(8, 120)), draw(st.integers(8, 90)))
    cuts = sorted(draw(st.sets(st.integers(1, len(data) - 1), max_size=8)))
    replays = draw(st.lists(st.sampled_from(["none", "again", "ahead"]), min_size=len(cuts) + 1,
                            max_size=len(cuts) + 1))
    return Plan(data=data, cuts=cuts, replays=replays)


@PROPERTY
@given(plan=plans())
def test_any_split_of_a_photo_assembles_to_the_same_attachment(sides, phone, plan: Plan):
    a, _b = sides
    data = plan.data
    with transaction.atomic():
        upload_id = phone.create(a.order.id, data).json()["id"]
        bounds = [0, *plan.cuts, len(data)]
        for (start, end), replay in zip(itertools.pairwise(bounds), plan.replays, strict=True):
            sent = phone.put(upload_id, start, data[start:end])
            assert sent.status_code == 200, sent.content
            assert sent.json()["offset"] == end
            if replay == "again":
                refused = phone.put(upload_id, start, data[start:end])
            elif replay == "ahead" and end + 1 < len(data):  # a non-empty chunk that starts past the offset
                refused = phone.put(upload_id, end + 1, data[end + 1:])
            else:
                continue
            assert refused.status_code == 409, refused.content
            assert refused.json()["details"]["offset"] == end
        assert storage.part_path(upload_id).read_bytes() == data

        done = phone.complete(upload_id)
        assert done.status_code == 200, done.content
        attachment = Attachment.objects.get(id=done.json()["attachment_id"])
        expected = clean_upload(data)
        assert attachment.sha256 == expected.sha256 == sha256(data)
        assert attachment.file.read() == expected.content
        transaction.set_rollback(True)
