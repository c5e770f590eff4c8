"""Approval instances as a pure state machine: ``(state, event, now) -> (new state, effects)``.

``start_approval`` picks the graph (first whose conditions hold, else ``default``), resolves every
step's approvers through the caller's ``resolve(role, scope)`` once, at submission (so a
configuration problem shows when the estimate is submitted, not halfway), and activates the first
step. ``apply_event`` then takes one event at a time. An event that does not apply raises an
``ApprovalError`` with a stable code; since states are immutable, nothing has changed.

The requester never approves their own estimate: they are left out of every step's approvers and
cannot be delegated to. Timeouts count wall-clock time from the step's activation (or from the
last reminder or escalation); the app schedules a ``Timeout`` event at each ``ScheduleTimeout``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from workflows.definition_set import DefinitionSet
from workflows.errors import ApprovalConfigurationError, ApprovalError
from workflows.schema import ApprovalGraphBase, ApprovalGraphDef, ApprovalsDoc, ApproverSpec
from workflows.values import Warranty, require_aware, to_us

StepStatus = Literal["waiting", "active", "approved", "rejected", "cancelled"]
InstanceStatus = Literal["in_progress", "approved", "rejected", "cancelled"]
TimeoutAction = Literal["remind", "escalate", "reject"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ApprovalSubject(_Frozen):
    """What is being approved: a cost estimate of one work order."""

    subject_id: str
    amount_yuan: Decimal = Field(ge=0)
    category: str
    warranty: Warranty = "unknown"
    project: str | None = None
    requester: str


@dataclass(frozen=True)
class Scope:
    kind: Literal["project", "company"]
    id: str | None


Resolver = Callable[[str, Scope], Sequence[str]]


class Signature(_Frozen):
    user: str
    at: datetime
    comment: str = ""


class Delegation(_Frozen):
    from_user: str
    to_user: str
    by: str
    at: datetime


class StepState(_Frozen):
    index: int
    name: str
    mode: Literal["any", "all"]
    approvers: tuple[str, ...]
    escalation_contacts: tuple[str, ...] = ()
    timeout_seconds: int | None = None
    on_timeout: TimeoutAction = "remind"
    status: StepStatus = "waiting"
    signatures: tuple[Signature, ...] = ()
    delegations: tuple[Delegation, ...] = ()
    activated_at: datetime | None = None
    due_at: datetime | None = None
    completed_at: datetime | None = None
    reminders: int = 0
    escalated: bool = False

    @property
    def signed(self) -> frozenset[str]:
        return frozenset(s.user for s in self.signatures)

    @property
    def pending(self) -> tuple[str, ...]:
        return tuple(user for user in self.approvers if user not in self.signed)


class ApprovalState(_Frozen):
    instance_id: str
    definitions_version: str
    graph_code: str
    graph_name: str
    subject: ApprovalSubject
    status: InstanceStatus
    current_step: int | None
    steps: tuple[StepState, ...]
    opened_at: datetime
    closed_at: datetime | None = None
    decided_by: str | None = None
    reason: str | None = None


# --- events and effects ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Approve:
    actor: str
    comment: str = ""


@dataclass(frozen=True)
class Reject:
    actor: str
    reason: str


@dataclass(frozen=True)
class Delegate:
    actor: str
    from_user: str
    to_user: str


@dataclass(frozen=True)
class Timeout:
    step: int


@dataclass(frozen=True)
class Cancel:
    actor: str
    reason: str


ApprovalEvent = Approve | Reject | Delegate | Timeout | Cancel


@dataclass(frozen=True)
class NotifyApprovers:
    step: int
    users: tuple[str, ...]
    why: Literal["step_started", "reminder", "delegated", "escalated"]


@dataclass(frozen=True)
class ScheduleTimeout:
    step: int
    due_at: datetime


@dataclass(frozen=True)
class CancelTimeout:
    step: int


@dataclass(frozen=True)
class Escalated:
    step: int
    to_users: tuple[str, ...]
    pending: tuple[str, ...]


@dataclass(frozen=True)
class StepCompleted:
    step: int
    outcome: Literal["approved", "rejected"]


@dataclass(frozen=True)
class Completed:
    outcome: Literal["approved", "rejected", "cancelled"]
    reason: str | None
    by: str | None


Effect = NotifyApprovers | ScheduleTimeout | CancelTimeout | Escalated | StepCompleted | Completed


@dataclass(frozen=True)
class Transition:
    state: ApprovalState
    effects: tuple[Effect, ...]


# --- choosing and starting --------------------------------------------------------------------------

def select_graph(definitions: DefinitionSet, subject: ApprovalSubject) -> ApprovalGraphBase:
    """The first graph whose amount range, categories (subtree), warranty and projects all hold."""
    path = definitions.category_path(subject.category)
    graph: ApprovalGraphDef
    for graph in definitions.approvals.graphs:
        when = graph.when
        if when.amount_yuan is not None:
            if when.amount_yuan.above is not None and not subject.amount_yuan > when.amount_yuan.above:
                continue
            if when.amount_yuan.up_to is not None and not subject.amount_yuan <= when.amount_yuan.up_to:
                continue
        if when.categories and not any(code in path for code in when.categories):
            continue
        if when.warranty and subject.warranty not in when.warranty:
            continue
        if when.projects and subject.project not in when.projects:
            continue
        return graph
    return definitions.approvals.default


def _resolve(specs: Sequence[ApproverSpec], subject: ApprovalSubject, resolve: Resolver, step: int) -> tuple[str, ...]:
    users: list[str] = []
    for spec in specs:
        if spec.scope == "project" and subject.project is None:
            raise ApprovalConfigurationError(
                f"step {step} needs approvers of a project, and the estimate has no project",
                code="approval.no_project", details={"step": step, "role": spec.role},
            )
        scope = Scope(spec.scope, subject.project if spec.scope == "project" else None)
        for user in resolve(spec.role, scope):
            if user != subject.requester and user not in users:
                users.append(user)
    return tuple(users)


def _activate(state: ApprovalState, index: int, now: datetime) -> Transition:
    step = state.steps[index]
    due = now + timedelta(seconds=step.timeout_seconds) if step.timeout_seconds is not None else None
    active = step.model_copy(update={"status": "active", "activated_at": now, "due_at": due})
    state = _with_step(state, active).model_copy(update={"current_step": index})
    effects: list[Effect] = [NotifyApprovers(index, active.approvers, "step_started")]
    if due is not None:
        effects.append(ScheduleTimeout(index, due))
    return Transition(state, tuple(effects))


def start_approval(
    definitions: DefinitionSet, subject: ApprovalSubject, *, resolve: Resolver, now: datetime, instance_id: str
) -> Transition:
    require_aware(now, "now")
    definitions.category(subject.category)
    graph = select_graph(definitions, subject)
    return open_approval(graph, subject, resolve=resolve, now=now, instance_id=instance_id,
                         definitions_version=definitions.version)


def select_graph_by_amount(doc: ApprovalsDoc, subject: ApprovalSubject) -> ApprovalGraphBase:
    """The first graph of ``doc`` whose amount range (and projects, when it names any) holds, else its
    default: for subjects outside the work-order categories (a sales discount)."""
    for graph in doc.graphs:
        when = graph.when
        if when.amount_yuan is not None:
            if when.amount_yuan.above is not None and not subject.amount_yuan > when.amount_yuan.above:
                continue
            if when.amount_yuan.up_to is not None and not subject.amount_yuan <= when.amount_yuan.up_to:
                continue
        if when.projects and subject.project not in when.projects:
            continue
        return graph
    return doc.default


def open_approval(
    graph: ApprovalGraphBase, subject: ApprovalSubject, *, resolve: Resolver, now: datetime, instance_id: str,
    definitions_version: str,
) -> Transition:
    """Start an approval on a graph already chosen: approvers resolved once, the first step active."""
    require_aware(now, "now")
    steps = []
    for index, step in enumerate(graph.steps):
        approvers = _resolve(step.approvers, subject, resolve, index)
        if not approvers:
            roles = [spec.role for spec in step.approvers]
            raise ApprovalConfigurationError(
                f"nobody but the requester can approve step {index} ({step.name}): no user holds {', '.join(roles)}",
                code="approval.no_approvers", details={"step": index, "step_name": step.name, "roles": roles},
            )
        contacts = _resolve(step.escalate_to, subject, resolve, index)
        if step.on_timeout == "escalate" and not contacts:
            raise ApprovalConfigurationError(
                f"step {index} ({step.name}) escalates to nobody", code="approval.no_escalation_contact",
                details={"step": index, "roles": [spec.role for spec in step.escalate_to]},
            )
        steps.append(StepState(
            index=index, name=step.name, mode=step.mode, approvers=approvers, escalation_contacts=contacts,
            timeout_seconds=int(step.timeout.total_seconds()) if step.timeout is not None else None,
            on_timeout=step.on_timeout,
        ))
    state = ApprovalState(
        instance_id=instance_id, definitions_version=definitions_version, graph_code=graph.code,
        graph_name=graph.name, subject=subject, status="in_progress", current_step=None, steps=tuple(steps),
        opened_at=now,
    )
    if not steps:
        reason = f"no approval required ({graph.name})"
        closed = state.model_copy(update={"status": "approved", "closed_at": now, "reason": reason})
        return Transition(closed, (Completed("approved", reason, None),))
    return _activate(state, 0, now)


# --- applying events -------------------------------------------------------------------------------

def _refuse(code: str, message: str, **details: object) -> ApprovalError:
    return ApprovalError(message, code=code, details=dict(details))


def _with_step(state: ApprovalState, step: StepState) -> ApprovalState:
    steps = tuple(step if s.index == step.index else s for s in state.steps)
    return state.model_copy(update={"steps": steps})


def _finish(state: ApprovalState, step: StepState, outcome: Literal["approved", "rejected"], now: datetime,
            by: str | None, reason: str | None, effects: list[Effect]) -> Transition:
    done = step.model_copy(update={"status": outcome, "completed_at": now, "due_at": None})
    state = _with_step(state, done)
    effects += [StepCompleted(step.index, outcome)]
    if step.timeout_seconds is not None:
        effects.append(CancelTimeout(step.index))
    if outcome == "approved" and step.index + 1 < len(state.steps):
        following = _activate(state, step.index + 1, now)
        return Transition(following.state, tuple(effects) + following.effects)
    closed = state.model_copy(update={
        "status": outcome, "current_step": None, "closed_at": now, "decided_by": by, "reason": reason,
    })
    effects.append(Completed(outcome, reason, by))
    return Transition(closed, tuple(effects))


def _approver_check(state: ApprovalState, step: StepState, actor: str) -> None:
    if actor == state.subject.requester:
        raise _refuse("approval.self_approval", "the requester cannot decide on their own estimate", actor=actor)
    if actor not in step.approvers:
        raise _refuse("approval.not_an_approver", f"{actor} is not an approver of step {step.index}",
                      actor=actor, step=step.index)
    if actor in step.signed:
        raise _refuse("approval.already_signed", f"{actor} has already approved step {step.index}",
                      actor=actor, step=step.index)


def _approve(state: ApprovalState, step: StepState, event: Approve, now: datetime) -> Transition:
    _approver_check(state, step, event.actor)
    signed = step.model_copy(update={"signatures": step.signatures + (Signature(user=event.actor, at=now,
                                                                                 comment=event.comment),)})
    if signed.mode == "any" or not signed.pending:
        return _finish(state, signed, "approved", now, event.actor, None, [])
    return Transition(_with_step(state, signed), ())


def _delegate(state: ApprovalState, step: StepState, event: Delegate, now: datetime) -> Transition:
    if event.actor != event.from_user and event.actor not in step.escalation_contacts:
        raise _refuse("approval.cannot_delegate", f"{event.actor} may not delegate for {event.from_user}",
                      actor=event.actor, from_user=event.from_user)
    if event.from_user not in step.pending:
        raise _refuse("approval.not_pending", f"{event.from_user} has no pending approval in step {step.index}",
                      from_user=event.from_user, step=step.index)
    if event.to_user == state.subject.requester:
        raise _refuse("approval.self_approval", "an estimate cannot be delegated to its requester",
                      to_user=event.to_user)
    if event.to_user in step.approvers:
        raise _refuse("approval.already_approver", f"{event.to_user} already approves step {step.index}",
                      to_user=event.to_user, step=step.index)
    approvers = tuple(event.to_user if user == event.from_user else user for user in step.approvers)
    delegation = Delegation(from_user=event.from_user, to_user=event.to_user, by=event.actor, at=now)
    changed = step.model_copy(update={"approvers": approvers, "delegations": step.delegations + (delegation,)})
    return Transition(_with_step(state, changed), (NotifyApprovers(step.index, (event.to_user,), "delegated"),))


def _timeout(state: ApprovalState, step: StepState, event: Timeout, now: datetime) -> Transition:
    if event.step != step.index or step.due_at is None or to_us(now) < to_us(step.due_at):
        raise _refuse("approval.stale_timeout", f"no timeout of step {event.step} is due", step=event.step)
    assert step.timeout_seconds is not None
    if step.on_timeout == "reject":
        hours = step.timeout_seconds / 3600
        reason = f"timed out: no decision on step {step.index} ({step.name}) within {hours:g} h"
        return _finish(state, step, "rejected", now, None, reason, [])
    due = now + timedelta(seconds=step.timeout_seconds)
    effects: list[Effect]
    if step.on_timeout == "escalate" and not step.escalated:
        changed = step.model_copy(update={"escalated": True, "due_at": due})
        effects = [Escalated(step.index, step.escalation_contacts, step.pending),
                   NotifyApprovers(step.index, step.escalation_contacts, "escalated")]
    else:
        changed = step.model_copy(update={"reminders": step.reminders + 1, "due_at": due})
        effects = [NotifyApprovers(step.index, step.pending, "reminder")]
    effects.append(ScheduleTimeout(step.index, due))
    return Transition(_with_step(state, changed), tuple(effects))


def apply_event(state: ApprovalState, event: ApprovalEvent, now: datetime) -> Transition:
    """Apply one event; raise ``ApprovalError`` (state untouched) when it does not apply."""
    require_aware(now, "now")
    if state.status != "in_progress" or state.current_step is None:
        raise _refuse("approval.closed", f"the approval is already {state.status}", status=state.status)
    step = state.steps[state.current_step]
    if isinstance(event, Approve):
        return _approve(state, step, event, now)
    if isinstance(event, Reject):
        _approver_check(state, step, event.actor)
        if not event.reason.strip():
            raise _refuse("approval.reason_required", "a rejection needs a reason")
        return _finish(state, step, "rejected", now, event.actor, event.reason.strip(), [])
    if isinstance(event, Delegate):
        return _delegate(state, step, event, now)
    if isinstance(event, Timeout):
        return _timeout(state, step, event, now)
    if event.actor != state.subject.requester:
        raise _refuse("approval.not_requester", "only the requester can withdraw an estimate", actor=event.actor)
    cancelled_step = step.model_copy(update={"status": "cancelled", "completed_at": now, "due_at": None})
    closed = _with_step(state, cancelled_step).model_copy(update={
        "status": "cancelled", "current_step": None, "closed_at": now, "decided_by": event.actor,
        "reason": event.reason.strip() or None,
    })
    effects: list[Effect] = [CancelTimeout(step.index)] if step.timeout_seconds is not None else []
    effects.append(Completed("cancelled", closed.reason, event.actor))
    return Transition(closed, tuple(effects))
