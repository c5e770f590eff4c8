"""The owner's side of the handover: the SMS link, verified like the portal, picks or changes a slot (a
full one is refused with a clear message), then shows the inspection and its defects' progress; another
phone sees a 404 and changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from backend.handover import services
from backend.handover.models import Item, Slot
from tests.authz.framework import database_snapshot
from tests.handover.world import NOW, invite_all, jpeg, png, site, slot
from tests.owner_portal.helpers import invited_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def test_the_invited_owner_picks_a_slot_and_changes_it_and_a_full_slot_is_refused_clearly():
    s = site()
    a, b, _c = invite_all(s)
    one, two = slot(s, capacity=1), slot(s, hours=26, capacity=3)
    services.appointment_book(item_id=b.id, slot_id=one.id, now=NOW)  # the neighbour takes the only seat
    client = invited_client(a.phone, a.invite_token)
    page = client.get(f"/portal/handover/{a.invite_token}").content.decode()
    assert "选择交房时间" in page and "已约满" in page and "剩 3 个名额" in page
    before = database_snapshot()
    full = client.post(f"/portal/handover/{a.invite_token}/book", {"slot_id": str(one.id)})
    assert full.status_code == 409 and "该时段已约满，请选择其他时段。" in full.content.decode()
    nothing = client.post(f"/portal/handover/{a.invite_token}/book", {"slot_id": "x"})
    assert nothing.status_code == 422 and "请选择一个时段" in nothing.content.decode()
    assert database_snapshot() == before
    booked = client.post(f"/portal/handover/{a.invite_token}/book", {"slot_id": str(two.id)})
    assert booked.status_code == 302
    page = client.get(booked["Location"]).content.decode()
    assert "预约成功" in page and 'id="appointment-time"' in page
    three = slot(s, hours=30, capacity=1)
    assert client.post(f"/portal/handover/{a.invite_token}/book", {"slot_id": str(three.id)}).status_code == 302
    assert (Slot.objects.get(id=two.id).booked, Slot.objects.get(id=three.id).booked) == (0, 1)
    assert "我的交房" in client.get("/portal/orders").content.decode()


def test_another_phone_cannot_open_or_book_someone_elses_invitation():
    s = site()
    a, b, _c = invite_all(s)
    one = slot(s)
    client = invited_client(b.phone, b.invite_token)
    before = database_snapshot()
    assert client.get(f"/portal/handover/{a.invite_token}").status_code == 404
    assert client.post(f"/portal/handover/{a.invite_token}/book", {"slot_id": str(one.id)}).status_code == 404
    assert client.get("/portal/handover/forged-token").status_code == 404
    assert database_snapshot() == before


def test_after_the_inspection_the_owner_sees_the_defects_and_their_progress():
    s = site()
    a = invite_all(s)[0]
    client = invited_client(a.phone, a.invite_token)
    services.inspection_start(actor=s.officer, item_id=a.id, now=NOW)
    lines = list(Item.objects.get(id=a.id).inspection.lines.all())
    services.inspection_line_ok(actor=s.officer, line_id=lines[0].id)
    made = [services.defect_report(actor=s.officer, item_id=a.id, category_code=code, description=text,
                                   line_id=lines[i + 1].id, photos=[jpeg()], now=NOW)
            for i, (code, text) in enumerate([("wall-paint", "墙面开裂"), ("bathroom-leak", "地漏反水")])]
    services.inspection_sign(actor=s.officer, item_id=a.id, signature_png=png(), now=NOW)
    page = client.get(f"/portal/handover/{a.invite_token}").content.decode()
    assert "我的验房" in page and "1 项合格" in page
    for defect in made:
        assert f'data-defect="{defect.order.number}"' in page
    assert "已受理" in page or "已派单" in page
    # Handed over: the owner now owns the home, so each defect links to its tracking page.
    services.handover_complete(actor=s.officer, item_id=a.id, now=NOW + timedelta(hours=1))
    page = client.get(f"/portal/handover/{a.invite_token}").content.decode()
    assert f'href="/portal/orders/{made[0].order_id}"' in page
    assert client.get(f"/portal/orders/{made[0].order_id}").status_code == 200
