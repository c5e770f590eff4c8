"""Staff API of work orders. Each route parses, calls one service or selector, and returns a schema."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from django.utils import timezone
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile
from pydantic import Field

from backend.accounts.auth import caller, staff_auth
from backend.core.dates import instant_in_window
from backend.core.schemas import COMMON_ERRORS, EdgeSchema
from backend.workorders import selectors, services
from backend.workorders.access import access_order
from backend.workorders.actors import Actor
from backend.workorders.approvals import estimates as approvals
from backend.workorders.dispatch import routing as dispatch
from backend.workorders.effects import order_transition
from backend.workorders.owner import steps as owner
from backend.workorders.schemas import (
    ApprovalOut,
    ApproveIn,
    AssignIn,
    AttachmentOut,
    CategoryOut,
    CommentIn,
    CommentOut,
    DelegateIn,
    EstimateIn,
    InboxItemOut,
    IntakeOut,
    LabourIn,
    LabourOut,
    MergeIn,
    OrderDetailOut,
    OrderIn,
    OrderPageOut,
    PartIn,
    PartOut,
    PriorityIn,
    QuoteIn,
    QuoteOut,
    RejectIn,
    TechnicianOut,
    TechnicianStatusIn,
    TechnicianStatusOut,
    TimelineOut,
    TransitionIn,
    WaiverIn,
)

router = Router(tags=["work orders"], auth=staff_auth)
ERRORS: dict[int, Any] = {**COMMON_ERRORS, 409: COMMON_ERRORS[400]}


class OrderQuery(EdgeSchema):
    state: list[str] | None = Field(default=None, description="Repeat for several states.")
    project_id: UUID | None = None
    building_id: UUID | None = None
    category: str | None = Field(default=None, description="A category code; its subtree is included.")
    priority: str | None = None
    team_id: UUID | None = None
    technician_id: UUID | None = None
    sla: str | None = Field(default=None, description="breached | at_risk | ok")
    created_from: datetime | None = None
    created_to: datetime | None = None
    text: str | None = Field(default=None, max_length=100)
    cursor: str | None = None
    limit: int = Field(default=50, ge=1, le=100)


@router.get("/orders", response={200: OrderPageOut, **ERRORS}, summary="List work orders in my scope")
def order_list(request: HttpRequest, query: Query[OrderQuery]):  # type: ignore[no-untyped-def]
    """A technician sees their own orders, a supervisor their team's, project staff their projects'.
    Newest first, cursor-paginated."""
    data = query.dict()
    cursor, limit = data.pop("cursor"), data.pop("limit")
    return selectors.order_list(actor=caller(request), filters=selectors.OrderFilters(**data), now=timezone.now(),
                                cursor=cursor, limit=limit)


@router.post("/orders", response={201: IntakeOut, **ERRORS}, summary="Report a work order (phone, walk-in ...)")
def order_create(request: HttpRequest, payload: OrderIn):  # type: ignore[no-untyped-def]
    """Validates, suggests duplicates, routes by the rules and starts the SLA clocks."""
    result = services.order_intake(actor=Actor(user=caller(request)), now=timezone.now(),
                                   preferred_slots=[s.dict() for s in payload.preferred_slots],
                                   **payload.dict(exclude={"preferred_slots"}))
    detail = selectors.order_detail(actor=caller(request), order_id=result.order.id)
    return Status(201, {"order": detail, "duplicates": [d.number for d in result.duplicates]})


@router.get("/orders/events", response={200: list[TimelineOut], **ERRORS}, summary="Events since a sequence id")
def order_events(request: HttpRequest, since: int = 0, order_id: UUID | None = None):  # type: ignore[no-untyped-def]
    """What a live client missed: the timeline events after `since` (the `seq` of the last message seen)."""
    return selectors.order_events_since(actor=caller(request), since_id=since, order_id=order_id)


@router.get("/orders/{order_id}", response={200: OrderDetailOut, **ERRORS}, summary="Order detail with timeline")
def order_get(request: HttpRequest, order_id: UUID):  # type: ignore[no-untyped-def]
    return selectors.order_detail(actor=caller(request), order_id=order_id)


@router.post("/orders/{order_id}/transitions", response={200: OrderDetailOut, **ERRORS},
             summary="Move the order to another state")
def order_transition_api(request: HttpRequest, order_id: UUID, payload: TransitionIn):  # type: ignore[no-untyped-def]
    """The one state machine: refused steps answer 409 `invalid_transition` with `from`/`to` in details."""
    order = access_order(caller(request), order_id)
    changes = {"waiting_reason": payload.waiting_reason} if payload.waiting_reason else {}
    device_at, event_data = payload.device_at, None
    if device_at is not None and not instant_in_window(device_at):
        # Outside the plausible window the device time is kept in the event's data, never stored as
        # a time (psycopg could not read year 1 or 9999 back) and never used for the SLA clocks.
        device_at, event_data = None, {"device_at_implausible": payload.device_at.isoformat()}  # type: ignore[union-attr]
    order_transition(order_id=order.id, actor=Actor(user=caller(request)), to=payload.to, now=timezone.now(),
                     note=payload.note, device_at=device_at, changes=changes, event_data=event_data)
    return selectors.order_detail(actor=caller(request), order_id=order_id)


@router.post("/orders/{order_id}/assign", response={200: OrderDetailOut, **ERRORS},
             summary="Assign or reassign (dispatcher override)")
def order_assign(request: HttpRequest, order_id: UUID, payload: AssignIn):  # type: ignore[no-untyped-def]
    dispatch.order_assign(actor=caller(request), order_id=order_id, technician_id=payload.technician_id,
                          reason=payload.reason, now=timezone.now())
    return selectors.order_detail(actor=caller(request), order_id=order_id)


@router.post("/orders/{order_id}/grab", response={200: OrderDetailOut, **ERRORS}, summary="Grab an offered order")
def order_grab(request: HttpRequest, order_id: UUID):  # type: ignore[no-untyped-def]
    """The first grab wins; later ones answer 409 `grab_lost` (or `grab_expired` after the countdown)."""
    dispatch.order_grab(actor=caller(request), order_id=order_id, now=timezone.now())
    return selectors.order_detail(actor=caller(request), order_id=order_id)


@router.post("/orders/{order_id}/comments", response={201: CommentOut, **ERRORS}, summary="Add a comment")
def comment_add(request: HttpRequest, order_id: UUID, payload: CommentIn):  # type: ignore[no-untyped-def]
    comment = services.comment_add(actor=caller(request), order_id=order_id, body=payload.body,
                                   owner_visible=payload.owner_visible, now=timezone.now())
    return Status(201, comment)


@router.post("/orders/{order_id}/parts", response={201: PartOut, **ERRORS}, summary="Record a part used")
def part_add(request: HttpRequest, order_id: UUID, payload: PartIn):  # type: ignore[no-untyped-def]
    return Status(201, services.part_add(actor=caller(request), order_id=order_id, now=timezone.now(), **payload.dict()))


@router.post("/orders/{order_id}/labour", response={201: LabourOut, **ERRORS}, summary="Record labour")
def labour_add(request: HttpRequest, order_id: UUID, payload: LabourIn):  # type: ignore[no-untyped-def]
    return Status(201, services.labour_add(actor=caller(request), order_id=order_id, now=timezone.now(),
                                           **payload.dict()))


@router.post("/orders/{order_id}/attachments", response={201: AttachmentOut, 200: AttachmentOut, **ERRORS},
             summary="Upload a photo or PDF")
def attachment_add(request: HttpRequest, order_id: UUID, file: File[UploadedFile],  # type: ignore[no-untyped-def]
                   owner_visible: Form[bool] = True):
    """JPEG, PNG, WebP or PDF. Photos are re-encoded without EXIF (no GPS); the same content twice is stored
    once (200 the second time)."""
    attachment, created = services.attachment_add(actor=caller(request), order_id=order_id, data=file.read(),
                                                  original_name=file.name or "", owner_visible=owner_visible,
                                                  now=timezone.now())
    body = {"id": attachment.id, "content_type": attachment.content_type, "size_bytes": attachment.size_bytes,
            "sha256": attachment.sha256, "url": attachment.file.url,
            "thumbnail_url": attachment.thumbnail.url if attachment.thumbnail else None}
    return Status(201 if created else 200, body)


@router.get("/categories", response={200: list[CategoryOut], **ERRORS}, summary="The category tree")
def category_list(request: HttpRequest):  # type: ignore[no-untyped-def]
    return selectors.category_tree()


@router.get("/technicians", response={200: list[TechnicianOut], **ERRORS},
            summary="Technicians with duty status, load and position")
def technician_list(request: HttpRequest, team_id: UUID | None = None):  # type: ignore[no-untyped-def]
    return selectors.technician_list(actor=caller(request), team_id=team_id)


@router.post("/technicians/me/status", response={200: TechnicianStatusOut, **ERRORS},
             summary="Report my duty status and position")
def technician_status(request: HttpRequest, payload: TechnicianStatusIn):  # type: ignore[no-untyped-def]
    return services.technician_status_update(actor=caller(request), now=timezone.now(), **payload.dict())


@router.post("/orders/{order_id}/estimate", response={201: ApprovalOut, 200: ApprovalOut, **ERRORS},
             summary="Submit a cost estimate (starts its approval)")
def estimate_submit(request: HttpRequest, order_id: UUID, payload: EstimateIn):  # type: ignore[no-untyped-def]
    """The engine picks the approval graph by amount, category, warranty and project (≤ 500 ¥: none).
    While approval runs the order waits in `waiting(approval)`. With `client_id`, a retry of the same estimate
    returns it as it is now (200), never a second estimate or approval."""
    instance, created = approvals.estimate_submit_once(actor=caller(request), order_id=order_id,
                                                       amount_yuan=payload.amount_yuan, note=payload.note,
                                                       client_id=payload.client_id, now=timezone.now())
    return Status(201 if created else 200, instance)


@router.post("/orders/{order_id}/quote", response={201: QuoteOut, **ERRORS},
             summary="Quote a paid repair to the owner (out of warranty)")
def quote_send(request: HttpRequest, order_id: UUID, payload: QuoteIn):  # type: ignore[no-untyped-def]
    """Only for orders out of warranty (409 `order_in_warranty` otherwise). A newer quote withdraws the
    pending one; a working order waits in `waiting(owner)` until the owner accepts or refuses on the
    portal, and the owner gets a text message with the link."""
    return Status(201, owner.quote_send(actor=caller(request), order_id=order_id, amount_yuan=payload.amount_yuan,
                                        note=payload.note, now=timezone.now()))


@router.post("/orders/{order_id}/paid-service-waiver", response={200: OrderDetailOut, **ERRORS},
             summary="Do a paid-service repair without charging, on record")
def paid_service_waive(request: HttpRequest, order_id: UUID, payload: WaiverIn):  # type: ignore[no-untyped-def]
    """Customer service or a manager waives the charge of an out-of-warranty order with a reason the
    owner sees; the order may then be completed without an accepted quote (409 `quote_required`
    otherwise)."""
    owner.paid_service_waive(actor=caller(request), order_id=order_id, reason=payload.reason, now=timezone.now())
    return selectors.order_detail(actor=caller(request), order_id=order_id)


@router.post("/orders/{order_id}/merge", response={200: OrderDetailOut, **ERRORS},
             summary="Merge a duplicate report into the open order it repeats")
def order_merge(request: HttpRequest, order_id: UUID, payload: MergeIn):  # type: ignore[no-untyped-def]
    """Cancels this order as a duplicate of the open order numbered `into` on the same place, with
    both timelines saying so; returns the kept order. 422 when `into` is not such an order."""
    kept = services.order_merge_duplicate(actor=caller(request), order_id=order_id, into_number=payload.into,
                                          now=timezone.now())
    return selectors.order_detail(actor=caller(request), order_id=kept.id)


@router.post("/orders/{order_id}/priority", response={200: OrderDetailOut, **ERRORS},
             summary="Change the priority (recomputes the SLA clocks)")
def order_priority(request: HttpRequest, order_id: UUID, payload: PriorityIn):  # type: ignore[no-untyped-def]
    services.order_priority_change(actor=caller(request), order_id=order_id, priority=payload.priority,
                                   reason=payload.reason, now=timezone.now())
    return selectors.order_detail(actor=caller(request), order_id=order_id)


@router.get("/approvals/inbox", response={200: list[InboxItemOut], **ERRORS}, summary="My approvals to decide")
def approval_inbox(request: HttpRequest):  # type: ignore[no-untyped-def]
    return approvals.approval_inbox(actor=caller(request))


@router.post("/approvals/{approval_id}/approve", response={200: ApprovalOut, **ERRORS}, summary="Approve")
def approval_approve(request: HttpRequest, approval_id: UUID, payload: ApproveIn):  # type: ignore[no-untyped-def]
    """Any-sign steps complete on the first approval, countersign steps when every approver signed.
    The requester cannot approve their own estimate (409 `approval_self_approval`)."""
    return approvals.approval_approve(actor=caller(request), approval_id=approval_id,
                                      comment=payload.comment, now=timezone.now())


@router.post("/approvals/{approval_id}/reject", response={200: ApprovalOut, **ERRORS}, summary="Reject")
def approval_reject(request: HttpRequest, approval_id: UUID, payload: RejectIn):  # type: ignore[no-untyped-def]
    return approvals.approval_reject(actor=caller(request), approval_id=approval_id,
                                     reason=payload.reason, now=timezone.now())


@router.post("/approvals/{approval_id}/delegate", response={200: ApprovalOut, **ERRORS}, summary="Delegate")
def approval_delegate(request: HttpRequest, approval_id: UUID, payload: DelegateIn):  # type: ignore[no-untyped-def]
    return approvals.approval_delegate(actor=caller(request), approval_id=approval_id,
                                       to_user_id=payload.to_user_id, now=timezone.now())
