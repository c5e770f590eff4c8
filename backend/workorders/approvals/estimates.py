"""Cost estimates and their approvals: the engine decides, this module stores and carries out its effects.

An estimate starts the graph the engine selects (by amount, category, warranty, project). The
order waits in ``waiting(approval)`` — its clocks paused when the SLA policy says so — until the
instance completes: approval resumes the work; rejection sends the order back with the reason.
Approvers act through the API; the engine refuses self-approval and strangers. Timeouts are
found by beat (no long countdowns in the broker) and applied once per step by a revision check.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from backend.accounts.access import ensure_role
from backend.accounts.models import User
from backend.accounts.roles import Role
from backend.core.errors import Conflict, NotFound, ValidationFailed
from backend.workorders.access import access_order
from backend.workorders.actors import Actor, system_actor
from backend.workorders.definitions import active_definitions
from backend.workorders.effects import order_transition
from backend.workorders.lifecycle.timeline import Kind, event_add
from backend.workorders.live.broadcast import order_announce
from backend.workorders.live.inbox import notify_users
from backend.workorders.models import ApprovalInstance, ApprovalPending, ApprovalStandIn, TimelineEvent
from backend.workorders.notes import system_note
from backend.workorders.states import WORKING_STATES, State
from workflows.approvals import (
    ApprovalEvent,
    ApprovalState,
    ApprovalSubject,
    Approve,
    Completed,
    Delegate,
    Escalated,
    NotifyApprovers,
    Reject,
    Scope,
    Timeout,
    Transition,
    apply_event,
    start_approval,
)
from workflows.errors import ApprovalError

logger = logging.getLogger("anxin.approvals")

ESTIMATORS = (Role.TECHNICIAN, Role.DISPATCHER, Role.ENGINEERING_MANAGER, Role.ADMINISTRATOR)


def resolve_approvers(role: str, scope: Scope) -> list[str]:
    """Users holding ``role`` for the scope: for a project, those whose teams serve it (else company-wide)."""
    holders = User.objects.filter(is_active=True, role_rows__role=role)
    if scope.kind == "project" and scope.id:
        local = holders.filter(Q(teams__projects__code=scope.id) | Q(supervised_teams__projects__code=scope.id))
        ids = sorted({str(u) for u in local.values_list("id", flat=True)})
        if ids:
            return ids
    return sorted({str(u) for u in holders.values_list("id", flat=True)})


# The engine's refusals, in the reader's language (the engine speaks in codes; its English message
# stays in the logs).
ENGINE_REASONS: dict[str, Any] = {
    "approval.self_approval": _("You cannot decide on your own estimate."),
    "approval.not_an_approver": _("You are not an approver of this step."),
    "approval.already_signed": _("You have already approved this step."),
    "approval.cannot_delegate": _("You may not delegate this approval."),
    "approval.not_pending": _("There is no pending approval of yours to delegate."),
    "approval.already_approver": _("That person already approves this step."),
    "approval.stale_timeout": _("No timeout of this step is due."),
    "approval.closed": _("This approval is already closed."),
    "approval.reason_required": _("A rejection needs a reason."),
    "approval.not_requester": _("Only the requester can withdraw an estimate."),
    "approval.no_project": _("The approval needs the order's project."),
    "approval.no_approvers": _("Nobody holds the role this approval step needs."),
    "approval.no_escalation_contact": _("This approval step escalates to nobody."),
}


def _engine_error(exc: ApprovalError) -> Conflict:
    reason = ENGINE_REASONS.get(exc.code, _("This approval step is not possible."))
    return Conflict(reason, code=exc.code.replace(".", "_"), details={"reason": str(reason), **exc.details})


def _persist(instance: ApprovalInstance, transition: Transition, *, now: datetime, depth: int = 0) -> None:
    state = transition.state
    instance.state = state.model_dump(mode="json")
    instance.status = state.status
    instance.revision += 1
    step = state.steps[state.current_step] if state.current_step is not None else None
    instance.timeout_step = step.index if step is not None and step.due_at is not None else None
    instance.timeout_due_at = step.due_at if step is not None else None
    instance.closed_at = state.closed_at
    instance.save()
    ApprovalPending.objects.filter(approval=instance).delete()
    if step is not None:
        ApprovalPending.objects.bulk_create([ApprovalPending(approval=instance, user_id=uuid.UUID(u), step=step.index)
                                             for u in step.pending])
    for effect in transition.effects:
        if isinstance(effect, NotifyApprovers):
            notify_users(user_ids=list(effect.users), template=f"approval_{effect.why}", now=now,
                         context={"order": instance.order.number, "amount_yuan": str(instance.amount_yuan)})
        elif isinstance(effect, Escalated):
            # The escalation contacts are notified by the NotifyApprovers effect that comes with it.
            escalated = system_note("approval_escalated")
            event_add(order=instance.order, kind=Kind.APPROVAL, label="approval", note=escalated.text, now=now,
                      data={**escalated.data, "approval_id": str(instance.id), "step": effect.step, "to": list(effect.to_users),
                            "pending": list(effect.pending)})
        elif isinstance(effect, Completed):
            _complete(instance, effect, now=now)
    if step is not None and instance.status == "in_progress":
        pass_to_stand_ins(instance, now=now, depth=depth)


def _complete(instance: ApprovalInstance, effect: Completed, *, now: datetime) -> None:
    order = instance.order  # locked by the caller with the instance
    event = event_add(order=order, kind=Kind.APPROVAL, label="approval", note=effect.reason or "", now=now,
                      data={"approval_id": str(instance.id), "outcome": effect.outcome,
                            "amount_yuan": str(instance.amount_yuan), "by": effect.by})
    if effect.outcome != "approved":
        order.estimate_yuan = None
        order.save(update_fields=["estimate_yuan"])
    # The approval's own announcement (its webhook keyed by its event), then the step it may cause.
    order_announce(order=order, kind="approval", now=now, event=event)
    if order.state == State.WAITING and order.waiting_reason == "approval":
        note = f"{effect.outcome}: {effect.reason or ''}".strip(": ")
        order_transition(order=order, actor=system_actor("approval"), to=State.IN_PROGRESS, now=now, note=note,
                         event_data={"approval": effect.outcome})


# The namespace of the estimates' ids derived from a client's own id (``estimate_id_for``).
ESTIMATE_IDS = uuid.UUID("5b0f3d1e-8a43-4c2b-9f4e-2d6c1a7e9b30")


class EstimateClientIdReused(Conflict):
    code = "estimate_client_id_reused"
    message = _("This client id already names a different estimate.")


def estimate_id_for(actor: User, client_id: str) -> UUID:
    """The id of the estimate ``actor`` submits under ``client_id``: the same on every retry, other for anyone else."""
    return uuid.uuid5(ESTIMATE_IDS, f"{actor.id}:{client_id}")


def _same_estimate(instance: ApprovalInstance, *, order_id: UUID, amount_yuan: Decimal, note: str) -> ApprovalInstance:
    """A retry of an estimate already stored: the same answer if it says the same, else 409."""
    stored = (TimelineEvent.objects.filter(order_id=instance.order_id, kind=Kind.ESTIMATE,
                                           data__approval_id=str(instance.id))
              .values_list("note", flat=True).first())
    differing = [name for name, same in (("order_id", instance.order_id == order_id),
                                         ("amount_yuan", instance.amount_yuan == amount_yuan),
                                         ("note", stored == note[:500])) if not same]
    if differing:
        raise EstimateClientIdReused(details={"approval_id": str(instance.id), "fields": differing})
    return instance


def estimate_submit(*, actor: User, order_id: UUID, amount_yuan: Decimal, note: str, now: datetime,
                    client_id: str | None = None) -> ApprovalInstance:
    return estimate_submit_once(actor=actor, order_id=order_id, amount_yuan=amount_yuan, note=note, now=now,
                                client_id=client_id)[0]


def estimate_submit_once(*, actor: User, order_id: UUID, amount_yuan: Decimal, note: str, now: datetime,
                         client_id: str | None = None) -> tuple[ApprovalInstance, bool]:
    """Submits an estimate; returns (instance, created).

    With ``client_id`` (the phone's own id of the estimate, sent again on every retry) a repeat finds the estimate
    the first request made, under the order's lock, and returns it unchanged (``created`` false): a lost answer and
    a retry never make a second estimate or approval. The same client id with another order, amount or note is a
    409 ``estimate_client_id_reused``."""
    ensure_role(actor, ESTIMATORS)
    if amount_yuan < 0:
        raise ValidationFailed(details={"errors": [{"field": "amount_yuan", "reason": str(_("Enter 0 or more."))}]})
    with transaction.atomic():
        order = access_order(actor, order_id, for_update=True)
        instance_id = estimate_id_for(actor, client_id) if client_id else uuid.uuid4()
        if client_id:
            existing = ApprovalInstance.objects.filter(id=instance_id, requester=actor).first()
            if existing is not None:
                return _same_estimate(existing, order_id=order.id, amount_yuan=amount_yuan, note=note), False
        if order.approvals.filter(status="in_progress").exists():
            raise Conflict(code="approval_in_progress", details={"order": order.number})
        if order.state in {State.CANCELLED, State.REJECTED, State.CLOSED, State.COMPLETED}:
            raise Conflict(code="order_closed", details={"state": order.state})
        subject = ApprovalSubject(subject_id=str(order.id), amount_yuan=amount_yuan, category=order.category_code,
                                  warranty=order.warranty_verdict, project=order.project.code,  # type: ignore[arg-type]
                                  requester=str(actor.id))
        try:
            started = start_approval(active_definitions(), subject, resolve=resolve_approvers, now=now,
                                     instance_id=str(instance_id))
        except ApprovalError as exc:
            raise _engine_error(exc) from exc
        order.estimate_yuan = amount_yuan
        order.save(update_fields=["estimate_yuan"])
        instance = ApprovalInstance(id=instance_id, order=order, requester=actor, amount_yuan=amount_yuan,
                                    graph_code=started.state.graph_code, status="in_progress", state={},
                                    revision=0, opened_at=now)
        try:
            with transaction.atomic():
                instance.save(force_insert=True)
        except IntegrityError:
            # The same client id raced itself on another order (each request locks its own order).
            raise EstimateClientIdReused(details={"approval_id": str(instance_id), "fields": ["order_id"]}) from None
        event = event_add(order=order, kind=Kind.ESTIMATE, actor=actor, note=note[:500], now=now,
                          data={"approval_id": str(instance.id), "amount_yuan": str(amount_yuan),
                                "graph": started.state.graph_code, **({"client_id": client_id} if client_id else {})})
        order_announce(order=order, kind="estimate", now=now, event=event)
        if started.state.status == "in_progress" and order.state in WORKING_STATES:
            waiting = system_note("waiting_approval")
            order_transition(order=order, actor=Actor(user=actor), to=State.WAITING, now=now,
                             note=waiting.text, event_data=waiting.data, changes={"waiting_reason": "approval"})
        _persist(instance, started, now=now)
    return instance, True


APPROVER_ROLES = (Role.ENGINEERING_MANAGER, Role.ENGINEERING_DIRECTOR, Role.FINANCE, Role.ADMINISTRATOR)


def _locked(instance_id: UUID | str, **conditions: Any) -> ApprovalInstance | None:
    """The instance and its order, locked together (the instance first, everywhere)."""
    return (ApprovalInstance.objects.select_for_update().select_related("order").filter(id=instance_id, **conditions)
            .first())


def _apply(*, instance_id: UUID | str, event: ApprovalEvent, now: datetime, actor: User | None) -> ApprovalInstance:
    if actor is not None:
        ensure_role(actor, APPROVER_ROLES)
    with transaction.atomic():
        instance = _locked(instance_id)
        if instance is None or (actor is not None and not _may_see(actor, instance)):
            raise NotFound(details={"object": "approval"})
        _apply_locked(instance, event, now=now, actor=actor)
    return instance


def stand_in_active(*, user_id: Any, now: datetime) -> UUID | None:
    """The stand-in of ``user_id`` at ``now``, if they are away (``stand_ins`` sets the periods)."""
    return (ApprovalStandIn.objects.filter(user_id=user_id, starts_at__lte=now, ends_at__gt=now, ended_at__isnull=True)
            .order_by("-starts_at").values_list("stand_in_id", flat=True).first())


def pass_to_stand_ins(instance: ApprovalInstance, *, now: datetime, depth: int = 0) -> int:
    """Hands the locked instance's current step from each pending approver who is away to their
    stand-in, through the engine's delegation; a hand-over the engine refuses leaves the step with
    the approver. One hand-over at a time: storing it comes back here for the next one (a stand-in
    who is away too passes it on, up to three hops). Returns 1 if one was made here, else 0."""
    for user_id in list(ApprovalPending.objects.filter(approval=instance).values_list("user_id", flat=True)):
        stand_in = stand_in_active(user_id=user_id, now=now)
        if stand_in is None or depth >= 3:
            continue
        event = Delegate(actor=str(user_id), from_user=str(user_id), to_user=str(stand_in))
        try:
            transition = apply_event(ApprovalState.model_validate(instance.state), event, now)
        except ApprovalError as exc:
            logger.info("stand-in hand-over of approval %s refused: %s", instance.id, exc.code)
            continue
        away = system_note("approval_stand_in", away=_user_label(user_id), stand_in=_user_label(stand_in))
        event_add(order=instance.order, kind=Kind.APPROVAL, label="approval", note=away.text, now=now,
                  data={**away.data, "approval_id": str(instance.id), "from": str(user_id), "to": str(stand_in)})
        _persist(instance, transition, now=now, depth=depth + 1)
        return 1
    return 0


def _user_label(user_id: Any) -> str:
    user = User.objects.filter(id=user_id).first()
    return str(user) if user is not None else str(user_id)


def _apply_locked(instance: ApprovalInstance, event: ApprovalEvent, *, now: datetime, actor: User | None) -> None:
    state = ApprovalState.model_validate(instance.state)
    try:
        transition = apply_event(state, event, now)
    except ApprovalError as exc:
        raise _engine_error(exc) from exc
    if actor is not None:
        decision = event_add(order=instance.order, kind=Kind.APPROVAL, actor=actor, now=now,
                             note=getattr(event, "reason", "") or getattr(event, "comment", ""),
                             data={"approval_id": str(instance.id), "event": type(event).__name__})
        order_announce(order=instance.order, kind="approval", now=now, event=decision)
    _persist(instance, transition, now=now)


def _may_see(actor: User, instance: ApprovalInstance) -> bool:
    state = instance.state
    involved = {u for step in state.get("steps", []) for u in (*step.get("approvers", ()),
                                                                *step.get("escalation_contacts", ()))}
    return str(actor.id) in involved or str(actor.id) == str(instance.requester_id)


def approval_approve(*, actor: User, approval_id: UUID, comment: str, now: datetime) -> ApprovalInstance:
    return _apply(instance_id=approval_id, event=Approve(actor=str(actor.id), comment=comment), now=now, actor=actor)


def approval_reject(*, actor: User, approval_id: UUID, reason: str, now: datetime) -> ApprovalInstance:
    if not reason.strip():
        raise ValidationFailed(details={"errors": [{"field": "reason", "reason": str(_("Give a reason."))}]})
    return _apply(instance_id=approval_id, event=Reject(actor=str(actor.id), reason=reason), now=now, actor=actor)


def approval_delegate(*, actor: User, approval_id: UUID, to_user_id: UUID, now: datetime) -> ApprovalInstance:
    if not User.objects.filter(id=to_user_id, is_active=True).exists():
        raise ValidationFailed(code="unknown_user", details={"to_user_id": str(to_user_id)})
    event = Delegate(actor=str(actor.id), from_user=str(actor.id), to_user=str(to_user_id))
    return _apply(instance_id=approval_id, event=event, now=now, actor=actor)


def approval_timeout(*, approval_id: UUID | str, revision: int, now: datetime) -> bool:
    """Applies a step's timeout once: only if the instance is still at the revision that was due."""
    with transaction.atomic():
        instance = _locked(approval_id, revision=revision, timeout_due_at__lte=now, status="in_progress")
        if instance is None or instance.timeout_step is None:
            return False
        _apply_locked(instance, Timeout(step=instance.timeout_step), now=now, actor=None)
    return True


def approvals_due(*, now: datetime) -> list[tuple[str, int]]:
    return [(str(i), r) for i, r in ApprovalInstance.objects.filter(
        status="in_progress", timeout_due_at__lte=now).values_list("id", "revision")[:200]]


def approval_inbox(*, actor: User) -> list[dict[str, Any]]:
    rows = ApprovalPending.objects.filter(user=actor, approval__status="in_progress").select_related(
        "approval__order", "approval__requester").order_by("approval__opened_at")
    result = []
    for row in rows:
        instance = row.approval
        step = instance.state["steps"][row.step]
        result.append({"id": instance.id, "order_id": instance.order_id, "order_number": instance.order.number,
                       "amount_yuan": instance.amount_yuan, "graph_code": instance.graph_code,
                       "step": row.step, "step_name": step["name"], "mode": step["mode"],
                       "due_at": step.get("due_at"), "requester": str(instance.requester),
                       "opened_at": instance.opened_at})
    return result
