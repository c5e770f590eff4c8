"""Reads of the staff console, each starting from the actor's scope (``orders_visible_to``).

The queue is one query for the page (urgency and the SLA rungs as subqueries), one for the rungs of
the page's rows and one count: the number of queries does not grow with the rows.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from backend.accounts.access import has_role
from backend.accounts.models import Team, TechnicianProfile, User
from backend.accounts.roles import Role
from backend.console.access import ensure_console, may_see_full_phone
from backend.console.models import SavedFilter
from backend.core.dates import business_date
from backend.core.errors import ValidationFailed
from backend.properties.identity import mask_phone
from backend.properties.models import Building, Owner, Project, PublicArea, Unit
from backend.properties.selectors import active_ownerships
from backend.workorders.access import access_order, orders_visible_to
from backend.workorders.definitions import active_definitions, to_jsonable
from backend.workorders.models import (
    ApprovalInstance,
    ApprovalPending,
    Attachment,
    Comment,
    GrabOffer,
    Priority,
    SlaAlert,
    SlaDeadline,
    WorkOrder,
)
from backend.workorders.selectors import OrderFilters, orders_filtered, sla_at_risk_q, sla_breached_q
from backend.workorders.states import ALLOWED, OPEN_STATES, State, WaitingReason

PAGE_SIZE = 50
# Orders without a running deadline sort after every order with one.
FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)
RUNG_LEVELS = {"warning": "warn_at", "urgent": "urgent_at"}
TEXT_MAX = 100


@dataclass(frozen=True)
class QueueFilters:
    project: str = ""
    building: str = ""
    category: str = ""
    priority: str = ""
    state: str = ""
    team: str = ""
    risk: str = ""  # "at_risk" | "breached"
    channel: str = ""
    verdict: str = ""
    q: str = ""

    @classmethod
    def from_query(cls, query: Any) -> QueueFilters:
        """From a request's GET: unknown keys ignored, ids checked (a bad one is a field error)."""
        values = {f.name: (query.get(f.name) or "").strip() for f in fields(cls)}
        errors = []
        for name in ("project", "building", "team"):
            if values[name]:
                try:
                    uuid.UUID(values[name])
                except ValueError:
                    errors.append({"field": name, "reason": _("Not a valid id.")})
        if values["risk"] not in {"", "at_risk", "breached"}:
            errors.append({"field": "risk", "reason": _("Choose at risk or breached.")})
        if values["state"] and values["state"] not in OPEN_STATES:
            errors.append({"field": "state", "reason": _("Choose an open state.")})
        if errors:
            raise ValidationFailed(details={"errors": errors})
        values["q"] = values["q"][:TEXT_MAX]
        return cls(**values)

    def query_string(self) -> str:
        from urllib.parse import urlencode

        return urlencode({f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)})

    @property
    def active(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))


def _next_deadline(field: str) -> Subquery:
    unmet = SlaDeadline.objects.filter(order=OuterRef("pk"), met_at__isnull=True, deadline_at__isnull=False)
    return Subquery(unmet.order_by("deadline_at").values(field)[:1])


def queue_queryset(*, actor: Any, filters: QueueFilters, now: datetime) -> QuerySet[Any]:
    """Every open order in the actor's scope that the filters keep, with its urgency (the next due SLA
    deadline) annotated."""
    ensure_console(actor)
    f = filters
    shared = OrderFilters(state=[f.state] if f.state else sorted(OPEN_STATES), project_id=f.project or None,
                          building_id=f.building or None, category=f.category or None, priority=f.priority or None,
                          team_id=f.team or None, channel=f.channel or None, verdict=f.verdict or None,
                          text=f.q or None, sla=f.risk or None)
    qs: Any = orders_filtered(orders_visible_to(actor), shared, now=now)
    return qs.annotate(urgency_at=Coalesce(_next_deadline("deadline_at"), Value(FAR_FUTURE)))


