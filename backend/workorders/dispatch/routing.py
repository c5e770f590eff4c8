"""Routing on live data, dispatcher assignment, and the grab pool (抢单).

The engine decides from a snapshot (``candidates_snapshot``); this module turns its decision
into rows: the order's team and technician through the state machine, an assignment history
row, the stored explanation, a grab offer with its countdown task.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from celery import current_app
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.accounts.access import ensure_role, has_role
from backend.accounts.models import Team, TechnicianProfile, User, UserRole
from backend.accounts.roles import Role
from backend.core.errors import Conflict, NotFound, ValidationFailed
from backend.workorders.access import access_order
from backend.workorders.actors import Actor, system_actor
from backend.workorders.definitions import active_definitions, to_jsonable
from backend.workorders.effects import order_transition
from backend.workorders.errors import InvalidTransition
from backend.workorders.lifecycle.timeline import Kind, event_add
from backend.workorders.live.broadcast import group_for_technician, order_announce, send_after_commit
from backend.workorders.models import Assignment, GrabOffer, RoutingCursor, WorkOrder
from backend.workorders.notes import system_note
from backend.workorders.states import OPEN_STATES, State
from workflows.errors import GrabError
from workflows.routing import GrabOffer as EngineOffer
from workflows.routing import OrderFacts, RoutingDecision, accept_grab, expire_grab, route
from workflows.strategies import Candidate, Requirements

# The engine's channel vocabulary for the app's channels.
ENGINE_CHANNELS = {"qr": "qr", "phone": "phone", "walk_in": "walk_in", "wecom": "wecom",
                   "handover_inspection": "handover", "technician_found": "staff"}
GRAB_EXPIRE_TASK = "workorders.grab_offer_expire"
ASSIGNABLE_FROM = frozenset({State.SUBMITTED, State.ACCEPTED, State.REOPENED})
REASSIGNABLE = frozenset({State.ASSIGNED, State.EN_ROUTE})


def _position(lat: Any, lon: Any) -> tuple[float, float] | None:
    if lat is None or lon is None:
        return None
    return (float(lat), float(lon))


def _team_snapshot_sql(connection: Any) -> str:
    """The snapshot's statement, written out: the queryset it replaced (the team's technicians
    annotated with two correlated subqueries and an EXISTS) took ~1.9 ms to compile and ~0.2 ms to
    run, on the path of every intake. Only the models' quoted names go into it."""
    q = connection.ops.quote_name
    profile, user, role = (q(m._meta.db_table) for m in (TechnicianProfile, User, UserRole))
    team, members = q(Team._meta.db_table), q(Team.members.through._meta.db_table)
    order, assignment = q(WorkOrder._meta.db_table), q(Assignment._meta.db_table)
    states = ", ".join(["%s"] * len(OPEN_STATES))
    # COUNT(*): counted from the (technician, state) index alone, without reading the order rows.
    # The newest start, not MAX() grouped by technician: one step backwards on the (technician,
    # started_at) index however many assignments the technician has had.
    return (
        f"SELECT m.team_id, p.user_id, p.skills, p.on_duty, "  # noqa: S608
        f"(SELECT COUNT(*) FROM {order} o WHERE o.technician_id = p.user_id AND o.state IN ({states})), "
        f"p.last_latitude, p.last_longitude, p.base_latitude, p.base_longitude, "
        f"(SELECT a.started_at FROM {assignment} a WHERE a.technician_id = p.user_id "
        f"ORDER BY a.started_at DESC LIMIT 1) "
        f"FROM {profile} p JOIN {user} u ON u.id = p.user_id JOIN {members} m ON m.user_id = p.user_id "
        f"JOIN {team} t ON t.id = m.team_id "
        f"WHERE t.code = %s AND u.is_active AND EXISTS (SELECT 1 FROM {role} r WHERE r.user_id = p.user_id "
        f"AND r.role = %s) ORDER BY p.user_id")


