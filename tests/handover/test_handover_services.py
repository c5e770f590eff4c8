from __future__ import annotations

from datetime import timedelta

import pytest

from backend.core.errors import AppError, ValidationFailed
from backend.handover import selectors, services
from backend.handover.errors import InvalidHandoverStep, NotSigned, SlotFull
from backend.handover.models import Defect, Item, ItemStatus, ServiceTask, Slot
from backend.notifications.models import Delivery
from backend.properties.models import HandoverStatus, Ownership, QrToken, Unit
from backend.warranty.models import WarrantyClock
from backend.workorders.models import Channel, WorkOrder
from tests.authz.framework import database_snapshot
from tests.handover.world import NOW, invite_all, jpeg, png, site, slot

pytestmark = pytest.mark.django_db


def _inspected(s, item, *, defects=2):
    services.inspection_start(actor=s.officer, item_id=item.id, now=NOW + timedelta(days=1))
    item.refresh_from_db()
    lines = list(item.inspection.lines.all())
    made = [services.defect_report(actor=s.officer, item_id=item.id, category_code=code, description=text,
                                   line_id=lines[i].id, photos=[jpeg(60 + i)], now=NOW + timedelta(days=1))
            for i, (code, text) in enumerate([("wall-paint", "客厅墙面开裂"), ("bathroom-leak", "卫生间地漏反水")][:defects])]
    services.inspection_sign(actor=s.officer, item_id=item.id, signature_png=png(), now=NOW + timedelta(days=1))
    return made


def test_an_import_names_every_bad_row_and_saves_nothing():
    s = site()
    before = database_snapshot()
    with pytest.raises(ValidationFailed) as caught:
        services.batch_import(actor=s.officer, batch_id=s.batch.id, now=NOW, rows=[
            {"unit": "101", "phone": "13900001000", "buyers": "张三"},
            {"unit": "999", "phone": "13900001001", "buyers": "李四"},
            {"unit": "102", "phone": "12", "buyers": "王五"},
            {"unit": "103", "phone": "13900001003", "buyers": ""}])
    assert [(e["row"], e["field"]) for e in caught.value.details["errors"]] == [(3, "unit"), (4, "phone"), (5, "buyers")]
    assert database_snapshot() == before


def test_units_come_from_the_crm_ready_list_with_the_contracts_buyers():
    from backend.crm import services as crm
    from backend.crm.models import PaymentLine
    from tests.crm.world import WEDNESDAY, office

    o = office()
    customer = crm.lead_create(actor=o.alice, project_id=o.project.id, name="赵六", phone="13900000001",
                               channel="walk_in", consent=True, now=WEDNESDAY).customer
    sub = crm.subscription_create(actor=o.alice, unit_id=o.units[0].id, customer_id=customer.id,
                                  deposit_fen=5_000_000, now=WEDNESDAY)
    contract = crm.contract_create(actor=o.alice, subscription_id=sub.id, buyers=["赵六", "钱七"], discount_fen=0,
                                   payment_method="full", now=WEDNESDAY)
    crm.contract_sign(actor=o.alice, contract_id=contract.id, now=WEDNESDAY)
    for line in PaymentLine.objects.filter(contract=contract).order_by("seq"):
        crm.payment_record(actor=o.finance, line_id=line.id, amount_fen=line.amount_fen - line.received_fen,
                           now=WEDNESDAY)
    s = site(units=0)
    batch = services.batch_create(actor=s.officer, project_id=o.project.id, building_id=o.building.id, name="B",
                                  start_date=s.batch.start_date, end_date=s.batch.end_date, now=NOW)
    [item] = services.batch_add_from_crm(actor=s.officer, batch_id=batch.id, now=NOW)
    assert (item.unit_id, item.buyers, item.phone, item.contract_id) == (o.units[0].id, ["赵六", "钱七"],
                                                                          "+8613900000001", contract.id)
    assert services.batch_add_from_crm(actor=s.officer, batch_id=batch.id, now=NOW) == []  # taken once


