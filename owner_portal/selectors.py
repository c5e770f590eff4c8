"""Reads of the owner portal: the owner's orders as a parcel-style timeline, and the knowledge base.

Every order read starts from ``orders_of_owner`` (the verified phone's scope); a miss is a 404.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import TechnicianProfile
from backend.accounts.roles import Role
from backend.core.dates import business_date
from backend.properties.identity import mask_phone
from backend.workorders.access import access_order_of_owner, orders_of_owner
from backend.workorders.definitions import active_definitions
from backend.workorders.lifecycle.machine import reopen_window
from backend.workorders.models import Attachment, Comment, OwnerQuote, TimelineEvent, WorkOrder
from backend.workorders.owner.steps import OwnerIdentity
from backend.workorders.selectors import place_label
from backend.workorders.states import ALLOWED, OPEN_STATES, OWNER_LABELS, State
from owner_portal.models import Article

# Where the portal session keeps the verified identity (set by the verification view).
SESSION_OWNER = "portal_owner"


def identity_in_session(session: Any) -> OwnerIdentity | None:
    """The phone verified in this browser session (and its registered owner), or None."""
    data = session.get(SESSION_OWNER) if session is not None else None
    if not isinstance(data, dict) or not data.get("phone"):
        return None
    owner_id = data.get("owner_id")
    if not owner_id:
        # Verified before owning a home (a buyer invited to the handover): once the handover registers
        # them as the owner, the same verified phone follows the home's orders without verifying again.
        from backend.properties.models import Owner

        owner_id = Owner.objects.filter(phone=data["phone"]).values_list("id", flat=True).first()
    return OwnerIdentity(phone=data["phone"], owner_id=UUID(str(owner_id)) if owner_id else None,
                         name=data.get("name", ""))


# The parcel-style stages an owner follows, and the states that belong to each.
STAGES: list[tuple[str, Any, frozenset[str]]] = [
    ("received", _("Received"), frozenset({State.SUBMITTED, State.ACCEPTED, State.REOPENED})),
    ("dispatched", _("Dispatched"), frozenset({State.ASSIGNED})),
    ("on_the_way", _("Technician on the way"), frozenset({State.EN_ROUTE})),
    ("repairing", _("Repairing"), frozenset({State.ON_SITE, State.IN_PROGRESS, State.WAITING})),
    ("to_rate", _("Awaiting your rating"), frozenset({State.COMPLETED})),
    ("done", _("Completed"), frozenset({State.CLOSED})),
]
STAGE_OF = {state: index for index, (_code, _label, states) in enumerate(STAGES) for state in states}
CLOSED_STATES = frozenset({State.CANCELLED, State.REJECTED})
# City driving with stops and parking: what the ETA assumes.
ETA_SPEED_KMH = 25.0
FAMILY_ICONS = {
    "plumbing-electrical": "plug", "waterproofing": "drop", "structure": "wall", "doors-windows": "door",
    "fit-out": "brush", "public-area": "tree", "low-voltage": "wifi", "gas": "flame",
}


def category_label(code: str, language: str) -> str:
    definitions = active_definitions()
    if code not in definitions.category_codes:
        return code
    cat = definitions.category(code)
    return (cat.name_en or cat.name) if language.startswith("en") else cat.name


def category_choices(*, language: str, public_area: bool) -> list[dict[str, Any]]:
    """The category picker: families with icons and their plain-language children."""
    definitions = active_definitions()
    families = []
    roots = list(definitions.categories_doc.categories)
    if public_area:  # the common-area family first; a corridor light or a lobby door fits the others too
        roots.sort(key=lambda family: family.code != "public-area")
    else:
        roots = [family for family in roots if family.code != "public-area"]
    for family in roots:
        label = (family.name_en or family.name) if language.startswith("en") else family.name
        children = [{"code": c.code, "label": (c.name_en or c.name) if language.startswith("en") else c.name}
                    for c in family.children] or [{"code": family.code, "label": label}]
        families.append({"code": family.code, "label": label, "icon": FAMILY_ICONS.get(family.code, "tool"),
                         "children": children})
    return families


def portal_orders(*, identity: OwnerIdentity, now: datetime, language: str) -> list[dict[str, Any]]:
    qs = (orders_of_owner(owner_id=identity.owner_id, phone=identity.phone, today=business_date(now))
          .select_related("project", "building", "unit", "public_area").order_by("-created_at")[:50])
    return [{"id": o.id, "number": o.number, "category": category_label(o.category_code, language),
             "state": o.state, "label": OWNER_LABELS.get(o.state, o.state), "place": place_label(o),
             "created_at": o.created_at, "needs_you": o.state == State.COMPLETED} for o in qs]


def open_orders_like(*, identity: OwnerIdentity, unit_id: Any, public_area_id: Any, category_code: str,
                     now: datetime, language: str) -> list[dict[str, Any]]:
    """The owner's open orders on the same place and category family: offered before a new report."""
    from backend.workorders.services import duplicates_of

    found = duplicates_of(unit_id=unit_id, public_area_id=public_area_id, category_code=category_code)
    visible = set(orders_of_owner(owner_id=identity.owner_id, phone=identity.phone, today=business_date(now))
                  .filter(id__in=[o.id for o in found]).values_list("id", flat=True)) if found else set()
    return [{"id": str(o.id), "number": o.number, "category": category_label(o.category_code, language),
             "label": str(OWNER_LABELS.get(o.state, o.state)), "created_at": o.created_at.isoformat()}
            for o in found if o.id in visible]


