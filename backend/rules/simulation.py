"""What a draft would have done to the last N days of real orders, against what happened.

For each order created in the window: routing (rule, team, strategy the draft's rules pick for the
order's facts at its creation time, against the explanation stored when it was routed), SLA (the
draft's schedule for the order's own clock events, against the stored deadlines: moved deadlines,
breaches), approvals (the graph and approver roles each estimate would need, against the graph it
went through). Reads only: four queries whatever the number of orders, nothing written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from backend.workorders.definitions import definitions_for
from backend.workorders.dispatch.routing import facts_of
from backend.workorders.models import ApprovalInstance, SlaClockEvent, SlaDeadline, WorkOrder
from backend.workorders.sla.clocks import engine_events
from workflows.approvals import ApprovalSubject, select_graph
from workflows.definition_set import DefinitionSet
from workflows.errors import WorkflowError
from workflows.routing import match_rule
from workflows.schema import ApprovalGraphBase
from workflows.sla import compute_schedule

MAX_DAYS = 366
LATE = frozenset({"breached", "met_late"})


@dataclass
class OrderDiff:
    order_id: Any
    number: str
    created_at: datetime
    category: str
    priority: str
    routing_before: dict[str, str]
    routing_after: dict[str, str]
    sla_before: dict[str, dict[str, Any]]   # target -> {deadline_at, status}
    sla_after: dict[str, dict[str, Any]]
    approvals: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""

    @property
    def routing_changed(self) -> bool:
        # An order assigned by hand was not routed: nothing to compare with.
        return bool(self.routing_after and self.routing_before) and any(
            self.routing_before.get(k) != self.routing_after.get(k) for k in ("team", "strategy"))

    @property
    def moved_targets(self) -> list[str]:
        return [t for t, after in self.sla_after.items()
                if self.sla_before.get(t, {}).get("deadline_at") != after.get("deadline_at")]

    @property
    def breached_before(self) -> bool:
        return any(c.get("status") in LATE for c in self.sla_before.values())

    @property
    def breached_after(self) -> bool:
        return any(c.get("status") in LATE for c in self.sla_after.values())

    @property
    def approvals_changed(self) -> bool:
        return any(a["before_graph"] != a["after_graph"] or a["before_roles"] != a["after_roles"]
                   for a in self.approvals)

    @property
    def changed(self) -> bool:
        return bool(self.error or self.routing_changed or self.moved_targets or self.approvals_changed
                    or self.breached_before != self.breached_after)


@dataclass
class Simulation:
    days: int
    since: datetime
    until: datetime
    version: str
    orders: list[OrderDiff]
    totals: dict[str, Any]


def _graph_roles(graph: ApprovalGraphBase) -> list[list[str]]:
    return [sorted({spec.role for spec in step.approvers}) for step in graph.steps]


def _graph_by_code(definitions: DefinitionSet, code: str) -> ApprovalGraphBase | None:
    for graph in (*definitions.approvals.graphs, definitions.approvals.default):
        if graph.code == code:
            return graph
    return None


def _grouped(rows: Iterable[Any]) -> dict[Any, list[Any]]:
    grouped: dict[Any, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row.order_id].append(row)
    return grouped


ORDER_FIELDS = ("id", "number", "created_at", "category_code", "priority", "description", "channel",
                "warranty_verdict", "routing_explanation", "definitions_version", "project__code",
                "project__latitude", "project__longitude", "building__code")


def window_orders(*, since: datetime, until: datetime) -> list[Any]:
    """The orders created in the window as named rows of what routing, the diff and the page read."""
    return list(WorkOrder.objects.filter(created_at__gte=since, created_at__lt=until).order_by("created_at", "id")
                .values_list(*ORDER_FIELDS, named=True))


def simulate(*, definitions: DefinitionSet, days: int, now: datetime) -> Simulation:
    """Replays the window's orders through ``definitions``."""
    days = max(1, min(int(days), MAX_DAYS))
    since = now - timedelta(days=days)
    rows = window_orders(since=since, until=now)
    ids = [o.id for o in rows]
    window = {"order__created_at__gte": since, "order__created_at__lt": now}
    # Named rows rather than model instances: the replay reads five fields of tens of thousands of rows.
    events = _grouped(SlaClockEvent.objects.filter(**window).order_by("order_id", "at", "id").values_list(
        "order_id", "kind", "at", "category_code", "priority", "reason", named=True)) if ids else {}
    deadlines = _grouped(SlaDeadline.objects.filter(**window).values_list(
        "order_id", "cycle", "target", "deadline_at", "status", named=True)) if ids else {}
    approvals = _grouped(ApprovalInstance.objects.filter(**window).order_by("opened_at")) if ids else {}
    diffs = [replay_order(definitions=definitions, order=o, events=events.get(o.id, []),
                          deadlines=deadlines.get(o.id, []), approvals=approvals.get(o.id, []), now=now)
             for o in rows]
    return Simulation(days=days, since=since, until=now, version=definitions.version, orders=diffs,
                      totals=totals_of(diffs))


