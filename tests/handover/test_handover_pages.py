"""The handover officer's pages: a batch, its slots, the day's schedule, the inspection page with its
checklist, defects (orders through the intake), signature, keys and completion; bad input answers in
Chinese with a 4xx and changes nothing."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from backend.accounts.roles import Role
from backend.handover import services
from backend.handover.models import Batch, Defect, Item, ItemStatus, KeyHanded, MeterReading, Slot
from backend.workorders.models import Channel, WorkOrder
from tests.authz.framework import database_snapshot
from tests.factories import user_with_roles
from tests.handover.world import NOW, invite_all, jpeg, png, site, slot

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_officer_lands_on_the_batches_and_sees_the_handover_navigation():
    s = site()
    c = client_of(s.officer)
    assert c.get("/")["Location"] == "/handover/"
    page = c.get("/handover/").content.decode()
    assert "交房批次" in page and "交房日程" in page and s.batch.name in page


def test_a_batch_is_created_for_a_building_and_bad_dates_are_refused_in_chinese():
    s = site()
    c = client_of(s.officer)
    before = database_snapshot()
    bad = c.post("/handover/batches", {"name": "二期", "building_id": str(s.building.id), "start_date": "2026-03-10",
                                       "end_date": "2026-03-01"})
    assert bad.status_code == 422 and "结束日期早于开始日期" in bad.content.decode()
    garbage = c.post("/handover/batches", {"name": "二期", "building_id": "nope", "start_date": "2026-02-30",
                                           "end_date": "x"})
    assert garbage.status_code == 422 and "请从列表中选择" in garbage.content.decode()
    assert database_snapshot() == before
    ok = c.post("/handover/batches", {"name": "二期", "building_id": str(s.building.id), "start_date": "2026-03-10",
                                      "end_date": "2026-03-12"})
    batch = Batch.objects.get(name="二期")
    assert ok.status_code == 302 and ok["Location"] == f"/handover/batches/{batch.id}"


def test_the_batch_page_shows_each_unit_and_its_appointment_and_slots_take_a_capacity():
    s = site()
    a, _b, _c = invite_all(s)
    c = client_of(s.officer)
    response = c.post(f"/handover/batches/{s.batch.id}/slots", {"starts_at": "2026-03-03T09:00", "minutes": "60",
                                                                "capacity": "2"})
    assert response.status_code == 302
    one = Slot.objects.get(batch=s.batch)
    assert (one.capacity, one.ends_at - one.starts_at) == (2, timedelta(hours=1))
    services.appointment_book(item_id=a.id, slot_id=one.id, now=NOW)
    page = c.get(f"/handover/batches/{s.batch.id}").content.decode()
    assert "03-03 09:00" in page and "1 / 2" in page and "已预约" in page and "101" in page
    bad = c.post(f"/handover/batches/{s.batch.id}/slots", {"starts_at": "tomorrow", "capacity": "0"})
    assert bad.status_code == 422 and "请输入有效的日期和时间" in bad.content.decode()


def test_the_days_schedule_lists_the_appointments_of_that_shanghai_day():
    s = site()
    a, b, _c = invite_all(s)
    services.appointment_book(item_id=a.id, slot_id=slot(s, hours=24).id, now=NOW)
    services.appointment_book(item_id=b.id, slot_id=slot(s, hours=48).id, now=NOW)
    c = client_of(s.officer)
    page = c.get("/handover/schedule?day=2026-03-03").content.decode()
    assert f'data-item="{a.id}"' in page and f'data-item="{b.id}"' not in page
    assert c.get("/handover/schedule?day=not-a-day").status_code == 200  # falls back to today


def test_the_inspection_page_records_lines_defects_as_orders_signature_keys_and_completes():
    s = site()
    item = invite_all(s)[0]
    c = client_of(s.officer)
    assert c.post(f"/handover/items/{item.id}/start").status_code == 302
    page = c.get(f"/handover/items/{item.id}").content.decode()
    assert "客厅" in page and "卫生间" in page
    lines = list(Item.objects.get(id=item.id).inspection.lines.all())
    ok = c.post(f"/handover/items/{item.id}/lines/{lines[0].id}/ok", HTTP_HX_REQUEST="true")
    assert ok.status_code == 200 and 'data-result="ok"' in ok.content.decode()
    for index, (code, text) in enumerate([("wall-paint", "墙面开裂"), ("bathroom-leak", "地漏反水")]):
        response = c.post(f"/handover/items/{item.id}/defects", {
            "category_code": code, "description": text, "line_id": str(lines[index + 1].id),
            "photos": SimpleUploadedFile("d.jpg", jpeg(50 + index), content_type="image/jpeg")})
        assert response.status_code == 302, response.content.decode()[:300]
    orders = WorkOrder.objects.filter(handover_defect__inspection__item=item)
    assert orders.count() == 2 and {o.channel for o in orders} == {Channel.HANDOVER_INSPECTION}
    page = c.get(f"/handover/items/{item.id}").content.decode()
    assert all(o.number in page for o in orders)
    # Completion before the signature is refused, in Chinese, and changes nothing.
    before = database_snapshot()
    refused = c.post(f"/handover/items/{item.id}/complete")
    assert refused.status_code == 409 and "业主尚未在验房单上签字" in refused.content.decode()
    assert database_snapshot() == before
    signature = "data:image/png;base64," + base64.b64encode(png()).decode()
    assert c.post(f"/handover/items/{item.id}/sign", {"signature": signature}).status_code == 302
    keys = c.post(f"/handover/items/{item.id}/keys", {"key_door": "3", "key_access_card": "2", "reading_water": "12.5",
                                                     "documents": ["quality_guarantee", "user_manual", "bogus"]})
    assert keys.status_code == 302
    assert dict(KeyHanded.objects.filter(item=item).values_list("kind", "count")) == {"door": 3, "access_card": 2}
    assert str(MeterReading.objects.get(item=item, meter="water").reading) == "12.50"
    assert Item.objects.get(id=item.id).documents == ["quality_guarantee", "user_manual"]
    done = c.post(f"/handover/items/{item.id}/complete")
    assert done.status_code == 302
    item.refresh_from_db()
    assert item.status == ItemStatus.COMPLETED
    page = c.get(f"/handover/items/{item.id}").content.decode()
    assert 'id="qr-link"' in page and "/q/" in page


def test_bad_input_on_the_inspection_page_is_a_chinese_4xx_and_saves_nothing():
    s = site()
    item = invite_all(s)[0]
    services.inspection_start(actor=s.officer, item_id=item.id, now=NOW)
    c = client_of(s.officer)
    before = database_snapshot()
    cases = [
        ("defects", {"category_code": "no-such", "description": "x"}, "请选择缺陷类别"),
        ("defects", {"category_code": "wall-paint", "description": " "}, "请描述缺陷"),
        ("defects", {"category_code": "wall-paint", "description": "x", "line_id": "abc"}, "请输入整数"),
        ("defects", {"category_code": "wall-paint", "description": "x",
                     "photos": SimpleUploadedFile("d.jpg", b"not an image", content_type="image/jpeg")}, ""),
        ("sign", {"signature": "data:image/png;base64,!!!"}, "请业主先在框内签名"),
        ("sign", {"signature": "data:image/png;base64," + base64.b64encode(b"GIF89a").decode()}, ""),
        ("keys", {"key_door": "-1"}, "请输入 0 到 99 之间的数字"),
        ("keys", {"reading_gas": "abc"}, ""),
        ("refuse", {"note": "无"}, ""),
        ("complete", {}, "业主尚未在验房单上签字"),
    ]
    for path, data, text in cases:
        response = c.post(f"/handover/items/{item.id}/{path}", data)
        assert 400 <= response.status_code < 500, (path, data, response.status_code)
        assert text in response.content.decode(), (path, data)
    assert database_snapshot() == before
    assert c.post(f"/handover/items/{item.id}/lines/999999/ok").status_code == 404
    assert Defect.objects.count() == 0


def test_a_refusal_records_its_reasons_and_the_page_shows_them():
    s = site()
    item = invite_all(s)[0]
    services.inspection_start(actor=s.officer, item_id=item.id, now=NOW)
    c = client_of(s.officer)
    assert c.post(f"/handover/items/{item.id}/refuse", {"reasons": ["defects", "area_dispute"],
                                                        "note": "面积有争议"}).status_code == 302
    page = c.get(f"/handover/items/{item.id}").content.decode()
    assert "业主拒收" in page and "面积有争议" in page


def test_an_engineering_manager_reads_the_pages_but_cannot_write():
    s = site()
    item = invite_all(s)[0]
    manager = client_of(user_with_roles(Role.ENGINEERING_MANAGER))
    assert manager.get(f"/handover/batches/{s.batch.id}").status_code == 200
    page = manager.get(f"/handover/items/{item.id}").content.decode()
    assert 'data-action="start"' not in page
    before = database_snapshot()
    assert manager.post(f"/handover/items/{item.id}/start").status_code == 403
    assert database_snapshot() == before


def test_a_file_of_units_is_imported_from_the_batch_page_and_a_bad_row_is_named_in_chinese():
    s = site()
    c = client_of(s.officer)
    before = database_snapshot()
    bad = c.post(f"/handover/batches/{s.batch.id}/import",
                 {"file": SimpleUploadedFile("名单.csv", "房号,手机号,买受人\n101,13900001111,张三\n999,12,李四\n".encode())})
    assert bad.status_code == 422
    page = bad.content.decode()
    assert "第 3 行" in page and "手机号" in page  # the bad row and its column, in Chinese
    assert database_snapshot() == before
    assert c.post(f"/handover/batches/{s.batch.id}/import", {}).status_code == 422  # no file: a 4xx, not a 500
    done = c.post(f"/handover/batches/{s.batch.id}/import",
                  {"file": SimpleUploadedFile("名单.csv", "房号,手机号,买受人\n101,13900001111,张三\n".encode())})
    assert done.status_code == 302 and done["Location"].endswith("?done=imported")
    assert Item.objects.get(batch=s.batch, unit__number="101").buyers == ["张三"]
    assert "导入" in c.get(done["Location"]).content.decode()


def test_a_handed_over_unit_links_its_quality_guarantee_pdf():
    s = site()
    item = invite_all(s)[0]
    services.inspection_start(actor=s.officer, item_id=item.id, now=NOW)
    services.inspection_sign(actor=s.officer, item_id=item.id, signature_png=png(), now=NOW)
    services.handover_complete(actor=s.officer, item_id=item.id, now=NOW)
    c = client_of(s.officer)
    page = c.get(f"/handover/items/{item.id}").content.decode()
    url = f"/api/v1/warranty/units/{item.unit_id}/quality-guarantee.pdf"
    assert url in page
    pdf = c.get(url)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
