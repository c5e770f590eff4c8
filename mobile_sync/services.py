"""The push side of the WatermelonDB protocol: one transaction, idempotent, state changes as events.

- The same batch twice (same device, same content, same ``last_pulled_at``) returns the stored answer
  and changes nothing (``PushReceipt``).
- A pushed row the server changed since the device last received it answers 409 (``sync_conflict``):
  the device pulls and pushes again, as the protocol says.
- ``work_order_events`` rows are replayed in device order through the one state machine; a refused
  step is kept as refused with its reason and comes back in the next pull. ``state`` itself is never
  taken from a pushed ``work_orders`` row.
- ``created`` for an existing id is an update; ``updated`` for a missing id is a create (unless the
  server deleted it); ``deleted`` for ids the server never saw is ignored; ``_status``/``_changed``
  are ignored.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from backend.accounts.models import TechnicianProfile
from backend.core.errors import AppError
from backend.core.ids import is_sync_id
from backend.core.text import without_nul
from backend.workorders.actors import Actor
from backend.workorders.effects import order_transition
from backend.workorders.models import Assignment, Comment, PartUsage, TimelineEvent, WorkOrder
from backend.workorders.services import comment_add, part_add, technician_status_update
from backend.workorders.sla.clocks import sla_last_event_at
from backend.workorders.states import State
from mobile_sync.device_state import device_state_load, device_state_save
from mobile_sync.errors import InvalidSyncBatch, SyncConflict
from mobile_sync.models import RESEND, PushReceipt, SyncEvent
from mobile_sync.tables import ALL_TABLE_NAMES

READ_ONLY = frozenset({"projects", "units", "categories", "attachments"})
MODELS: dict[str, Any] = {"work_orders": WorkOrder, "comments": Comment, "part_usages": PartUsage,
                          "technician_profiles": TechnicianProfile, "work_order_events": TimelineEvent}
MAX_ROWS = 5000


def _invalid(reason: str, **details: Any) -> InvalidSyncBatch:
    return InvalidSyncBatch(details={"reason": reason, **details})


def _validate(changes: Any) -> dict[str, dict[str, list[Any]]]:
    if not isinstance(changes, dict):
        raise _invalid("changes must be an object of tables")
    total = 0
    for name, entry in changes.items():
        if name not in ALL_TABLE_NAMES:
            raise _invalid("unknown table", table=name)
        if not isinstance(entry, dict) or set(entry) - {"created", "updated", "deleted"}:
            raise _invalid("each table needs created, updated and deleted lists", table=name)
        for kind in ("created", "updated"):
            rows = entry.get(kind, [])
            if not isinstance(rows, list) or not all(isinstance(r, dict) and isinstance(r.get("id"), str)
                                                     for r in rows):
                raise _invalid(f"{kind} must be a list of rows with a string id", table=name)
            total += len(rows)
        if not isinstance(entry.get("deleted", []), list) or not all(isinstance(i, str) for i in entry.get("deleted", [])):
            raise _invalid("deleted must be a list of ids", table=name)
    if total > MAX_ROWS:
        raise _invalid("too many rows in one batch", max_rows=MAX_ROWS)
    # PostgreSQL text cannot hold NUL characters, and a phone's keyboard can type one into a comment.
    return without_nul(changes)


def _from_ms(value: Any) -> datetime | None:
    if value in (None, 0, ""):
        return None
    try:
        return datetime.fromtimestamp(float(value) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


class _Push:
    def __init__(self, *, user: Any, device: Any, now: datetime) -> None:
        self.user, self.device, self.now = user, device, now
        self.refused: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.touched: dict[tuple[str, str], None] = {}
        # What the device holds, locked for the push: two syncs of one device never interleave.
        self.held = device_state_load(device=device, for_update=True)
        self.dirty: set[str] = set()
        self._orders: dict[str, WorkOrder | None] = {}

    def prefetch_orders(self, changes: dict[str, dict[str, list[Any]]]) -> None:
        """One query for every order the batch names, instead of one per row."""
        ids = {str(r.get("work_order_id") or "") for entry in changes.values()
               for r in entry.get("created", []) + entry.get("updated", [])} - {""}
        self._orders = dict.fromkeys(ids)
        self._orders.update({o.sync_id: o for o in WorkOrder.objects.filter(sync_id__in=ids)})

    def order(self, row: dict[str, Any]) -> WorkOrder | None:
        sync_id = str(row.get("work_order_id") or "")
        if sync_id not in self._orders:
            self._orders[sync_id] = WorkOrder.objects.filter(sync_id=sync_id).first()
        return self._orders[sync_id]

    def refuse(self, table: str, record_id: str, code: str, reason: str = "") -> None:
        self.refused.append({"table": table, "id": record_id, "code": code, "reason": reason})
        self.touched[(table, record_id)] = None

    # --- conflicts -----------------------------------------------------------------------------
    def check_conflicts(self, changes: dict[str, dict[str, list[Any]]]) -> None:
        conflicts = []
        for name in ("work_orders", "comments", "part_usages", "technician_profiles"):
            rows = changes.get(name, {}).get("updated", []) + changes.get(name, {}).get("created", [])
            ids = [r["id"] for r in rows]
            if not ids:
                continue
            seen = self.held.get(name, {})
            current = dict(MODELS[name].objects.filter(sync_id__in=ids).values_list("sync_id", "sync_stamp"))
            conflicts += [{"table": name, "id": i} for i, stamp in current.items() if i in seen and seen[i] != stamp]
        if conflicts:
            raise SyncConflict(details={"records": conflicts[:50]})

    # --- events ----------------------------------------------------------------------------------
    def replay_events(self, rows: list[dict[str, Any]]) -> None:
        ordered = sorted(enumerate(rows), key=lambda p: (_from_ms(p[1].get("device_at")) or self.now, p[0]))
        ids = [row["id"] for row in rows]
        done = set(SyncEvent.objects.filter(device=self.device, client_id__in=ids).values_list("client_id", flat=True))
        done |= set(TimelineEvent.objects.filter(sync_id__in=ids).values_list("sync_id", flat=True))
        for _index, row in ordered:
            if row["id"] in done:
                continue  # replayed already: idempotent
            done.add(row["id"])
            self._replay(row)

    def _plausible(self, order: WorkOrder, device_at: datetime | None) -> datetime | None:
        """Device time counts for the clocks when it is not in the future nor before the assignment."""
        if device_at is None or device_at > self.now:
            return None
        assigned = Assignment.objects.filter(order=order, technician=self.user).order_by("-started_at").first()
        if assigned is None or device_at < assigned.started_at:
            return None
        last = sla_last_event_at(order=order)
        return device_at if last is None or device_at >= last else None

    def _replay(self, row: dict[str, Any]) -> None:
        client_id, to = row["id"], str(row.get("to_state") or "")
        device_at = _from_ms(row.get("device_at"))
        order = self.order(row)
        record = SyncEvent(device=self.device, user=self.user, client_id=client_id, order=order,
                           order_sync_id=str(row.get("work_order_id") or "")[:64],
                           from_state=str(row.get("from_state") or "")[:20], to_state=to[:20], device_at=device_at,
                           note=str(row.get("note") or "")[:500], server_at=self.now)
        if order is not None and order.technician_id == self.user.id:
            self.touched[("work_orders", order.sync_id)] = None  # the phone gets the server's order back
        if order is None or order.technician_id != self.user.id or to not in State.values:
            reason = "unknown order" if order is None else ("not assigned to you" if to in State.values
                                                            else "unknown state")
            record.status, record.reason_code, record.reason = SyncEvent.Status.REFUSED, "refused", reason
        else:
            changes = {"waiting_reason": row.get("waiting_reason") or "parts"} if to == State.WAITING else {}
            try:
                with transaction.atomic():
                    order_transition(order_id=order.id, actor=Actor(user=self.user), to=to, now=self.now,
                                     note=record.note, device_at=device_at, changes=changes, event_id=client_id,
                                     clock_at=self._plausible(order, device_at),
                                     event_data={"offline": True, "device": self.device.name})
                record.status = SyncEvent.Status.APPLIED
                self._orders.pop(order.sync_id, None)  # its state moved: read it again when next named
            except AppError as exc:
                record.status, record.reason_code, record.reason = SyncEvent.Status.REFUSED, exc.code, str(exc.message)
                TimelineEvent.objects.create(
                    order=order, kind=TimelineEvent.Kind.NOTE, actor=self.user, actor_label=str(self.user)[:100],
                    note=f"offline step refused: {record.from_state} → {to} ({exc.code})", created_at=self.now,
                    device_at=device_at, data={"offline_event": client_id, "code": exc.code})
        record.save()
        self.events.append({"id": client_id, "status": record.status, "reason": record.reason or None})

    # --- records ---------------------------------------------------------------------------------
    def comments(self, entry: dict[str, list[Any]]) -> None:
        for row in entry.get("created", []) + entry.get("updated", []):
            existing = Comment.objects.filter(sync_id=row["id"]).first()
            body, visible = str(row.get("body") or ""), bool(row.get("owner_visible"))
            if existing is None:
                order = self.order(row)
                if not is_sync_id(row["id"]) or order is None:
                    self.refuse("comments", row["id"], "invalid", "unknown order or malformed id")
                    continue
                try:
                    comment_add(actor=self.user, order_id=order.id, body=body, owner_visible=visible, now=self.now,
                                sync_id=row["id"])
                except AppError as exc:
                    self.refuse("comments", row["id"], exc.code, str(exc.message))
                    continue
            elif existing.author_id != self.user.id:
                self.refuse("comments", row["id"], "not_author")
                continue
            elif (existing.body, existing.owner_visible) != (body, visible) and body.strip():
                Comment.objects.filter(id=existing.id).update(body=body[:2000], owner_visible=visible)
            self.touched[("comments", row["id"])] = None
        for record_id in entry.get("deleted", []):
            if Comment.objects.filter(sync_id=record_id).exists():
                self.refuse("comments", record_id, "comments_are_kept", "comments are part of the order's record")

    def parts(self, entry: dict[str, list[Any]]) -> None:
        for row in entry.get("created", []) + entry.get("updated", []):
            existing = PartUsage.objects.filter(sync_id=row["id"]).first()
            quantity, price = _decimal(row.get("quantity")), _decimal(row.get("unit_price_yuan"))
            name = str(row.get("name") or "")
            if quantity is None or price is None:
                self.refuse("part_usages", row["id"], "invalid", "quantity and price must be numbers")
                continue
            if existing is None:
                order = self.order(row)
                if not is_sync_id(row["id"]) or order is None:
                    self.refuse("part_usages", row["id"], "invalid", "unknown order or malformed id")
                    continue
                try:
                    part_add(actor=self.user, order_id=order.id, name=name, quantity=quantity,
                             unit_price_yuan=price, now=self.now, sync_id=row["id"])
                except AppError as exc:
                    self.refuse("part_usages", row["id"], exc.code, str(exc.message))
                    continue
            elif existing.added_by_id != self.user.id:
                self.refuse("part_usages", row["id"], "not_author")
                continue
            elif quantity > 0 and price >= 0 and name.strip():
                PartUsage.objects.filter(id=existing.id).update(name=name[:100], quantity=quantity,
                                                                unit_price_yuan=price)
            self.touched[("part_usages", row["id"])] = None
        for record_id in entry.get("deleted", []):
            part = PartUsage.objects.filter(sync_id=record_id).first()
            if part is None:
                continue  # created and deleted offline: the server never saw it
            if part.added_by_id != self.user.id or part.order.technician_id != self.user.id:
                self.refuse("part_usages", record_id, "not_author")
                continue
            TimelineEvent.objects.create(order=part.order, kind=TimelineEvent.Kind.NOTE, actor=self.user,
                                         actor_label=str(self.user)[:100], note=f"part removed: {part.name}",
                                         created_at=self.now, data={"part": part.sync_id})
            part.delete()
            self.held.get("part_usages", {}).pop(record_id, None)
            self.dirty.add("part_usages")

    def profile(self, entry: dict[str, list[Any]]) -> None:
        for row in entry.get("created", []) + entry.get("updated", []):
            mine = TechnicianProfile.objects.filter(user=self.user, sync_id=row["id"]).exists()
            if not mine:
                self.refuse("technician_profiles", row["id"], "not_yours")
                continue
            lat, lon = _decimal(row.get("last_latitude")), _decimal(row.get("last_longitude"))
            try:
                technician_status_update(actor=self.user, on_duty=bool(row.get("on_duty")),
                                         latitude=lat.quantize(Decimal("0.000001")) if lat is not None and lon is not None else None,
                                         longitude=lon.quantize(Decimal("0.000001")) if lat is not None and lon is not None else None,
                                         now=self.now)
            except AppError as exc:
                self.refuse("technician_profiles", row["id"], exc.code, str(exc.message))
                continue
            self.touched[("technician_profiles", row["id"])] = None

    def remember(self) -> None:
        """What the device now holds. Every record this push touched (an order its steps moved or failed to
        move, a comment or part it wrote or that was refused) is marked to be sent back by the next pull,
        so the phone replaces its optimistic copy with the server's."""
        for (name, record_id) in self.touched:
            self.held.setdefault(name, {})[record_id] = RESEND
            self.dirty.add(name)
        for event in self.events:
            self.held.setdefault("work_order_events", {})[event["id"]] = RESEND
            self.dirty.add("work_order_events")
        device_state_save(device=self.device, state=self.held, tables=self.dirty)