# What the owner reads for an event of each kind when nothing more specific applies. Every kind has
# its own wording: no owner-visible event shows as a bare "update".
KIND_LABELS: dict[str, Any] = {
    TimelineEvent.Kind.CREATED: _("Report received"),
    TimelineEvent.Kind.STATE: _("Progress updated"),
    TimelineEvent.Kind.ASSIGNMENT: _("Another technician will handle your repair"),
    TimelineEvent.Kind.COMMENT: _("Message from customer service"),
    TimelineEvent.Kind.ESTIMATE: _("Quote for a paid repair"),
    TimelineEvent.Kind.APPROVAL: _("Repair cost checked by the office"),
    TimelineEvent.Kind.SLA: _("Service time updated"),
    TimelineEvent.Kind.ATTACHMENT: _("Photo added"),
    TimelineEvent.Kind.NOTE: _("Note from customer service"),
}


def _event_label(event: TimelineEvent) -> Any:
    data = event.data or {}
    if event.kind in {TimelineEvent.Kind.STATE, TimelineEvent.Kind.CREATED}:
        if event.to_state == State.IN_PROGRESS and data.get("quote") == "accepted":
            return _("Repair resumed")
        if event.to_state == State.WAITING:
            return _("Waiting for your decision") if data.get("waiting_for") == "quote" else _("Repair paused")
        if event.to_state == State.REOPENED:
            return _("Reopened")
        if event.kind == TimelineEvent.Kind.CREATED:
            return KIND_LABELS[event.kind]
        return OWNER_LABELS.get(event.to_state, KIND_LABELS[event.kind])
    if event.kind == TimelineEvent.Kind.COMMENT and data.get("from_owner"):
        return _("Your message")
    if event.kind == TimelineEvent.Kind.ESTIMATE:
        decision = data.get("decision")
        if decision == OwnerQuote.Status.ACCEPTED:
            return _("You accepted the quote")
        if decision == OwnerQuote.Status.REFUSED:
            return _("You declined the quote")
    if event.kind == TimelineEvent.Kind.NOTE:
        request = data.get("request")
        if request == "reschedule":
            return _("You asked for another time")
        if request == "cancel":
            return _("You asked to cancel")
    return KIND_LABELS.get(event.kind, KIND_LABELS[TimelineEvent.Kind.NOTE])


def owner_events(events: Iterable[TimelineEvent]) -> list[dict[str, Any]]:
    """The owner-visible ones of ``events`` (in id order), with owner-facing labels."""
    out: list[dict[str, Any]] = []
    previous_state_label = None
    for event in events:
        if not event.owner_visible:
            continue
        label = str(_event_label(event))
        if event.kind == TimelineEvent.Kind.STATE:
            # on_site → in_progress are one step for the owner ("repairing"): show it once.
            if label == previous_state_label:
                continue
            previous_state_label = label
        note = event.note if event.kind in {TimelineEvent.Kind.COMMENT, TimelineEvent.Kind.NOTE} else ""
        if event.kind == TimelineEvent.Kind.ESTIMATE:
            note = f"¥{event.data.get('amount_yuan', '')} {event.note}".strip()
        out.append({"id": event.id, "kind": event.kind, "label": label, "note": note,
                    "at": event.created_at})
    return out