def _team_snapshot_rows(team_code: str) -> list[tuple[Any, ...]]:
    """The team's active technicians with what routing weighs, in one statement, as Python values
    (the fields' own conversions: SQLite returns keys, JSON and times as text)."""
    connection = transaction.get_connection()
    to_uuid = User._meta.pk.to_python  # type: ignore[union-attr]
    started_at = Assignment._meta.get_field("started_at")
    with connection.cursor() as cursor:
        cursor.execute(_team_snapshot_sql(connection), [*sorted(OPEN_STATES), team_code, Role.TECHNICIAN])
        rows = cursor.fetchall()
    snapshot = []
    for team_id, user_id, skills, on_duty, load, last_lat, last_lon, base_lat, base_lon, last_at in rows:
        if isinstance(last_at, str):
            last_at = started_at.to_python(last_at)
        if last_at is not None and timezone.is_naive(last_at):
            last_at = timezone.make_aware(last_at, UTC)  # SQLite: stored in UTC without its offset
        snapshot.append((to_uuid(team_id), to_uuid(user_id), json.loads(skills) if isinstance(skills, str) else skills,
                         bool(on_duty), int(load or 0), last_lat, last_lon, base_lat, base_lon, last_at))
    return snapshot


@dataclass(frozen=True)
class TeamSnapshot:
    team_id: Any  # None when the team has no technicians
    candidates: list[Candidate]


def _team_snapshot(team_code: str) -> TeamSnapshot:
    """The team's technicians as routing sees them now."""
    team_ids = set()
    candidates = []
    for team_id, user_id, skills, on_duty, load, last_lat, last_lon, base_lat, base_lon, last_at in \
            _team_snapshot_rows(team_code):
        team_ids.add(team_id)
        candidates.append(Candidate(id=str(user_id), skills=dict(skills), on_duty=on_duty, open_load=load,
                                    position=_position(last_lat, last_lon) or _position(base_lat, base_lon),
                                    last_assigned_at=last_at))
    return TeamSnapshot(team_id=team_ids.pop() if team_ids else None, candidates=candidates)


def candidates_snapshot(*, team_code: str) -> list[Candidate]:
    """The team's technicians as routing sees them now: skills, duty, open load, position, last assignment."""
    return _team_snapshot(team_code).candidates


def order_facts(order: WorkOrder) -> OrderFacts:
    project = order.project
    return facts_of(category_code=order.category_code, priority=order.priority, description=order.description,
                    project_code=project.code,
                    building_code=order.building.code if order.building_id and order.building else None,
                    channel=order.channel, warranty_verdict=order.warranty_verdict, latitude=project.latitude,
                    longitude=project.longitude)


def facts_of(*, category_code: str, priority: str, description: str, project_code: str | None,
             building_code: str | None, channel: str, warranty_verdict: str, latitude: Any,
             longitude: Any) -> OrderFacts:
    """What routing may look at, from an order's columns (``order_facts`` for a loaded order; the
    rules simulation passes the same columns read as rows)."""
    return OrderFacts(
        category=category_code,
        priority=priority,  # type: ignore[arg-type]
        description=description,
        project=project_code,
        building=building_code or None,
        channel=ENGINE_CHANNELS.get(channel, "staff"),  # type: ignore[arg-type]
        warranty=warranty_verdict,  # type: ignore[arg-type]
        site=_position(latitude, longitude),
    )


def _record_assignment(*, order: WorkOrder, team_id: UUID | None, technician_id: UUID, method: str, reason: str,
                       by: User | None, now: datetime, had_technician: bool) -> None:
    """The order's new assignment; the previous one ends now. An order that had no technician has no
    open assignment (the state machine ends it when an order goes back to the queue): nothing to end."""
    if had_technician:
        Assignment.objects.filter(order=order, ended_at__isnull=True).update(ended_at=now)
    Assignment.objects.create(order=order, team_id=team_id, technician_id=technician_id, method=method,
                              reason=reason[:300], assigned_by=by, started_at=now)