def test_invitations_text_each_owner_once_and_the_invited_phone_may_verify_in_the_portal():
    from owner_portal.services import _phone_may_verify

    s = site()
    items = invite_all(s)
    assert services.invitations_send(actor=s.officer, batch_id=s.batch.id, now=NOW) == 3
    services.invitations_send(actor=s.officer, batch_id=s.batch.id, now=NOW)
    deliveries = Delivery.objects.filter(event_type="sms.handover_invite")
    assert deliveries.count() == 3
    assert items[0].invite_token in deliveries.get(target_id=items[0].phone).payload["params"]["url"]
    assert _phone_may_verify(phone=items[0].phone, qr=None, today=NOW.date())
    assert not _phone_may_verify(phone="+8613700000000", qr=None, today=NOW.date())


def test_a_slot_takes_no_more_than_its_capacity_and_a_reschedule_frees_the_old_seat():
    s = site()
    a, b, c = invite_all(s)
    first, second = slot(s, capacity=2), slot(s, hours=26, capacity=1)
    services.appointment_book(item_id=a.id, slot_id=first.id, now=NOW)
    services.appointment_book(item_id=b.id, slot_id=first.id, now=NOW)
    before = database_snapshot()
    with pytest.raises(SlotFull):
        services.appointment_book(item_id=c.id, slot_id=first.id, now=NOW)
    assert database_snapshot() == before
    services.appointment_book(item_id=a.id, slot_id=second.id, now=NOW)  # reschedule
    services.appointment_book(item_id=c.id, slot_id=first.id, now=NOW)
    assert Slot.objects.get(id=first.id).booked == 2 and Slot.objects.get(id=second.id).booked == 1
    assert selectors.live_appointment(Item.objects.get(id=a.id)).slot_id == second.id
    day = (NOW + timedelta(hours=24)).date()
    schedule = selectors.day_schedule(actor=s.officer, day=day)
    assert [x.slot_id for x in schedule] == [first.id, first.id, second.id]
    assert {x.item_id for x in schedule[:2]} == {b.id, c.id} and schedule[2].item_id == a.id