def _stages(order: WorkOrder, events: Iterable[TimelineEvent]) -> list[dict[str, Any]]:
    """Each stage with the time it was (last) reached, from the order's events in id order."""
    reached: dict[int, datetime] = {}
    for event in events:
        index = STAGE_OF.get(event.to_state) if event.kind in {TimelineEvent.Kind.STATE,
                                                                TimelineEvent.Kind.CREATED} else None
        if index is None:
            continue
        if event.to_state == State.REOPENED or (index < max(reached, default=-1)):
            # Reopened or sent back: the later stages start again.
            reached = {i: t for i, t in reached.items() if i < index}
        reached[index] = event.created_at
    current, last = STAGE_OF.get(order.state, -1), len(STAGES) - 1
    return [{"code": code, "label": label, "at": reached.get(i), "done": i < current or i == current == last,
             "current": i == current} for i, (code, label, _states) in enumerate(STAGES)]


def _technician(order: WorkOrder, now: datetime) -> dict[str, Any] | None:
    if order.technician_id is None or order.state in CLOSED_STATES:
        return None
    user = order.technician
    profile = TechnicianProfile.objects.filter(user_id=order.technician_id).first()
    card: dict[str, Any] = {
        "name": user.display_name or user.get_username(),  # type: ignore[union-attr]
        "initial": (user.display_name or user.get_username())[:1],  # type: ignore[union-attr]
        "phone": mask_phone(user.phone) if user and user.phone else "",  # type: ignore[union-attr]
        "photo_url": profile.photo.url if profile and profile.photo else "",
        "eta": None,
    }
    if order.state == State.EN_ROUTE and profile and profile.last_latitude is not None:
        card["eta"] = eta(from_lat=float(profile.last_latitude), from_lng=float(profile.last_longitude),  # type: ignore[arg-type]
                          to_lat=float(order.project.latitude), to_lng=float(order.project.longitude),
                          position_at=profile.last_position_at, now=now)
    return card


def eta(*, from_lat: float, from_lng: float, to_lat: float, to_lng: float, position_at: datetime | None,
        now: datetime) -> dict[str, Any]:
    """Geodesic distance from the technician's last known position and the minutes it takes at city speed."""
    from geopy.distance import geodesic

    km = geodesic((from_lat, from_lng), (to_lat, to_lng)).kilometers
    minutes = max(1, math.ceil(km / ETA_SPEED_KMH * 60))
    stale = position_at is None or now - position_at > timedelta(minutes=30)
    return {"km": round(km, 1), "minutes": minutes, "position_at": position_at, "stale": stale}


def portal_order_view(*, identity: OwnerIdentity, order_id: Any, now: datetime, language: str) -> dict[str, Any]:
    order = access_order_of_owner(owner_id=identity.owner_id, phone=identity.phone, order_id=order_id,
                                  today=business_date(now),
                                  related=("project", "building", "unit", "public_area", "technician"))
    history = list(order.events.order_by("id"))
    events = owner_events(history)
    quote = OwnerQuote.objects.filter(order=order, status=OwnerQuote.Status.PENDING).order_by("-created_at").first()
    window = reopen_window()
    reopen_until = order.completed_at + window if order.completed_at else None
    owner_may = {to for (frm, to), roles in ALLOWED.items() if frm == order.state and Role.HOMEOWNER in roles}
    messages = list(Comment.objects.filter(order=order, owner_visible=True).order_by("created_at"))
    photos = list(Attachment.objects.filter(order=order, owner_visible=True, content_type__startswith="image/")
                  .order_by("created_at"))
    return {
        "order": order,
        "category": category_label(order.category_code, language),
        "place": place_label(order),
        "label": OWNER_LABELS.get(order.state, order.state),
        "closed": order.state in CLOSED_STATES,
        "stages": _stages(order, history),
        "events": list(reversed(events)),
        "seq": events[-1]["id"] if events else 0,
        "technician": _technician(order, now),
        "quote": quote,
        "out_of_warranty": order.warranty_verdict == "out",
        "can_rate": order.state == State.COMPLETED,
        "can_reopen": State.REOPENED in owner_may and (reopen_until is None or now <= reopen_until),
        "reopen_until": reopen_until,
        "can_cancel": State.CANCELLED in owner_may,
        "can_request_cancel": State.CANCELLED not in owner_may and order.state in OPEN_STATES,
        "can_reschedule": order.state in OPEN_STATES,
        "messages": [{"body": c.body, "from_owner": c.from_owner, "at": c.created_at} for c in messages],
        "photos": photos,
        "ratings": {"timeliness": order.rating_timeliness, "attitude": order.rating_attitude,
                    "quality": order.rating_quality, "comment": order.rating_comment},
    }


