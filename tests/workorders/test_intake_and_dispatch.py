from __future__ import annotations

import threading
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections
from django.utils import timezone

from backend.accounts.models import TechnicianProfile
from backend.accounts.roles import Role
from backend.core.errors import Conflict, NotFound, PermissionDenied
from backend.workorders.actors import Actor
from backend.workorders.dispatch import routing as dispatch
from backend.workorders.errors import InvalidOrderInput
from backend.workorders.models import Assignment, GrabOffer, SlaDeadline, TimelineEvent, WorkOrder
from backend.workorders.services import order_intake
from backend.workorders.states import State
from tests.factories import TeamFactory, UnitFactory, user_with_roles

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Wednesday morning in office hours.
WEDNESDAY_10 = datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)


def technician(team, *, skills, lat="30.274", lon="120.155", on_duty=True, name=""):
    user = user_with_roles(Role.TECHNICIAN, display_name=name or "师傅")
    TechnicianProfile.objects.create(user=user, skills=skills, on_duty=on_duty, last_latitude=Decimal(lat),
                                     last_longitude=Decimal(lon))
    team.members.add(user)
    return user


def intake(agent, unit, **kwargs):
    defaults = dict(channel="phone", category_code="drainage", description="厨房下水道堵塞",
                    contact_name="张女士", contact_phone="13800138000", now=WEDNESDAY_10, unit_id=unit.id)
    defaults.update(kwargs)
    return order_intake(actor=Actor(user=agent), **defaults)


@pytest.mark.django_db
def test_phone_intake_routes_to_the_least_loaded_plumber_and_explains_why():
    team = TeamFactory(code="plumbing-team")
    busy = technician(team, skills={"plumbing": 3}, name="忙师傅")
    idle = technician(team, skills={"plumbing": 1}, name="闲师傅")
    no_skill = technician(team, skills={"electrical": 3}, name="电工")
    unit = UnitFactory()
    agent = user_with_roles(Role.CUSTOMER_SERVICE)
    first = intake(agent, unit, description="卫生间地漏堵了").order
    dispatch.order_assign(actor=user_with_roles(Role.DISPATCHER, Role.ADMINISTRATOR), order_id=first.id,
                          technician_id=busy.id, reason="熟悉该楼栋", now=WEDNESDAY_10)

    result = intake(agent, UnitFactory())
    order = result.order
    assert order.state == State.ASSIGNED and order.technician_id == idle.id
    assert order.number.startswith("WX20261125-")
    assert order.routing_explanation["rule"] == "plumbing"
    summary = order.routing_explanation["summary"]
    assert str(no_skill.id) in summary and "excluded" in summary
    assert order.definitions_version and order.warranty_verdict == "unknown"
    assert Assignment.objects.get(order=order).method == "routing"
    assert {d.target for d in SlaDeadline.objects.filter(order=order)} == {"response", "arrival", "resolution"}
    kinds = list(TimelineEvent.objects.filter(order=order).values_list("kind", flat=True))
    assert kinds[0] == "created" and "state" in kinds


@pytest.mark.django_db
def test_an_open_order_on_the_same_unit_and_family_is_suggested_as_duplicate():
    TeamFactory(code="plumbing-team")
    unit = UnitFactory()
    agent = user_with_roles(Role.CUSTOMER_SERVICE)
    first = intake(agent, unit).order
    second = intake(agent, unit, category_code="water-supply", description="水压很低")
    assert [d.id for d in second.duplicates] == [first.id]
    other_family = intake(agent, unit, category_code="wall-crack", description="客厅墙面裂缝")
    assert other_family.duplicates == []


@pytest.mark.django_db
def test_bad_intake_is_refused_field_by_field_and_saves_nothing():
    unit = UnitFactory()
    agent = user_with_roles(Role.CUSTOMER_SERVICE)
    for field, value in [("category_code", "no-such"), ("description", "  "), ("contact_phone", "12345"),
                         ("priority", "P9"), ("channel", "pigeon")]:
        with pytest.raises(InvalidOrderInput) as caught:
            intake(agent, unit, **{field: value})
        assert caught.value.details["errors"][0]["field"] == field
    with pytest.raises(PermissionDenied):
        intake(user_with_roles(Role.FINANCE), unit)
    assert not WorkOrder.objects.exists()


@pytest.mark.django_db
def test_nobody_eligible_leaves_the_order_in_the_team_queue():
    team = TeamFactory(code="plumbing-team")
    technician(team, skills={"plumbing": 2}, on_duty=False)
    order = intake(user_with_roles(Role.CUSTOMER_SERVICE), UnitFactory()).order
    assert order.state == State.SUBMITTED and order.team_id == team.id and order.technician_id is None


