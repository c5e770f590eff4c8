"""The homeowner's steps through the core services: rating, reopening, cancelling, quotes, messages."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from backend.core.errors import AppError, NotFound
from backend.notifications.models import Delivery
from backend.workorders.actors import Actor
from backend.workorders.effects import order_transition
from backend.workorders.models import OwnerQuote, TimelineEvent, WorkOrder
from backend.workorders.owner import steps as owner_services
from backend.workorders.owner.steps import OwnerIdentity
from backend.workorders.services import comment_add
from tests.owner_portal.helpers import home_with_owner

pytestmark = pytest.mark.django_db


def identity_of(home) -> OwnerIdentity:
    return OwnerIdentity(phone=home.owner.phone, owner_id=home.owner.id, name=home.owner.name)


def walk(order, technician, *steps) -> None:
    for step in steps:
        order_transition(order_id=order.id, actor=Actor(user=technician), to=step, now=timezone.now())


def completed(home):
    order = home.side.order
    walk(order, home.side.technician, "on_site", "in_progress", "completed")
    return order


def test_rating_closes_the_order_with_three_ratings():
    home, _ = home_with_owner()
    order = completed(home)
    owner_services.order_rate(identity=identity_of(home), order_id=order.id, timeliness=5, attitude=4, quality="3",
                              comment="不错", now=timezone.now())
    order.refresh_from_db()
    assert (order.state, order.rating_timeliness, order.rating_attitude, order.rating_quality) == ("closed", 5, 4, 3)
    event = order.events.filter(to_state="closed").get()
    assert event.owner_visible and event.data["rating"] == {"timeliness": 5, "attitude": 4, "quality": 3}


@pytest.mark.parametrize("bad", [0, 6, "x", None])
def test_ratings_outside_one_to_five_are_refused_and_nothing_changes(bad):
    home, _ = home_with_owner()
    order = completed(home)
    with pytest.raises(AppError):
        owner_services.order_rate(identity=identity_of(home), order_id=order.id, timeliness=bad, attitude=5,
                                  quality=5, comment="", now=timezone.now())
    order.refresh_from_db()
    assert order.state == "completed" and order.rating_timeliness is None


def test_an_order_not_completed_cannot_be_rated():
    home, _ = home_with_owner()
    with pytest.raises(AppError) as caught:
        owner_services.order_rate(identity=identity_of(home), order_id=home.side.order.id, timeliness=5, attitude=5,
                                  quality=5, comment="", now=timezone.now())
    assert caught.value.code == "not_awaiting_rating"


def test_reopening_works_inside_the_window_and_not_after(settings):
    settings.REOPEN_WINDOW_DAYS = 7
    home, _ = home_with_owner()
    order = completed(home)
    late = timezone.now() + timedelta(days=8)
    with pytest.raises(AppError) as caught:
        owner_services.order_reopen(identity=identity_of(home), order_id=order.id, reason="又漏了", now=late)
    assert caught.value.code == "reopen_window_closed"
    owner_services.order_reopen(identity=identity_of(home), order_id=order.id, reason="又漏了",
                                now=timezone.now() + timedelta(days=6))
    order.refresh_from_db()
    assert order.state == "reopened"
    assert order.events.filter(to_state="reopened").get().note == "又漏了"


def test_the_owner_cancels_before_the_visit_and_asks_to_cancel_after():
    home, other = home_with_owner()
    order, cancelled = owner_services.order_owner_cancel(identity=identity_of(home), order_id=home.side.order.id,
                                                         reason="自己修好了", now=timezone.now())
    assert cancelled and order.state == "cancelled"
    later = other.side.order
    walk(later, other.side.technician, "en_route")
    order, cancelled = owner_services.order_owner_cancel(identity=identity_of(other), order_id=later.id,
                                                         reason="不用来了", now=timezone.now())
    assert not cancelled and WorkOrder.objects.get(id=later.id).state == "en_route"
    assert later.events.filter(kind="note", data__request="cancel").exists()


def test_another_owner_cannot_act_on_the_order():
    home, other = home_with_owner()
    with pytest.raises(NotFound):
        owner_services.owner_message_add(identity=identity_of(other), order_id=home.side.order.id, body="hi",
                                         now=timezone.now())


def test_a_quote_waits_for_the_owner_and_acceptance_resumes_the_repair():
    home, _ = home_with_owner()
    order = home.side.order
    WorkOrder.objects.filter(id=order.id).update(warranty_verdict="out")
    walk(order, home.side.technician, "on_site", "in_progress")
    quote = owner_services.quote_send(actor=home.side.technician, order_id=order.id, amount_yuan="380", note="换阀芯",
                                      now=timezone.now())
    order.refresh_from_db()
    assert (order.state, order.waiting_reason) == ("waiting", "owner")
    assert Delivery.objects.filter(event_type="sms.quote_ready", idempotency_key=f"owner:{order.id}:quote:{quote.id}"
                                   ).count() == 1
    owner_services.quote_decide(identity=identity_of(home), order_id=order.id, quote_id=quote.id, accept=True,
                                reason="", now=timezone.now())
    order.refresh_from_db()
    assert order.state == "in_progress" and order.estimate_yuan == Decimal("380.00")
    with pytest.raises(AppError) as caught:  # a second tap changes nothing
        owner_services.quote_decide(identity=identity_of(home), order_id=order.id, quote_id=quote.id, accept=False,
                                    reason="", now=timezone.now())
    assert caught.value.code == "quote_decided"
    assert OwnerQuote.objects.get(id=quote.id).status == "accepted"


def test_no_quote_for_an_order_in_warranty():
    home, _ = home_with_owner()
    WorkOrder.objects.filter(id=home.side.order.id).update(warranty_verdict="in")
    with pytest.raises(AppError) as caught:
        owner_services.quote_send(actor=home.side.technician, order_id=home.side.order.id, amount_yuan="100", note="",
                                  now=timezone.now())
    assert caught.value.code == "order_in_warranty"
    assert not OwnerQuote.objects.exists()


def test_the_owner_hears_by_sms_once_per_visible_step():
    home, _ = home_with_owner()
    order = home.side.order  # routed at intake: the owner was told who comes
    mine = Delivery.objects.filter(target_kind="sms", idempotency_key__startswith=f"owner:{order.id}:")
    assert mine.filter(event_type="sms.technician_assigned").count() == 1
    walk(order, home.side.technician, "en_route")
    walk(order, home.side.technician, "on_site", "in_progress", "completed")
    kinds = sorted(mine.values_list("event_type", flat=True))
    assert kinds == ["sms.order_completed", "sms.technician_assigned", "sms.technician_on_the_way"]


def test_a_staff_reply_on_the_owner_thread_is_texted_and_internal_notes_are_not():
    home, _ = home_with_owner()
    order = home.side.order
    owner_services.owner_message_add(identity=identity_of(home), order_id=order.id, body="几点到？", now=timezone.now())
    comment_add(actor=home.side.agent, order_id=order.id, body="内部：带密封胶", owner_visible=False, now=timezone.now())
    comment_add(actor=home.side.agent, order_id=order.id, body="下午两点到", owner_visible=True, now=timezone.now())
    assert Delivery.objects.filter(event_type="sms.message_reply").count() == 1
    visible = list(order.events.filter(kind=TimelineEvent.Kind.COMMENT, owner_visible=True).values_list("note",
                                                                                                        flat=True))
    assert visible == ["几点到？", "下午两点到"]


def test_rescheduling_keeps_the_new_slots_and_says_so_on_the_timeline():
    home, _ = home_with_owner()
    start = timezone.now() + timedelta(days=1)
    order = owner_services.order_reschedule_request(identity=identity_of(home), order_id=home.side.order.id,
                                                    slots=[{"start": start, "end": start + timedelta(hours=2)}],
                                                    note="白天不在家", now=timezone.now())
    assert order.preferred_slots[0]["start"] == start.isoformat()
    assert order.events.filter(data__request="reschedule", owner_visible=True).exists()


def test_the_assignment_text_names_a_technician_without_a_phone_without_a_placeholder():
    from django.utils import translation

    from backend.notifications import sms

    home, _ = home_with_owner()  # side A's order was routed to a technician who has no phone
    assert home.side.technician.phone == ""
    delivery = Delivery.objects.get(event_type="sms.technician_assigned", target_id=home.side.order.contact_phone,
                                    idempotency_key__startswith=f"owner:{home.side.order.id}:")
    assert "technician_phone" not in delivery.payload["params"]
    with translation.override("zh-hans"):
        text = sms.sms_render(template=delivery.payload["template"], params=delivery.payload["params"])
    assert "电话" not in text and "-" not in text.replace(home.side.order.number, ""), text