def portal_events_since(*, identity: OwnerIdentity, order_id: Any, since_id: int, now: datetime) -> dict[str, Any]:
    order = access_order_of_owner(owner_id=identity.owner_id, phone=identity.phone, order_id=order_id,
                                  today=business_date(now))
    events = owner_events(order.events.filter(owner_visible=True, id__gt=since_id).order_by("id"))
    return {"state": order.state, "label": str(OWNER_LABELS.get(order.state, order.state)),
            "latest": events[-1]["id"] if events else since_id,
            "events": [{**e, "at": e["at"].isoformat()} for e in events]}


def portal_attachment(*, identity: OwnerIdentity, order_id: Any, attachment_id: Any, now: datetime,
                      thumbnail: bool) -> Attachment:
    from backend.core.errors import NotFound

    order = access_order_of_owner(owner_id=identity.owner_id, phone=identity.phone, order_id=order_id,
                                  today=business_date(now))
    try:
        row = Attachment.objects.filter(order=order, id=attachment_id, owner_visible=True).first()
    except (ValueError, TypeError):
        row = None
    if row is None or (thumbnail and not row.thumbnail):
        raise NotFound(details={"object": "attachment"})
    return row


# --- knowledge base

_CJK = re.compile(r"[\u3400-\u9fff]+")
_WORD = re.compile(r"[a-z0-9]+")


def search_terms(text: str) -> list[str]:
    """Chinese runs as overlapping character pairs (a single character stands alone), other text as words."""
    text = (text or "").lower()[:200]
    terms: list[str] = []
    for run in _CJK.findall(text):
        terms += [run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)]
    terms += [w for w in _WORD.findall(text) if len(w) > 1]
    seen: dict[str, None] = {}
    for term in terms:
        seen.setdefault(term, None)
    return list(seen)[:30]


def articles_search(*, query: str, category_code: str = "", limit: int = 5) -> list[Article]:
    """Ranks published articles by how many query terms they contain (title counts thrice).
    Plain ``LIKE`` on a lower-cased column: the same results on SQLite and PostgreSQL."""
    terms = search_terms(query)
    qs = Article.objects.filter(published=True)
    if category_code:
        qs = qs.filter(category_code__in=_family_codes(category_code))
    if not terms:
        return list(qs[:limit]) if category_code else []
    match = Q()
    for term in terms:
        match |= Q(search_text__contains=term)
    candidates = list(qs.filter(match)[:100])
    # Two-character pairs of a longer phrase must hit a good share before an article is offered.
    needed = 1 if len(terms) <= 2 else max(1, math.ceil(len(terms) * 0.3))

    def score(article: Article) -> tuple[int, int]:
        hits = [t for t in terms if t in article.search_text]
        title = f"{article.title} {article.title_en}".lower()
        return len(hits), sum(3 for t in hits if t in title)

    ranked = [(score(a), a) for a in candidates]
    ranked = [(s, a) for s, a in ranked if s[0] >= needed]
    ranked.sort(key=lambda pair: (-pair[0][0] - pair[0][1], pair[1].position))
    return [a for _s, a in ranked[:limit]]


def _family_codes(code: str) -> list[str]:
    definitions = active_definitions()
    if code not in definitions.category_codes:
        return [code]
    family = definitions.category_path(code)[0]
    return definitions.codes_within(family)