def _apply_assignee(*, order: WorkOrder, actor: Actor, team_id: UUID | None, technician_id: UUID | str, method: str,
                    reason: str, now: datetime, note: str = "", data: dict[str, Any] | None = None,
                    also: dict[str, Any] | None = None) -> WorkOrder:
    """Gives a locked order to a technician through the state machine; ``also`` are more fields
    the same step sets (routing's explanation)."""
    technician_id = uuid.UUID(str(technician_id))  # the engine speaks in text ids
    had_technician = order.technician_id is not None
    changes: dict[str, Any] = {"technician_id": technician_id, **(also or {})}
    if team_id is not None:
        changes["team_id"] = team_id
    if order.state in REASSIGNABLE:
        if order.state == State.EN_ROUTE:
            order_transition(order=order, actor=actor, to=State.ACCEPTED, now=now, note=reason)
        else:
            # Same state, new holder: an assignment event, not a state change.
            for name, value in changes.items():
                setattr(order, name, value)
            order.updated_at = now
            order.revision += 1
            order.save(update_fields=sorted({"technician", "team", "updated_at", "revision",
                                             *(name.removesuffix("_id") for name in changes)}))
            event = event_add(order=order, kind=Kind.ASSIGNMENT, actor=actor, note=note or reason, now=now,
                              data={"technician_id": str(technician_id), "method": method, **(data or {})},
                              owner_visible=True)
            _record_assignment(order=order, team_id=team_id, technician_id=technician_id, method=method,
                               reason=reason, by=actor.user, now=now, had_technician=had_technician)
            order_announce(order=order, kind="assignment", now=now, event=event)
            return order
    order = order_transition(order=order, actor=actor, to=State.ASSIGNED, now=now, note=note or reason,
                             changes=changes, event_data={"method": method, **(data or {})})
    _record_assignment(order=order, team_id=team_id, technician_id=technician_id, method=method, reason=reason,
                       by=actor.user, now=now, had_technician=had_technician)
    return order


class LockedCursors(Mapping[str, str]):
    """Round-robin cursors read on demand: only the team the rules chose has its row locked, so intakes
    routed to different teams do not wait for each other."""

    def __getitem__(self, team_code: str) -> str:
        row = RoutingCursor.objects.select_for_update().filter(team_code=team_code).first()
        if row is None:
            raise KeyError(team_code)
        return row.cursor

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __bool__(self) -> bool:
        return True  # not "empty": its rows are only read when asked for


def _store_cursor(decision: RoutingDecision) -> None:
    if decision.cursor is not None:
        RoutingCursor.objects.update_or_create(team_code=decision.cursor_key, defaults={"cursor": decision.cursor})


def order_route(*, order_id: UUID, now: datetime) -> WorkOrder:
    """Runs the routing rules for an order waiting for an assignee and applies the decision."""
    with transaction.atomic():
        order = WorkOrder.objects.select_for_update(of=("self",)).select_related("project", "building").get(id=order_id)
        return order_route_held(order=order, now=now)


def order_route_held(*, order: WorkOrder, now: datetime) -> WorkOrder:
    """``order_route`` for an order the caller holds in its open transaction (locked, or just created
    by it), its project and building loaded."""
    if order.state not in ASSIGNABLE_FROM:
        raise InvalidTransition(details={"from": order.state, "to": State.ASSIGNED, "order": order.number})
    snapshots: list[TeamSnapshot] = []

    def candidates_for(team_code: str) -> list[Candidate]:
        snapshots.append(_team_snapshot(team_code))
        return snapshots[-1].candidates

    decision = route(active_definitions(), order_facts(order), candidates_for, now=now, cursors=LockedCursors())
    _store_cursor(decision)
    snapshot = snapshots[-1] if snapshots else None
    team_id = snapshot.team_id if snapshot else None
    if team_id is None:  # a team without technicians (or unknown to the database)
        team_id = Team.objects.filter(code=decision.team).values_list("id", flat=True).first()
    explanation = to_jsonable(decision.explanation)
    explanation["summary"] = decision.explanation.summary()
    routed = {"routing_explanation": {"rule": decision.rule_code, "rule_name": decision.rule_name,
                                      "team": decision.team, "strategy": decision.strategy,
                                      "applied_strategy": decision.applied_strategy,
                                      "required_skills": dict(decision.required_skills), **explanation},
              "definitions_version": decision.definitions_version, "team_id": team_id}
    if decision.assignee is not None:
        # The explanation is stored by the assignment step itself (one write of the order row).
        order = _apply_assignee(order=order, actor=system_actor("routing"), team_id=team_id,
                                technician_id=decision.assignee, method=Assignment.Method.ROUTING,
                                reason=f"{decision.rule_code}: {decision.applied_strategy}", now=now, also=routed)
        return order
    for name, value in routed.items():
        setattr(order, name, value)
    order.save(update_fields=["routing_explanation", "definitions_version", "team"])
    if decision.offer is not None:
        _open_offer(order=order, offer=decision.offer, now=now)
    return order