def test_the_database_refuses_an_overbooked_slot_whoever_writes_it():
    from django.db import IntegrityError, transaction

    s = site()
    one = slot(s, capacity=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Slot.objects.filter(id=one.id).update(booked=2)


def test_reminders_are_sent_once_per_appointment_the_day_before():
    s = site()
    a, b, _c = invite_all(s)
    services.appointment_book(item_id=a.id, slot_id=slot(s, hours=20).id, now=NOW)
    services.appointment_book(item_id=b.id, slot_id=slot(s, hours=50).id, now=NOW)
    assert services.reminders_send(now=NOW) == 1
    assert services.reminders_send(now=NOW) == 0
    assert Delivery.objects.filter(event_type="sms.handover_reminder").count() == 1


def test_inspection_defects_become_orders_on_the_handover_channel_grouped_under_the_inspection():
    s = site()
    item = invite_all(s)[0]
    made = _inspected(s, item)
    orders = WorkOrder.objects.filter(id__in=[d.order_id for d in made])
    assert {o.channel for o in orders} == {Channel.HANDOVER_INSPECTION}
    assert {o.unit_id for o in orders} == {item.unit_id}
    assert sorted(o.category_code for o in orders) == ["bathroom-leak", "wall-paint"]
    assert all(o.attachments.count() == 1 for o in orders)
    assert [d.id for d in selectors.defects_of(item)] == [d.id for d in made]
    item.refresh_from_db()
    assert item.inspection.signature.name.endswith(".png") and item.inspection.signed_at is not None


def test_completion_records_ownership_dates_access_qr_warranty_and_first_tasks():
    s = site()
    item = invite_all(s)[0]
    _inspected(s, item)
    services.keys_and_readings_record(actor=s.officer, item_id=item.id, keys={"door": 3, "mailbox": 1},
                                      readings={"water": "12.5", "electricity": "300"},
                                      documents=["quality_guarantee", "user_manual"])
    done = services.handover_complete(actor=s.officer, item_id=item.id, now=NOW + timedelta(days=1))
    unit = Unit.objects.get(id=item.unit_id)
    day = (NOW + timedelta(days=1)).date()
    assert done.status == ItemStatus.COMPLETED and unit.handover_status == HandoverStatus.DELIVERED
    assert unit.handover_date == day
    assert Ownership.objects.get(unit=unit).owner.phone == item.phone
    assert QrToken.objects.filter(unit=unit, revoked_at__isnull=True).count() == 1
    assert sorted(ServiceTask.objects.filter(unit=unit).values_list("kind", "due_date")) == [
        ("follow_up_visit", day + timedelta(days=30)), ("property_certificate", day + timedelta(days=90))]
    # The warranty clocks exist, started at the handover date.
    assert WarrantyClock.objects.filter(unit_id=item.unit_id).exists()
    assert set(WarrantyClock.objects.filter(unit_id=item.unit_id).values_list("handover_date", flat=True)) == {day}


@pytest.mark.parametrize("step", ["_record_ownership", "_set_unit_handed_over", "_start_warranty", "_first_tasks",
                                  "qr_token_ensure"])
def test_completion_leaves_nothing_half_done_when_any_step_fails(monkeypatch, step):
    s = site()
    item = invite_all(s)[0]
    _inspected(s, item)
    before = database_snapshot()

    def boom(*args, **kwargs):
        raise RuntimeError(f"injected failure in {step}")

    monkeypatch.setattr(services, step, boom)
    with pytest.raises(RuntimeError):
        services.handover_complete(actor=s.officer, item_id=item.id, now=NOW + timedelta(days=1))
    assert database_snapshot() == before
    assert Item.objects.get(id=item.id).status == ItemStatus.INSPECTING


def test_completion_needs_the_owners_signature():
    s = site()
    item = invite_all(s)[0]
    services.inspection_start(actor=s.officer, item_id=item.id, now=NOW)
    before = database_snapshot()
    with pytest.raises(NotSigned):
        services.handover_complete(actor=s.officer, item_id=item.id, now=NOW)
    assert database_snapshot() == before


def test_a_refusal_keeps_its_reasons_and_the_defects_stay_open_orders():
    s = site()
    item = invite_all(s)[0]
    made = _inspected(s, item)
    services.handover_refuse(actor=s.officer, item_id=item.id, reasons=["defects"], note="漏水未修好", now=NOW)
    item.refresh_from_db()
    assert item.status == ItemStatus.REFUSED and item.refusal_reasons == ["defects"]
    assert Defect.objects.filter(inspection__item=item).count() == 2
    assert all(d.order.state not in ("cancelled", "closed") for d in made)
    with pytest.raises(InvalidHandoverStep):
        services.handover_complete(actor=s.officer, item_id=item.id, now=NOW)


def test_someone_without_the_handover_role_changes_nothing():
    from backend.accounts.roles import Role
    from tests.factories import user_with_roles

    s = site()
    item = invite_all(s)[0]
    technician = user_with_roles(Role.TECHNICIAN)
    before = database_snapshot()
    with pytest.raises(AppError) as caught:
        services.inspection_start(actor=technician, item_id=item.id, now=NOW)
    assert caught.value.status == 403 and database_snapshot() == before


def test_an_owner_who_already_owns_a_home_is_the_same_owner_with_a_second_ownership():
    from tests.factories import OwnershipFactory

    s = site()
    item = invite_all(s)[0]
    earlier = OwnershipFactory(owner__phone=item.phone, owner__name="老业主")
    _inspected(s, item)
    services.handover_complete(actor=s.officer, item_id=item.id, now=NOW + timedelta(days=1))
    owned = Ownership.objects.filter(owner_id=earlier.owner_id).values_list("unit_id", flat=True)
    assert set(owned) == {earlier.unit_id, item.unit_id}
    assert Ownership.objects.get(unit_id=item.unit_id).owner.name == "老业主"  # the registered name is kept