def articles_by_category(*, language: str) -> list[dict[str, Any]]:
    articles = list(Article.objects.filter(published=True))
    groups = []
    definitions = active_definitions()
    for family in definitions.categories_doc.categories:
        members = [a for a in articles if a.category_code in definitions.category_codes
                   and definitions.is_within(a.category_code, family.code)]
        if members:
            label = (family.name_en or family.name) if language.startswith("en") else family.name
            groups.append({"code": family.code, "label": label, "icon": FAMILY_ICONS.get(family.code, "tool"),
                           "articles": members})
    return groups


def articles_for_sync(*, category_codes: Iterable[str]) -> list[dict[str, Any]]:
    """The published articles of ``category_codes`` and of the categories above them (an article of 水电 serves a
    drainage order), as rows of the technicians' read-only ``articles`` sync table (settings.MOBILE_SYNC_ARTICLES)."""
    definitions = active_definitions()
    codes: set[str] = set()
    for code in category_codes:
        codes.update(definitions.category_path(code) if code in definitions.category_codes else [code])
    if not codes:
        return []
    rows = []
    for a in Article.objects.filter(published=True, category_code__in=sorted(codes)).prefetch_related("steps"):
        steps = [{"text": s.text, "text_en": s.text_en or None, "image_url": s.image.url if s.image else None}
                 for s in a.steps.all()]
        rows.append({"id": str(a.id), "category_id": a.category_code, "title": a.title, "title_en": a.title_en or None,
                     "summary": a.summary, "summary_en": a.summary_en or None,
                     "steps": json.dumps(steps, ensure_ascii=False), "cover_url": a.cover.url if a.cover else None,
                     "position": a.position})
    return rows


SELF_SERVED_AFTER = timedelta(hours=24)


def articles_with_stats(qs: QuerySet[Article], *, now: datetime) -> QuerySet[Article]:
    """Annotates views, self-served views (no report from the same visit within ``SELF_SERVED_AFTER``)
    and views that led to a report: one query for a whole list."""
    return qs.annotate(
        view_count=Count("views"),
        self_served_count=Count("views", filter=Q(views__reported_at__isnull=True,
                                                  views__viewed_at__lte=now - SELF_SERVED_AFTER)),
        reported_count=Count("views", filter=Q(views__reported_at__isnull=False)),
    )


def article_stats(*, article: Article, now: datetime) -> dict[str, int]:
    row = articles_with_stats(Article.objects.filter(id=article.id), now=now).get()
    return {"views": row.view_count, "self_served": row.self_served_count,  # type: ignore[attr-defined]
            "led_to_report": row.reported_count}  # type: ignore[attr-defined]


# --- the handover (交房) of a home the phone was invited to: backend.handover's rows, read for the owner


def handover_view(*, identity: OwnerIdentity, token: str, now: datetime, language: str) -> dict[str, Any]:
    """The invitation behind an SMS link, for the phone it was sent to (anyone else: 404): the home,
    the slots with their seats left, the live appointment, and once inspected the checklist's outcome
    and each defect's order with the stage the owner follows."""
    from backend.handover import selectors as handover

    item = handover.item_of_invitation(token=token, phone_e164=identity.phone)
    inspection = item.inspection if hasattr(item, "inspection") else None
    defects = handover.defects_of(item) if inspection is not None else []
    visible = set(orders_of_owner(owner_id=identity.owner_id, phone=identity.phone, today=business_date(now))
                  .filter(id__in=[d.order_id for d in defects]).values_list("id", flat=True)) if defects else set()
    rows = [{"id": d.order.id, "number": d.order.number, "category": category_label(d.order.category_code, language),
             "where": d.order.location_detail, "state": d.order.state,
             "label": OWNER_LABELS.get(d.order.state, d.order.state), "stage": STAGE_OF.get(d.order.state, -1),
             "linked": d.order.id in visible} for d in defects]
    lines = list(inspection.lines.all()) if inspection is not None else []
    return {"item": item, "appointment": handover.live_appointment(item),
            "slots": handover.slots_with_room(item=item, now=now),
            "may_book": item.status in ("invited", "booked"), "inspection": inspection,
            "lines_ok": sum(1 for line in lines if line.result == "ok"), "lines_total": len(lines),
            "defects": rows, "stages": [label for _code, label, _states in STAGES]}


def handovers_of(identity: OwnerIdentity) -> list[Any]:
    from backend.handover.selectors import invitations_of_phone

    return invitations_of_phone(identity.phone)