def _open_offer(*, order: WorkOrder, offer: EngineOffer, now: datetime) -> GrabOffer:
    row = GrabOffer.objects.create(
        order=order, team_code=offer.team, rule_code=offer.rule_code, rule_name=offer.rule_name,
        candidate_ids=list(offer.candidate_ids), required_skills=dict(offer.requirements.skills),
        max_open_load=offer.requirements.max_open_load, max_distance_km=offer.requirements.max_distance_km,
        fallback=offer.fallback, definitions_version=offer.definitions_version, offered_at=offer.offered_at,
        expires_at=offer.expires_at,
    )
    pool = system_note("grab_pool")
    event_add(order=order, kind=Kind.ASSIGNMENT, label="routing", note=pool.text, now=now,
              data={**pool.data, "offer_id": str(row.id), "candidates": len(offer.candidate_ids),
                    "expires_at": offer.expires_at.isoformat()})
    message = {"type": "grab.offered", "offer_id": str(row.id), "order_id": str(order.id), "number": order.number,
               "category": order.category_code, "priority": order.priority, "expires_at": row.expires_at.isoformat()}
    send_after_commit([group_for_technician(cid) for cid in offer.candidate_ids], message)
    countdown = max(0.0, (offer.expires_at - now).total_seconds())
    # By the task's name: the tasks module sits above this one (it calls these services).
    transaction.on_commit(lambda: current_app.send_task(GRAB_EXPIRE_TASK, args=[str(row.id)],
                                                        countdown=countdown + 0.5))
    return row


def _engine_offer(row: GrabOffer, site: tuple[float, float] | None) -> EngineOffer:
    return EngineOffer(
        rule_code=row.rule_code, rule_name=row.rule_name, team=row.team_code, candidate_ids=tuple(row.candidate_ids),
        offered_at=row.offered_at, expires_at=row.expires_at, fallback=row.fallback,  # type: ignore[arg-type]
        requirements=Requirements(skills=dict(row.required_skills), max_open_load=row.max_open_load,
                                  max_distance_km=row.max_distance_km),
        site=site, definitions_version=row.definitions_version,
    )


def order_grab(*, actor: User, order_id: UUID, now: datetime) -> WorkOrder:
    """A technician grabs an offered order. The first committed grab wins; the others get 409."""
    ensure_role(actor, [Role.TECHNICIAN])
    with transaction.atomic():
        order = WorkOrder.objects.select_for_update(of=("self",)).select_related("project").filter(id=order_id).first()
        offer = GrabOffer.objects.filter(order_id=order_id, status=GrabOffer.Status.OPEN).first() if order else None
        if order is None or offer is None or str(actor.id) not in offer.candidate_ids:
            raise NotFound(details={"object": "grab_offer"})
        try:
            accept_grab(_engine_offer(offer, None), str(actor.id), now)
        except GrabError as exc:
            raise Conflict(_("The grab pool for this order has closed."), code="grab_expired",
                           details={"expires_at": offer.expires_at.isoformat()}) from exc
        won = GrabOffer.objects.filter(id=offer.id, status=GrabOffer.Status.OPEN, expires_at__gt=now).update(
            status=GrabOffer.Status.TAKEN, taken_by=actor, closed_at=now)
        if won != 1:
            raise Conflict(_("Another technician took this order first."), code="grab_lost",
                           details={"order": order.number})
        team_id = Team.objects.filter(code=offer.team_code).values_list("id", flat=True).first()
        pool = system_note("grab_pool")
        return _apply_assignee(order=order, actor=Actor(user=actor, system="grab"), team_id=team_id,
                               technician_id=actor.id, method=Assignment.Method.GRAB, reason=pool.text,
                               data=pool.data, now=now)


