"""A demo handover batch for ``./run``: the ``handover`` login finds a batch of the project on sale with
units from the CRM's ready-for-handover list (the demo's signed contracts, their balance recorded by
finance), slots for the coming days, appointments, one unit under inspection with two defects (work
orders on the ``handover_inspection`` channel) signed by the owner and ready to complete, and one unit
handed over. Written through the services, idempotent (a second run finds the batch and stops)."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from PIL import Image

from backend.accounts.models import User
from backend.core.dates import business_date, business_timezone
from backend.handover import services
from backend.handover.models import Batch, Item

DEMO_BATCH = "演示交付批次"


def _photo(shade: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (shade, 150, 140)).save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def _signature() -> bytes:
    from PIL import ImageDraw

    image = Image.new("RGB", (300, 120), (255, 255, 255))
    ImageDraw.Draw(image).line([(20, 90), (80, 30), (140, 90), (200, 30), (260, 90)], fill=(20, 20, 20), width=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _pay_signed_contracts(*, project_id: Any, now: datetime) -> None:
    """Finance records the balance of the demo's signed contracts, so their units are ready for handover."""
    from backend.crm import services as crm
    from backend.crm.models import Contract, PaymentLine

    finance = User.objects.filter(role_rows__role="finance").order_by("username").first()
    if finance is None:
        return
    for contract in Contract.objects.filter(status="signed", unit__building__project_id=project_id):
        for line in PaymentLine.objects.filter(contract=contract).order_by("seq"):
            if line.amount_fen > line.received_fen:
                crm.payment_record(actor=finance, line_id=line.id, amount_fen=line.amount_fen - line.received_fen,
                                   now=now)


def seed_handover(*, now: datetime) -> int:
    """Returns the number of units put in the demo batch (0 when it exists already)."""
    from backend.crm.demo import sales_project

    officer = User.objects.filter(username="handover").first()
    project = sales_project()
    if officer is None or project is None or Batch.objects.filter(project=project, name=DEMO_BATCH).exists():
        return 0
    today = business_date(now)
    with transaction.atomic():
        _pay_signed_contracts(project_id=project.id, now=now)
        from backend.crm.selectors import ready_for_handover_list

        ready = ready_for_handover_list(actor=officer, project_id=project.id, now=now)
        if not ready:
            return 0
        batch = services.batch_create(actor=officer, project_id=project.id, building_id=ready[0]["building_id"],
                                      name=DEMO_BATCH,
                                      start_date=today, end_date=today + timedelta(days=14), now=now)
        items = services.batch_add_from_crm(actor=officer, batch_id=batch.id, now=now)
        tomorrow = datetime(today.year, today.month, today.day, 9, tzinfo=business_timezone()) + timedelta(days=1)
        slots = [services.slot_add(actor=officer, batch_id=batch.id, starts_at=tomorrow + timedelta(hours=h),
                                   minutes=60, capacity=c) for h, c in ((0, 2), (1, 2), (5, 3), (24, 4))]
        services.invitations_send(actor=officer, batch_id=batch.id, now=now)
        for index, item in enumerate(items[:3]):
            services.appointment_book(item_id=item.id, slot_id=slots[index % 2].id, now=now)
        if items:
            _inspect(officer, items[0], now=now, defects=[("wall-paint", "客厅墙面有一条约 30 厘米的裂纹", 0),
                                                           ("bathroom-leak", "主卫地漏返水，地面积水", 7)])
        if len(items) > 1:
            _inspect(officer, items[1], now=now, defects=[("window-hardware", "主卧窗户关闭不严", 4)])
            services.keys_and_readings_record(actor=officer, item_id=items[1].id, keys={"door": 3, "access_card": 2},
                                              readings={"water": "3.2", "electricity": "18.5", "gas": "0.8"},
                                              documents=["quality_guarantee", "user_manual"])
            services.handover_complete(actor=officer, item_id=items[1].id, now=now)
    return Item.objects.filter(batch=batch).count()


def _inspect(officer: User, item: Item, *, now: datetime, defects: list[tuple[str, str, int]]) -> None:
    from backend.workorders.definitions import active_definitions

    inspection = services.inspection_start(actor=officer, item_id=item.id, now=now)
    lines = list(inspection.lines.all())
    known = active_definitions().category_codes
    for line in lines[:3]:
        services.inspection_line_ok(actor=officer, line_id=line.id)
    for shade, (code, text, line_index) in enumerate(defects):
        if code not in known:
            continue
        services.defect_report(actor=officer, item_id=item.id, category_code=code, description=text, now=now,
                               line_id=lines[min(line_index, len(lines) - 1)].id, photos=[_photo(80 + shade * 40)])
    services.inspection_sign(actor=officer, item_id=item.id, signature_png=_signature(), now=now)