def _fit_out_weekend_offer():
    team = TeamFactory(code="civil-team")
    techs = [technician(team, skills={"fit-out": 2, "structure": 2}) for _ in range(3)]
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=SHANGHAI)
    order = intake(user_with_roles(Role.CUSTOMER_SERVICE), UnitFactory(), category_code="tiles",
                   description="客厅瓷砖空鼓", now=saturday).order
    return order, techs, saturday


@pytest.mark.django_db
def test_grab_pool_offers_the_order_and_the_first_grab_wins():
    order, techs, saturday = _fit_out_weekend_offer()
    offer = GrabOffer.objects.get(order=order)
    assert offer.status == "open" and set(offer.candidate_ids) == {str(t.id) for t in techs}
    won = dispatch.order_grab(actor=techs[0], order_id=order.id, now=saturday + timedelta(seconds=3))
    assert won.technician_id == techs[0].id and won.state == State.ASSIGNED
    with pytest.raises((Conflict, NotFound)):
        dispatch.order_grab(actor=techs[1], order_id=order.id, now=saturday + timedelta(seconds=4))
    assert WorkOrder.objects.get(id=order.id).technician_id == techs[0].id


@pytest.mark.django_db
def test_a_grab_after_the_countdown_is_refused_and_the_fallback_assigns():
    order, techs, saturday = _fit_out_weekend_offer()
    offer = GrabOffer.objects.get(order=order)
    late = offer.expires_at + timedelta(seconds=1)
    with pytest.raises(Conflict):
        dispatch.order_grab(actor=techs[0], order_id=order.id, now=late)
    assigned = dispatch.grab_offer_expire(offer_id=offer.id, now=late)
    assert assigned.state == State.ASSIGNED and assigned.technician_id in {t.id for t in techs}
    assert Assignment.objects.get(order=order).method == "fallback"
    # A second delivery of the same task does nothing.
    assert dispatch.grab_offer_expire(offer_id=offer.id, now=late) is None
    assert Assignment.objects.filter(order=order).count() == 1


@pytest.mark.django_db
def test_a_technician_not_offered_the_order_cannot_grab_it():
    order, _techs, saturday = _fit_out_weekend_offer()
    outsider = user_with_roles(Role.TECHNICIAN)
    with pytest.raises(NotFound):
        dispatch.order_grab(actor=outsider, order_id=order.id, now=saturday)


@pytest.mark.django_db(transaction=True)
def test_concurrent_grabs_have_exactly_one_winner_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL")
    order, techs, saturday = _fit_out_weekend_offer()
    outcomes: list[str] = []
    barrier = threading.Barrier(len(techs))

    def grab(tech) -> None:
        try:
            barrier.wait()
            dispatch.order_grab(actor=tech, order_id=order.id, now=saturday + timedelta(seconds=2))
            outcomes.append("won")
        except (Conflict, NotFound):
            outcomes.append("lost")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=grab, args=(t,)) for t in techs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["lost", "lost", "won"]
    assert Assignment.objects.filter(order=order).count() == 1
    assert GrabOffer.objects.get(order=order).status == "taken"


@pytest.mark.django_db
def test_dispatcher_override_needs_a_reason_and_is_on_the_timeline():
    team = TeamFactory(code="plumbing-team")
    first = technician(team, skills={"plumbing": 2})
    second = technician(team, skills={"plumbing": 2})
    order = intake(user_with_roles(Role.CUSTOMER_SERVICE), UnitFactory()).order
    dispatcher = user_with_roles(Role.DISPATCHER, Role.ADMINISTRATOR)
    other = second if order.technician_id == first.id else first
    moved = dispatch.order_assign(actor=dispatcher, order_id=order.id, technician_id=other.id,
                                  reason="原师傅请假", now=timezone.now())
    assert moved.technician_id == other.id and moved.state == State.ASSIGNED
    event = TimelineEvent.objects.filter(order=order, kind="assignment").last()
    assert event.note == "原师傅请假" and event.actor_id == dispatcher.id
    history = list(Assignment.objects.filter(order=order).order_by("id"))
    assert len(history) == 2 and history[0].ended_at is not None and history[1].method == "dispatcher"