def _encode_cursor(urgency_at: datetime, order_id: Any) -> str:
    raw = json.dumps([urgency_at.isoformat(), str(order_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        when_text, order_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        when = parse_datetime(when_text)
        if when is None:
            raise ValueError(when_text)
        return when, uuid.UUID(order_id)
    except (ValueError, TypeError, json.JSONDecodeError) as exc:
        raise ValidationFailed(code="invalid_cursor", details={"cursor": cursor[:100]}) from exc


ROW_RELATED = ("project", "building", "unit", "public_area", "technician")


def queue_page(*, actor: Any, filters: QueueFilters, now: datetime, cursor: str | None = None,
               limit: int = PAGE_SIZE) -> dict[str, Any]:
    """A page of the queue, most urgent first (the next due deadline, then the id), keyset-paginated."""
    qs = queue_queryset(actor=actor, filters=filters, now=now)
    page = qs
    if cursor:
        urgency_at, order_id = _decode_cursor(cursor)
        page = page.filter(Q(urgency_at__gt=urgency_at) | Q(urgency_at=urgency_at, id__gt=order_id))
    rows: list[Any] = list(page.select_related(*ROW_RELATED).annotate(next_target=_next_deadline("target"),
                                                           next_cycle=_next_deadline("cycle"))
                .order_by("urgency_at", "id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return {"rows": queue_rows(rows, now=now),
            "next_cursor": _encode_cursor(rows[-1].urgency_at, rows[-1].id) if more and rows else None,
            "total": qs.count()}


def queue_row(*, actor: Any, filters: QueueFilters, order_id: Any, now: datetime) -> dict[str, Any] | None:
    """One order's row as the queue shows it, or None when it is no longer in the filtered queue."""
    order = (queue_queryset(actor=actor, filters=filters, now=now).filter(id=order_id).select_related(*ROW_RELATED)
             .annotate(next_target=_next_deadline("target"), next_cycle=_next_deadline("cycle")).first())
    return queue_rows([order], now=now)[0] if order is not None else None


def _rungs(orders: Sequence[Any]) -> dict[tuple[Any, Any, Any], dict[str, datetime]]:
    """The warning and urgent rungs of each order's next due target, in one query: the orders' rungs
    read by order id and kept for the (cycle, target) each order is on (one ``OR`` term per order made
    the statement slower to compile than to run)."""
    next_of = {o.id: (o.next_cycle, o.next_target) for o in orders if getattr(o, "next_target", None)}
    result: dict[tuple[Any, Any, Any], dict[str, datetime]] = {}
    if not next_of:
        return result
    rows = SlaAlert.objects.filter(order_id__in=list(next_of), level__in=list(RUNG_LEVELS),
                                   due_at__isnull=False).values_list("order_id", "cycle", "target", "level", "due_at")
    for order_id, cycle, target, level, due_at in rows:
        if next_of.get(order_id) == (cycle, target) and due_at is not None:
            result.setdefault((order_id, cycle, target), {})[RUNG_LEVELS[level]] = due_at
    return result


def rung_of(*, now: datetime, deadline_at: datetime | None, warn_at: datetime | None,
            urgent_at: datetime | None) -> str:
    """The alert rung an SLA target has crossed at ``now``: ok, warning (≥ 50 %), urgent (≥ 75 %), breached."""
    if deadline_at is None:
        return "none"
    if now >= deadline_at:
        return "breached"
    if urgent_at is not None and now >= urgent_at:
        return "urgent"
    if warn_at is not None and now >= warn_at:
        return "warning"
    return "ok"


def queue_rows(orders: Sequence[Any], *, now: datetime) -> list[dict[str, Any]]:
    definitions = active_definitions()
    rungs = _rungs(orders)
    rows = []
    for o in orders:
        deadline_at = o.urgency_at if o.urgency_at != FAR_FUTURE else None
        times = rungs.get((o.id, getattr(o, "next_cycle", None), getattr(o, "next_target", None)), {})
        rows.append({
            "id": o.id, "number": o.number, "place": place_of(o), "category": definitions.category_label(o.category_code),
            "priority": o.priority, "state": o.state, "state_label": State(o.state).label,
            "assignee": str(o.technician) if o.technician_id else "",
            "waiting_reason": WaitingReason(o.waiting_reason).label if o.waiting_reason else "",
            "channel": o.get_channel_display(), "verdict": o.warranty_verdict, "verdict_label": o.get_warranty_verdict_display(),
            "target": getattr(o, "next_target", None) or "", "deadline_at": deadline_at,
            "warn_at": times.get("warn_at"), "urgent_at": times.get("urgent_at"),
            "rung": rung_of(now=now, deadline_at=deadline_at, warn_at=times.get("warn_at"),
                            urgent_at=times.get("urgent_at")),
            "revision": o.revision,
        })
    return rows


def place_of(order: WorkOrder) -> str:
    parts = [order.project.name]
    if order.unit_id and order.unit is not None:
        parts += [order.building.name if order.building_id and order.building else "", order.unit.number]
    elif order.public_area_id and order.public_area is not None:
        parts.append(order.public_area.name)
    return " ".join(p for p in parts if p)


def filter_options(*, actor: Any) -> dict[str, Any]:
    """What the queue's filter controls offer: the projects, buildings and teams of the actor's scope."""
    ensure_console(actor)
    scope = _project_scope(actor)
    projects = list((Project.objects.filter(id__in=scope) if scope is not None else Project.objects.all())
                    .order_by("name").values("id", "name"))
    ids = [p["id"] for p in projects]
    buildings = list(Building.objects.filter(project_id__in=ids).order_by("project__name", "name")
                     .values("id", "name", "project__name")[:500])
    teams = list(Team.objects.filter(projects__in=ids).distinct().order_by("name").values("id", "name"))
    definitions = active_definitions()
    categories = [(c.code, c.name, c.name_en) for c in definitions.categories_doc.categories]
    return {"projects": projects, "buildings": buildings, "teams": teams, "categories": categories,
            "priorities": Priority.choices, "states": [(s, State(s).label) for s in State if s in OPEN_STATES],
            "channels": WorkOrder._meta.get_field("channel").choices,
            "verdicts": WorkOrder._meta.get_field("warranty_verdict").choices}


def _sees_everything(actor: Any) -> bool:
    from backend.accounts.access import is_administrator

    return is_administrator(actor) or has_role(actor, Role.ENGINEERING_DIRECTOR)


def saved_filters(*, actor: Any) -> list[SavedFilter]:
    return list(SavedFilter.objects.filter(user=actor).order_by("name"))


# --- the start page and the bell ---------------------------------------------------------------------


def start_counters(*, actor: Any, now: datetime) -> dict[str, int]:
    ensure_console(actor)
    open_orders = orders_visible_to(actor).filter(state__in=OPEN_STATES)
    counts = open_orders.aggregate(
        new=Count("id", filter=Q(state=State.SUBMITTED)),
        breached=Count("id", filter=sla_breached_q(now)),
        at_risk=Count("id", filter=sla_at_risk_q(now)),
    )
    counts["waiting_on_me"] = ApprovalPending.objects.filter(user=actor, approval__status="in_progress").count()
    counts["messages"] = owner_messages(actor=actor, now=now).count()
    return {k: int(v or 0) for k, v in counts.items()}


def owner_messages(*, actor: Any, now: datetime) -> QuerySet[Comment]:
    """The owners' messages of the last day on open orders in the actor's scope."""
    return Comment.objects.filter(from_owner=True, created_at__gte=now - timedelta(days=1),
                                  order__in=orders_visible_to(actor).filter(state__in=OPEN_STATES))


def bell(*, actor: Any, now: datetime) -> dict[str, Any]:
    """What the bell shows: unread notifications (rungs crossed, approvals), approvals waiting, owner messages."""
    from backend.workorders.models import Notification

    unread = list(Notification.objects.filter(user=actor, read_at__isnull=True).order_by("-id")[:10])
    waiting = ApprovalPending.objects.filter(user=actor, approval__status="in_progress").count()
    from backend.accounts.access import has_role
    from backend.workorders.access import ORDER_VIEWERS

    # The CRM's users share the layout and its bell, but read no work orders.
    messages = list(owner_messages(actor=actor, now=now).select_related("order").order_by("-created_at")[:5]) \
        if has_role(actor, *ORDER_VIEWERS) else []
    return {"unread": unread, "waiting": waiting, "messages": messages,
            "count": len(unread) + waiting + len(messages)}


# --- the order workspace -----------------------------------------------------------------------------


STAFF_ACTIONS = [
    # (action, target state, label) in the order the workspace offers them.
    ("accept", State.ACCEPTED, "Accept"),
    ("hold", State.WAITING, "Hold"),
    ("resume", State.IN_PROGRESS, "Resume"),
    ("unassign", State.ACCEPTED, "Back to the queue"),
    ("reopen", State.REOPENED, "Reopen"),
    ("close", State.CLOSED, "Close"),
    ("reject", State.REJECTED, "Reject"),
    ("cancel", State.CANCELLED, "Cancel"),
]
ACTION_TARGETS = {a: to for a, to, _label in STAFF_ACTIONS}
ASSIGNABLE = frozenset({State.SUBMITTED, State.ACCEPTED, State.REOPENED, State.ASSIGNED, State.EN_ROUTE})


def allowed_actions(*, actor: Any, order: WorkOrder) -> list[str]:
    """The steps the state machine's table lets this user take from the order's state (office steps: a
    technician's field steps are taken on the phone)."""
    from backend.accounts.access import user_roles

    roles = set(user_roles(actor))
    result = []
    for action, to, _label in STAFF_ACTIONS:
        if action == "unassign" and order.state != State.ASSIGNED:
            continue
        if action == "accept" and order.state not in {State.SUBMITTED, State.REOPENED}:
            continue
        allowed_roles = ALLOWED.get((order.state, to), frozenset())
        if roles & set(allowed_roles) - {Role.TECHNICIAN, Role.HOMEOWNER}:
            result.append(action)
    if order.state in ASSIGNABLE and has_role(actor, Role.DISPATCHER, Role.ENGINEERING_MANAGER, Role.ADMINISTRATOR):
        result.append("assign")
    if "cancel" in result:
        result.append("merge")  # a duplicate is cancelled into the order it repeats
    return result


def workspace(*, actor: Any, order_id: Any, now: datetime) -> dict[str, Any]:
    ensure_console(actor)
    order = access_order(actor, order_id)
    order = WorkOrder.objects.select_related("project", "building", "unit", "public_area", "technician", "team").get(
        id=order.id)
    definitions = active_definitions()
    deadlines = list(SlaDeadline.objects.filter(order=order).order_by("cycle", "target"))
    alerts = list(SlaAlert.objects.filter(order=order, level__in=list(RUNG_LEVELS)))
    cycle = max((d.cycle for d in deadlines), default=None)
    targets: list[dict[str, Any]] = []
    for d in deadlines:
        if d.cycle != cycle:
            continue
        times = {RUNG_LEVELS[a.level]: a.due_at for a in alerts if a.cycle == d.cycle and a.target == d.target}
        targets.append({"target": d.target, "deadline_at": d.deadline_at, "met_at": d.met_at, "status": d.status,
                        "paused": d.status == "paused", **times,
                        "rung": "met" if d.met_at else rung_of(now=now, deadline_at=d.deadline_at,
                                                               warn_at=times.get("warn_at"),
                                                               urgent_at=times.get("urgent_at"))})
    targets.sort(key=lambda t: {"response": 0, "arrival": 1, "resolution": 2}.get(str(t["target"]), 9))
    comments = list(order.comments.select_related("author", "author_owner").order_by("created_at"))
    approvals = list(ApprovalInstance.objects.filter(order=order).prefetch_related("pending__user")
                     .order_by("-opened_at")[:3])
    phone = order.contact_phone if may_see_full_phone(actor) else mask_phone(order.contact_phone)
    latest_seq = order.events.order_by("-id").values_list("id", flat=True).first()
    return {
        "order": order, "place": place_of(order), "category": definitions.category_label(order.category_code),
        "state_label": State(order.state).label, "targets": targets, "phone": phone,
        "timeline": list(order.events.select_related("actor").order_by("id")),
        "explanation": _named(order.routing_explanation or {}),
        "photos": list(Attachment.objects.filter(order=order).order_by("created_at")),
        "thread": [c for c in comments if c.owner_visible or c.from_owner],
        "notes": [c for c in comments if not c.owner_visible and not c.from_owner],
        "approvals": [_approval_view(a) for a in approvals],
        "actions": allowed_actions(actor=actor, order=order), "seq": latest_seq or 0,
        "waiting_reasons": WaitingReason.choices,
    }


def _named(explanation: dict[str, Any]) -> dict[str, Any]:
    """The stored explanation with each candidate's name beside its id (one query)."""
    candidates = explanation.get("candidates") or []
    if not candidates:
        return explanation
    names = {str(u.id): str(u) for u in User.objects.filter(id__in=[c.get("candidate_id") for c in candidates])}
    return {**explanation, "candidates": [{**c, "name": names.get(str(c.get("candidate_id")), "")} for c in candidates]}


def _approval_view(instance: ApprovalInstance) -> dict[str, Any]:
    steps = instance.state.get("steps", []) if isinstance(instance.state, dict) else []
    return {"instance": instance, "steps": steps, "pending": [p.user for p in instance.pending.all()]}


def technician_picker(*, actor: Any, order_id: Any, now: datetime) -> list[dict[str, Any]]:
    """The technicians an order may go to, each with skills, open load, distance and today's orders, and
    whether the routing engine's own eligibility rules admit them (the same explanation routing stores)."""
    ensure_console(actor)
    order = access_order(actor, order_id)
    order = WorkOrder.objects.select_related("project", "building", "team").get(id=order.id)
    explanation = dry_route(order=order, now=now)
    evaluations = {str(e["candidate_id"]): e for e in explanation.get("candidates", [])}
    team_ids = [order.team_id] if order.team_id else list(
        Team.objects.filter(projects=order.project_id).values_list("id", flat=True))
    profiles = list(TechnicianProfile.objects.select_related("user").filter(user__is_active=True,
                                                                            user__teams__in=team_ids).distinct()
                    .order_by("user__username"))
    loads = _loads([p.user_id for p in profiles], now=now)
    result = []
    for p in profiles:
        ev = evaluations.get(str(p.user_id), {})
        result.append({"id": p.user_id, "name": str(p.user), "skills": p.skills, "on_duty": p.on_duty,
                       "open": loads["open"].get(p.user_id, 0), "today": loads["today"].get(p.user_id, 0),
                       "distance_km": _distance_km(p, order.project),
                       "eligible": bool(ev.get("eligible")), "rank": ev.get("rank"),
                       "why": _why(ev)})
    result.sort(key=lambda r: (not r["eligible"], r["rank"] or 99, r["name"]))
    return result


def _why(evaluation: dict[str, Any]) -> str:
    if not evaluation:
        return _("not in the team routing chose")
    if evaluation.get("eligible"):
        return str(evaluation.get("detail") or "")
    return "; ".join(str(r.get("text", "")) for r in evaluation.get("exclusions", []))


def _loads(user_ids: list[Any], *, now: datetime) -> dict[str, dict[Any, int]]:
    from backend.core.dates import business_date

    open_counts = dict(WorkOrder.objects.filter(technician_id__in=user_ids, state__in=OPEN_STATES)
                       .values_list("technician_id").annotate(n=Count("id")))
    day = business_date(now)
    today = dict(WorkOrder.objects.filter(technician_id__in=user_ids, assignments__started_at__date=day)
                 .values_list("technician_id").annotate(n=Count("id", distinct=True)))
    return {"open": open_counts, "today": today}


def _distance_km(profile: TechnicianProfile, project: Project) -> float | None:
    if profile.last_latitude is None or profile.last_longitude is None:
        return None
    from geopy.distance import geodesic

    return round(geodesic((float(profile.last_latitude), float(profile.last_longitude)),
                          (float(project.latitude), float(project.longitude))).km, 1)


def dry_route(*, order: WorkOrder, now: datetime) -> dict[str, Any]:
    """The routing engine's decision for the order now, without applying it: the same explanation object
    that automatic routing stores on the order (rules tried, every candidate's score or exclusions)."""
    from backend.workorders.dispatch.routing import candidates_snapshot, order_facts
    from workflows.routing import route

    decision = route(active_definitions(), order_facts(order), lambda code: candidates_snapshot(team_code=code),
                     now=now, cursors={})
    explanation = to_jsonable(decision.explanation)
    explanation["summary"] = decision.explanation.summary()
    return {"rule": decision.rule_code, "rule_name": decision.rule_name, "team": decision.team,
            "strategy": decision.strategy, "applied_strategy": decision.applied_strategy,
            "required_skills": dict(decision.required_skills), **explanation}


# --- the dispatch board ------------------------------------------------------------------------------


def board(*, actor: Any, team_id: Any, day: Any, now: datetime) -> dict[str, Any]:
    """A team's day: its technicians as lanes with their open orders (time order), the team's unassigned
    orders and the open grab offers with their countdowns; positions for the map."""
    from backend.console.access import BOARD_ROLES

    ensure_console(actor, BOARD_ROLES)
    scope = orders_visible_to(actor)
    teams = list(Team.objects.filter(projects__in=scope.values("project_id")).distinct().order_by("name")) \
        if not _sees_everything(actor) else list(Team.objects.order_by("name"))
    team = next((t for t in teams if str(t.id) == str(team_id)), teams[0] if teams and not team_id else None)
    if team is None:
        from backend.core.errors import NotFound

        raise NotFound(details={"object": "team"})
    members = list(User.objects.filter(teams=team, technician_profile__isnull=False, is_active=True)
                   .select_related("technician_profile").order_by("username"))
    open_orders: Any = (queue_queryset(actor=actor, filters=QueueFilters(), now=now)
                   .filter(Q(team=team) | Q(technician__in=members))
                   .select_related(*ROW_RELATED).annotate(next_target=_next_deadline("target"),
                                                          next_cycle=_next_deadline("cycle"))
                   .order_by("urgency_at", "id")[:500])
    # The day's orders: those whose preferred visit falls on it; today's board also carries the backlog
    # (orders with no visit planned, or planned on a day gone by) — everything still open needs doing.
    today = business_date(now)
    visits = {o.id: _visit_at(o) for o in open_orders}
    visit_days = {order_id: business_date(at) if at is not None else None for order_id, at in visits.items()}
    orders = [o for o in open_orders
              if visit_days[o.id] == day or (day == today and (visit_days[o.id] or today) <= today)]
    # Cards in time order: the planned visit first, then the most urgent.
    orders.sort(key=lambda o: (visits[o.id] is None, visits[o.id] or o.urgency_at, o.urgency_at, str(o.id)))
    rows = {r["id"]: r for r in queue_rows(orders, now=now)}
    offers = {o.order_id: o for o in GrabOffer.objects.filter(order_id__in=[o.id for o in orders], status="open")}
    lanes: dict[Any, list[dict[str, Any]]] = {m.id: [] for m in members}
    side: list[dict[str, Any]] = []
    for o in orders:
        row = {**rows[o.id], "offer_expires_at": offers[o.id].expires_at if o.id in offers else None,
               "visit_at": visits[o.id]}
        if o.technician_id in lanes:
            lanes[o.technician_id].append(row)
        elif not o.technician_id:
            side.append(row)
    loads = _loads([m.id for m in members], now=now)
    projects = list(Project.objects.filter(id__in={o.project_id for o in orders} | set(
        team.projects.values_list("id", flat=True))).values("id", "name", "latitude", "longitude"))
    return {
        "teams": teams, "team": team, "day": day, "side": side,
        "lanes": [{"technician": m, "profile": m.technician_profile, "cards": lanes[m.id],
                   "open": loads["open"].get(m.id, 0), "today": loads["today"].get(m.id, 0)} for m in members],
        "map": {"projects": [{"name": p["name"], "value": [float(p["longitude"]), float(p["latitude"])]}
                             for p in projects],
                "technicians": [{"name": str(m), "id": str(m.id),
                                 "value": [float(m.technician_profile.last_longitude),
                                           float(m.technician_profile.last_latitude)]}
                                for m in members if m.technician_profile.last_latitude is not None
                                and m.technician_profile.last_longitude is not None]},
    }


def _visit_at(order: WorkOrder) -> datetime | None:
    """The start of the order's first preferred visit slot (stored as ISO text with its offset)."""
    for slot in order.preferred_slots or []:
        start = parse_datetime(str(slot.get("start", ""))) if isinstance(slot, dict) else None
        if start is not None and start.tzinfo is not None:
            return start
    return None


# --- phone intake ------------------------------------------------------------------------------------


def caller_lookup(*, actor: Any, phone: str, now: datetime) -> dict[str, Any]:
    """The owners whose phone ends with or equals what the agent typed (≥ 4 digits), and their units
    today, limited to the projects of the agent's scope; the phone masked unless the role may see it."""
    from backend.console.access import INTAKE_ROLES
    from backend.core.dates import business_date

    ensure_console(actor, INTAKE_ROLES)
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) < 4:
        return {"owners": [], "digits": digits}
    owners = list(Owner.objects.filter(phone__endswith=digits).order_by("name")[:10])
    projects = _project_scope(actor)
    ownerships = (active_ownerships(business_date(now)).filter(owner__in=owners)
                  .select_related("unit__building__project"))
    if projects is not None:
        ownerships = ownerships.filter(unit__building__project_id__in=projects)
    units: dict[Any, list[Unit]] = {}
    for ship in ownerships:
        units.setdefault(ship.owner_id, []).append(ship.unit)
    full = may_see_full_phone(actor)
    return {"digits": digits, "owners": [{"owner": o, "phone": o.phone if full else mask_phone(o.phone),
                                          "units": units.get(o.id, [])} for o in owners if o.id in units]}


def _project_scope(actor: Any) -> Any:
    from backend.workorders.access import project_ids_of

    return None if _sees_everything(actor) else project_ids_of(actor)


def public_areas(*, actor: Any) -> list[PublicArea]:
    qs = PublicArea.objects.select_related("project", "building").order_by("project__name", "name")
    projects = _project_scope(actor)
    if projects is not None:
        qs = qs.filter(project_id__in=projects)
    return list(qs[:300])


def intake_duplicates(*, actor: Any, unit_id: Any, public_area_id: Any) -> list[WorkOrder]:
    """Open orders on the same place in the agent's scope, newest first: offered before a new order."""
    place = {"unit_id": unit_id} if unit_id else {"public_area_id": public_area_id}
    return list(orders_visible_to(actor).filter(state__in=OPEN_STATES, **place).order_by("-created_at")[:10])


# --- approvals ---------------------------------------------------------------------------------------


def approvals_waiting(*, actor: Any, now: datetime) -> list[dict[str, Any]]:
    """What waits on me: each approval with its order, estimate lines, photos and the SLA time at stake."""
    from backend.console.access import APPROVER_ROLES

    ensure_console(actor, APPROVER_ROLES)
    pending = list(ApprovalPending.objects.filter(user=actor, approval__status="in_progress")
                   .select_related("approval__order__project", "approval__order__unit", "approval__order__building",
                                   "approval__order__public_area", "approval__requester")
                   .order_by("approval__opened_at"))
    order_ids = [p.approval.order_id for p in pending]
    parts: dict[Any, list[Any]] = {}
    from backend.workorders.models import LabourLine, PartUsage

    for part in PartUsage.objects.filter(order_id__in=order_ids).order_by("created_at"):
        parts.setdefault(part.order_id, []).append(part)
    labour: dict[Any, list[Any]] = {}
    for line in LabourLine.objects.filter(order_id__in=order_ids).order_by("created_at"):
        labour.setdefault(line.order_id, []).append(line)
    photos: dict[Any, list[Any]] = {}
    for photo in Attachment.objects.filter(order_id__in=order_ids).order_by("created_at"):
        photos.setdefault(photo.order_id, []).append(photo)
    deadlines: dict[Any, Any] = {}
    for d in SlaDeadline.objects.filter(order_id__in=order_ids, met_at__isnull=True).order_by("deadline_at"):
        deadlines.setdefault(d.order_id, d)
    result = []
    for p in pending:
        instance = p.approval
        steps = instance.state.get("steps", [])
        step = steps[p.step] if p.step < len(steps) else {}
        result.append({"instance": instance, "order": instance.order, "place": place_of(instance.order),
                       "step": step, "steps": steps, "parts": parts.get(instance.order_id, []),
                       "labour": labour.get(instance.order_id, []), "photos": photos.get(instance.order_id, [])[:4],
                       "waited_seconds": int((now - instance.opened_at).total_seconds()),
                       "deadline": deadlines.get(instance.order_id)})
    return result


def approvals_decided(*, actor: Any, limit: int = 50) -> list[dict[str, Any]]:
    """My decided history: the approvals whose engine state records a decision of mine."""
    from backend.console.access import APPROVER_ROLES

    ensure_console(actor, APPROVER_ROLES)
    mine = str(actor.id)
    rows = []
    for instance in (ApprovalInstance.objects.select_related("order").order_by("-opened_at")
                     .filter(order__in=orders_visible_to(actor))[:300]):
        for step in instance.state.get("steps", []):
            for signature in step.get("signatures", []) or []:
                if str(signature.get("user")) == mine:
                    rows.append({"instance": instance, "step": step, "decision": signature})
        if len(rows) >= limit:
            break
    return rows


def delegates(*, actor: Any) -> list[User]:
    """Whom an approver may delegate to: active users holding one of the approver roles, but not the actor."""
    from backend.console.access import APPROVER_ROLES

    return list(User.objects.filter(is_active=True, role_rows__role__in=APPROVER_ROLES).exclude(id=actor.id)
                .distinct().order_by("username")[:100])


def stand_in_periods(*, actor: Any, now: datetime) -> list[Any]:
    """My times away that are running or to come."""
    from backend.workorders.models import ApprovalStandIn

    return list(ApprovalStandIn.objects.filter(user=actor, ended_at__isnull=True, ends_at__gt=now)
                .select_related("stand_in").order_by("starts_at"))


def order_seq(*, order_id: Any) -> int:
    from backend.workorders.models import TimelineEvent

    return TimelineEvent.objects.filter(order_id=order_id).order_by("-id").values_list("id", flat=True).first() or 0