def replay_order(*, definitions: DefinitionSet, order: Any, events: list[Any],
                 deadlines: list[Any], approvals: list[ApprovalInstance], now: datetime,
                 version_of: Callable[[str], DefinitionSet] = definitions_for) -> OrderDiff:
    explanation = order.routing_explanation or {}
    before_routing = {k: str(explanation[k]) for k in ("rule", "team", "strategy") if explanation.get(k)}
    last_cycle = max((d.cycle for d in deadlines), default=0)
    current = {d.target: {"deadline_at": d.deadline_at, "status": d.status} for d in deadlines
               if d.cycle == last_cycle}
    diff = OrderDiff(order_id=order.id, number=order.number, created_at=order.created_at,
                     category=order.category_code, priority=order.priority, routing_before=before_routing,
                     routing_after={}, sla_before=current, sla_after={})
    try:
        facts = facts_of(category_code=order.category_code, priority=order.priority,
                         description=order.description, project_code=order.project__code,
                         building_code=order.building__code, channel=order.channel,
                         warranty_verdict=order.warranty_verdict, latitude=order.project__latitude,
                         longitude=order.project__longitude)
        match = match_rule(definitions, facts, order.created_at)
        diff.routing_after = {"rule": match.rule.code, "team": match.rule.team, "strategy": match.rule.strategy}
        if events:
            schedule = compute_schedule(definitions, engine_events(events), now)
            diff.sla_after = {c.target: {"deadline_at": c.deadline_at, "status": c.status}
                              for c in schedule.clocks if c.cycle == schedule.cycle}
        for instance in approvals:
            subject = ApprovalSubject(subject_id=str(order.id), amount_yuan=instance.amount_yuan,
                                      category=order.category_code, warranty=order.warranty_verdict,  # type: ignore[arg-type]
                                      project=order.project__code, requester=str(instance.requester_id))
            after = select_graph(definitions, subject)
            ran_with = version_of(str((instance.state or {}).get("definitions_version") or order.definitions_version))
            before = _graph_by_code(ran_with, instance.graph_code)
            diff.approvals.append({
                "amount_yuan": instance.amount_yuan, "status": instance.status,
                "before_graph": instance.graph_code, "before_roles": _graph_roles(before) if before else [],
                "after_graph": after.code, "after_roles": _graph_roles(after),
            })
    except WorkflowError as exc:  # the draft cannot handle this order (a category it removed, …)
        diff.error = exc.message
    return diff


def totals_of(diffs: list[OrderDiff]) -> dict[str, Any]:
    estimates = [a for d in diffs for a in d.approvals]

    def needing(role: str, side: str) -> int:
        return sum(1 for a in estimates if any(role in step for step in a[f"{side}_roles"]))

    return {
        "orders": len(diffs),
        "changed": sum(1 for d in diffs if d.changed),
        "errors": sum(1 for d in diffs if d.error),
        "routing_changed": sum(1 for d in diffs if d.routing_changed),
        "team_changed": sum(1 for d in diffs if d.routing_after and d.routing_before
                            and d.routing_before.get("team") != d.routing_after.get("team")),
        "not_routed": sum(1 for d in diffs if not d.routing_before),
        "deadlines_moved": sum(len(d.moved_targets) for d in diffs),
        "orders_with_moved_deadlines": sum(1 for d in diffs if d.moved_targets),
        "breached_before": sum(1 for d in diffs if d.breached_before),
        "breached_after": sum(1 for d in diffs if d.breached_after),
        "estimates": len(estimates),
        "approvals_changed": sum(1 for a in estimates if a["before_graph"] != a["after_graph"]
                                 or a["before_roles"] != a["after_roles"]),
        "finance_before": needing("finance", "before"),
        "finance_after": needing("finance", "after"),
        "approval_free_before": sum(1 for a in estimates if not a["before_roles"]),
        "approval_free_after": sum(1 for a in estimates if not a["after_roles"]),
    }
