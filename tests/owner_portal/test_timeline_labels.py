"""Every event an owner can see on the tracking page has a label of its own, in the owner's language."""

from __future__ import annotations

import pytest
from django.utils import timezone, translation

from backend.accounts.roles import Role
from backend.workorders.dispatch import routing as dispatch
from backend.workorders.models import Assignment, OwnerQuote, TimelineEvent
from backend.workorders.states import State
from owner_portal.selectors import KIND_LABELS, owner_events, portal_order_view
from tests.factories import user_with_roles
from tests.owner_portal.helpers import home_with_owner
from tests.owner_portal.test_owner_services import identity_of

Kind = TimelineEvent.Kind

# (kind, to_state, data) of every owner-visible event the code writes, and more: every kind with no data.
VARIANTS: list[tuple[str, str, dict]] = [
    (Kind.CREATED, State.SUBMITTED, {"channel": "qr", "duplicates": []}),
    *[(Kind.STATE, state, {}) for state in State.values],
    *[(Kind.STATE, State.ASSIGNED, {"method": method}) for method in Assignment.Method.values],
    (Kind.STATE, State.IN_PROGRESS, {"quote": "accepted"}),
    (Kind.STATE, State.IN_PROGRESS, {"approval": "approved"}),
    (Kind.STATE, State.IN_PROGRESS, {"approval": "rejected"}),
    (Kind.STATE, State.WAITING, {"waiting_for": "quote"}),
    (Kind.STATE, State.CLOSED, {"rating": {"timeliness": 5, "attitude": 5, "quality": 5}}),
    (Kind.STATE, State.REOPENED, {"reason": "又漏了", "by": "owner"}),
    (Kind.STATE, State.CANCELLED, {"by": "owner"}),
    *[(Kind.ASSIGNMENT, "", {"technician_id": "t", "method": method}) for method in Assignment.Method.values],
    (Kind.ASSIGNMENT, "", {"technician_id": "t", "method": "fallback", "explanation": "…"}),
    (Kind.ASSIGNMENT, "", {"offer_id": "o", "candidates": 3, "expires_at": "2026-11-25T10:00:00+08:00"}),
    (Kind.COMMENT, "", {"comment_id": "c", "from_owner": True}),
    (Kind.COMMENT, "", {"comment_id": "c"}),
    (Kind.ESTIMATE, "", {"quote_id": "q", "amount_yuan": "300.00"}),
    (Kind.ESTIMATE, "", {"quote_id": "q", "amount_yuan": "300.00", "decision": OwnerQuote.Status.ACCEPTED}),
    (Kind.ESTIMATE, "", {"quote_id": "q", "amount_yuan": "300.00", "decision": OwnerQuote.Status.REFUSED}),
    (Kind.ESTIMATE, "", {"approval_id": "a", "amount_yuan": "800", "graph": "manager"}),
    (Kind.APPROVAL, "", {"approval_id": "a", "outcome": "approved", "amount_yuan": "800", "by": []}),
    (Kind.SLA, "", {"target": "response", "level": "50"}),
    (Kind.ATTACHMENT, "", {"attachment_id": "x", "content_type": "image/jpeg"}),
    (Kind.NOTE, "", {"request": "cancel"}),
    (Kind.NOTE, "", {"request": "reschedule", "slots": []}),
    (Kind.NOTE, "", {"part_id": "p"}),
    *[(kind, "", {}) for kind in Kind.values],
]


def label_of(kind: str, to_state: str, data: dict, language: str) -> str:
    event = TimelineEvent(id=1, kind=kind, to_state=to_state, data=data, owner_visible=True,
                          created_at=timezone.now())
    with translation.override(language):
        [shown] = owner_events([event])
    return shown["label"]


def test_every_kind_has_its_own_owner_facing_label():
    assert set(KIND_LABELS) == set(Kind.values)


@pytest.mark.parametrize(("kind", "to_state", "data"), VARIANTS)
def test_every_owner_visible_event_has_a_specific_translated_label(kind, to_state, data):
    chinese, english = label_of(kind, to_state, data, "zh-hans"), label_of(kind, to_state, data, "en")
    assert chinese and english
    assert chinese not in {"动态", "Update"} and english != "Update"
    assert chinese != english, f"{kind} {to_state} {data}: {english!r} has no Chinese translation"


@pytest.mark.django_db
def test_a_reassignment_tells_the_owner_another_technician_comes():
    home, _ = home_with_owner()
    order = home.side.order
    other = user_with_roles(Role.TECHNICIAN)
    home.side.team.members.add(other)
    dispatch.order_assign(actor=home.side.dispatcher, order_id=order.id, technician_id=other.id,
                          reason="原师傅请假", now=timezone.now())
    with translation.override("zh-hans"):
        view = portal_order_view(identity=identity_of(home), order_id=order.id, now=timezone.now(),
                                 language="zh-hans")
    assert view["events"][0]["label"] == "已为您更换维修工程师"
    assert all(event["label"] != "动态" for event in view["events"])