def batch_digest(changes: Any, last_pulled_at: int | None) -> str:
    canonical = json.dumps({"changes": changes, "last_pulled_at": last_pulled_at}, sort_keys=True,
                           ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def sync_push(*, user: Any, device: Any, changes: Any, last_pulled_at: int | None, now: datetime) -> dict[str, Any]:
    changes = _validate(changes)
    digest = batch_digest(changes, last_pulled_at)
    stored = PushReceipt.objects.filter(device=device, batch_sha256=digest).values_list("result", flat=True).first()
    if stored is not None:
        return {**stored, "replayed": True}
    with transaction.atomic():
        push = _Push(user=user, device=device, now=now)
        push.check_conflicts(changes)
        push.prefetch_orders(changes)
        for name in sorted(READ_ONLY & set(changes)):
            entry = changes[name]
            for row in entry.get("created", []) + entry.get("updated", []):
                push.refuse(name, row["id"], "read_only")
        if "work_orders" in changes:
            for row in changes["work_orders"].get("created", []) + changes["work_orders"].get("updated", []):
                # The order itself is the office's: its state moves only through work_order_events.
                push.refuse("work_orders", row["id"], "read_only", "state changes travel as work_order_events")
        push.replay_events(changes.get("work_order_events", {}).get("created", []) +
                           changes.get("work_order_events", {}).get("updated", []))
        push.comments(changes.get("comments", {}))
        push.parts(changes.get("part_usages", {}))
        push.profile(changes.get("technician_profiles", {}))
        push.remember()
        result = {"ok": True, "events": push.events, "refused": push.refused, "replayed": False}
        PushReceipt.objects.create(device=device, batch_sha256=digest, result=result, created_at=now)
    return result