def grab_offer_expire(*, offer_id: UUID | str, now: datetime) -> WorkOrder | None:
    """Nobody grabbed in time: claim the offer (once, whatever the retries) and apply its fallback."""
    with transaction.atomic():
        claimed = GrabOffer.objects.filter(id=offer_id, status=GrabOffer.Status.OPEN, expires_at__lte=now).update(
            status=GrabOffer.Status.EXPIRED, closed_at=now)
        if claimed != 1:
            return None
        offer = GrabOffer.objects.get(id=offer_id)
        order = WorkOrder.objects.select_for_update(of=("self",)).select_related("project").get(id=offer.order_id)
        if order.state not in ASSIGNABLE_FROM:
            return order
        cursor_row = RoutingCursor.objects.select_for_update().filter(team_code=offer.team_code).first()
        decision = expire_grab(_engine_offer(offer, _position(order.project.latitude, order.project.longitude)),
                               candidates_snapshot(team_code=offer.team_code), now=now,
                               cursor=cursor_row.cursor if cursor_row else None)
        _store_cursor(decision)
        if decision.assignee is None:
            expired = system_note("grab_expired")
            event_add(order=order, kind=Kind.ASSIGNMENT, label="routing", note=expired.text,
                      data={**to_jsonable(decision.explanation), **expired.data}, now=now)
            return order
        team_id = Team.objects.filter(code=offer.team_code).values_list("id", flat=True).first()
        return _apply_assignee(order=order, actor=system_actor("grab_fallback"), team_id=team_id,
                               technician_id=decision.assignee, method=Assignment.Method.FALLBACK,
                               reason=f"grab pool expired: {decision.applied_strategy}", now=now,
                               data={"explanation": decision.explanation.summary()})


def order_assign(*, actor: User, order_id: UUID, technician_id: UUID, reason: str, now: datetime) -> WorkOrder:
    """A dispatcher assigns or reassigns an order, overriding routing; the reason goes on the timeline."""
    ensure_role(actor, [Role.DISPATCHER, Role.ENGINEERING_MANAGER, Role.ADMINISTRATOR])
    if not reason.strip():
        raise ValidationFailed(details={"errors": [{"field": "reason", "reason": str(_("Give a reason."))}]})
    with transaction.atomic():
        order = access_order(actor, order_id, for_update=True)
        technician = User.objects.filter(id=technician_id, is_active=True).first()
        if technician is None or not has_role(technician, Role.TECHNICIAN):
            raise ValidationFailed(_("Choose an active technician."), code="not_a_technician",
                                   details={"technician_id": str(technician_id)})
        if order.state not in ASSIGNABLE_FROM | REASSIGNABLE:
            raise InvalidTransition(details={"from": order.state, "to": State.ASSIGNED, "order": order.number})
        team = technician.teams.filter(Q(projects=order.project_id) | Q(projects__isnull=True)).first() or \
            technician.teams.first()
        GrabOffer.objects.filter(order=order, status=GrabOffer.Status.OPEN).update(
            status=GrabOffer.Status.WITHDRAWN, closed_at=now)
        return _apply_assignee(order=order, actor=Actor(user=actor), team_id=team.id if team else None,
                               technician_id=technician.id,
                               method=Assignment.Method.DISPATCHER, reason=reason, now=now)