@pytest.mark.django_db
def test_routing_reads_a_teams_round_robin_cursor_only_when_asked():
    from backend.workorders.dispatch.routing import LockedCursors
    from backend.workorders.models import RoutingCursor
    RoutingCursor.objects.create(team_code="public-area-team", cursor="someone")
    cursors = LockedCursors()
    assert cursors and cursors.get("public-area-team") == "someone" and cursors.get("gas-team") is None


@pytest.mark.django_db
def test_the_candidate_snapshot_counts_only_open_orders_and_takes_the_latest_assignment():
    team = TeamFactory(code="plumbing-team")
    busy = technician(team, skills={"plumbing": 2}, name="王师傅")
    idle = technician(team, skills={"plumbing": 1}, name="李师傅")
    unit = UnitFactory()
    agent = user_with_roles(Role.CUSTOMER_SERVICE)
    orders = [intake(agent, unit, route_now=False).order for _ in range(3)]
    WorkOrder.objects.filter(id__in=[o.id for o in orders]).update(technician=busy, state=State.ASSIGNED)
    WorkOrder.objects.filter(id=orders[0].id).update(state=State.CLOSED)
    for hours in (5, 1, 3):  # not in time order: the latest start counts, not the latest row
        Assignment.objects.create(order=orders[0], technician=busy, method=Assignment.Method.DISPATCHER,
                                  started_at=WEDNESDAY_10 - timedelta(hours=hours))

    snapshot = {c.id: c for c in dispatch.candidates_snapshot(team_code="plumbing-team")}

    assert snapshot[str(busy.id)].open_load == 2
    assert snapshot[str(busy.id)].last_assigned_at == WEDNESDAY_10 - timedelta(hours=1)
    assert snapshot[str(idle.id)].open_load == 0 and snapshot[str(idle.id)].last_assigned_at is None


@pytest.mark.django_db
def test_the_candidate_snapshot_holds_the_teams_active_technicians_only_with_their_values_typed():
    from backend.accounts.models import UserRole
    team = TeamFactory(code="plumbing-team")
    other = TeamFactory(code="gas-team")
    on = technician(team, skills={"plumbing": 3, "drainage": 1}, lat="31.230416", lon="121.473701")
    off = technician(team, skills={}, on_duty=False)
    TechnicianProfile.objects.filter(user=off).update(last_latitude=None, last_longitude=None,
                                                      base_latitude=Decimal("30.1"), base_longitude=Decimal("120.2"))
    gone = technician(team, skills={"plumbing": 5})
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    demoted = technician(team, skills={"plumbing": 5})
    UserRole.objects.filter(user=demoted, role=Role.TECHNICIAN).delete()
    technician(other, skills={"plumbing": 5})

    snapshot = {c.id: c for c in dispatch.candidates_snapshot(team_code="plumbing-team")}

    assert set(snapshot) == {str(on.id), str(off.id)}
    assert snapshot[str(on.id)].skills == {"plumbing": 3, "drainage": 1} and snapshot[str(on.id)].on_duty is True
    assert snapshot[str(on.id)].position == (31.230416, 121.473701)
    assert snapshot[str(off.id)].on_duty is False and snapshot[str(off.id)].position == (30.1, 120.2)
    assert dispatch.candidates_snapshot(team_code="no-such-team") == []


@pytest.mark.django_db
def test_an_order_sent_back_to_the_queue_ends_its_assignment_and_the_next_one_is_the_only_open_one():
    team = TeamFactory(code="plumbing-team")
    first = technician(team, skills={"plumbing": 2})
    second = technician(team, skills={"plumbing": 2})
    dispatcher = user_with_roles(Role.DISPATCHER, Role.ADMINISTRATOR)
    order = intake(user_with_roles(Role.CUSTOMER_SERVICE), UnitFactory(), route_now=False).order
    dispatch.order_assign(actor=dispatcher, order_id=order.id, technician_id=first.id, reason="就近", now=WEDNESDAY_10)
    from backend.workorders.effects import order_transition

    order_transition(order_id=order.id, actor=Actor(user=dispatcher), to=State.ACCEPTED, now=WEDNESDAY_10,
                     note="退回队列")
    assert not Assignment.objects.filter(order=order, ended_at__isnull=True).exists()
    dispatch.order_assign(actor=dispatcher, order_id=order.id, technician_id=second.id, reason="改派",
                          now=WEDNESDAY_10 + timedelta(minutes=5))
    open_rows = list(Assignment.objects.filter(order=order, ended_at__isnull=True).values_list("technician_id", flat=True))
    assert open_rows == [second.id]
    assert Assignment.objects.filter(order=order).count() == 2
