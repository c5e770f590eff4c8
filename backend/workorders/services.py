"""The work-order context's writes, for the callers outside it (the API, the sync push, the owner
portal, the console, imports and demo data). Each lives in the part of the context that owns it:

- ``intake``      one intake for every channel: validation, numbering, warranty, duplicates
- ``effects``     a step through the state machine (``lifecycle``) and what follows it: SLA, live, SMS
- ``dispatch``    routing on live data, the dispatcher's assignment, the grab pool, technicians' duty
- ``records``     comments, parts, labour, attachments, priority
- ``owner``       the homeowner's steps and the paid-service quotes
- ``approvals``   cost estimates and their approval graphs
- ``sla``         the clocks' alerts, fired once
"""

from __future__ import annotations

from backend.workorders.actors import Actor, system_actor
from backend.workorders.approvals.estimates import (
    approval_approve,
    approval_delegate,
    approval_reject,
    approval_timeout,
    estimate_submit,
)
from backend.workorders.approvals.stand_ins import approval_stand_in_end, approval_stand_in_set
from backend.workorders.dispatch.duty import technician_status_update
from backend.workorders.dispatch.routing import (
    grab_offer_expire,
    order_assign,
    order_grab,
    order_route,
)
from backend.workorders.effects import order_transition
from backend.workorders.intake.merge import order_merge_duplicate
from backend.workorders.intake.order import IntakeResult, duplicates_of, order_intake
from backend.workorders.lifecycle.timeline import event_add as timeline_event_add
from backend.workorders.owner.steps import (
    OwnerIdentity,
    order_owner_cancel,
    order_rate,
    order_reopen,
    order_reschedule_request,
    owner_message_add,
    paid_service_waive,
    quote_decide,
    quote_send,
)
from backend.workorders.records.edits import NotAuthor, comment_edit, part_edit, part_remove
from backend.workorders.records.entries import (
    attachment_add,
    attachment_store,
    comment_add,
    labour_add,
    order_priority_change,
    part_add,
)
from backend.workorders.sla.clocks import sla_alert_fire, sla_rebase

__all__ = [
    "Actor", "IntakeResult", "NotAuthor", "OwnerIdentity", "approval_approve", "approval_delegate", "approval_reject", "approval_stand_in_end", "approval_stand_in_set",
    "approval_timeout", "attachment_add", "attachment_store", "comment_add", "comment_edit", "duplicates_of", "estimate_submit",
    "grab_offer_expire", "labour_add", "order_assign", "order_grab", "order_intake", "order_merge_duplicate", "order_owner_cancel",
    "order_priority_change", "order_rate", "order_reopen", "order_reschedule_request", "order_route",
    "order_transition", "owner_message_add", "paid_service_waive", "part_add", "part_edit", "part_remove", "quote_decide", "quote_send",
    "sla_alert_fire", "sla_rebase", "system_actor", "technician_status_update", "timeline_event_add",
]
