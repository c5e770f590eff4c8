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
- Every pushed value is checked against its column (``mobile_sync.values``) before anything is applied;
  comments and parts are written through the work-order services the API uses. A row the server refuses
  or ignores is reported in ``refused`` and undone on the device by its next pull: the server's version
  comes back in ``updated`` (or in ``created`` when the device deleted it), or the id in ``deleted`` when the
  server has no such record. The rule for every table is in docs/sync-protocol.md.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import TechnicianProfile
from backend.core.errors import AppError
from backend.core.ids import is_sync_id
from backend.core.text import without_nul
from backend.workorders.models import Assignment, Comment, PartUsage, TimelineEvent, WorkOrder
from backend.workorders.services import (
    Actor,
    comment_add,
    comment_edit,
    order_transition,
    part_add,
    part_edit,
    part_remove,
    technician_status_update,
    timeline_event_add,
)
from backend.workorders.sla.clocks import sla_last_event_at
from backend.workorders.states import State
from mobile_sync import values
from mobile_sync.device_state import DeviceSync, device_state_save, device_sync_open
from mobile_sync.errors import InvalidSyncBatch, SyncConflict
from mobile_sync.models import RESEND, DeviceCursor, PushReceipt, SyncEvent
from mobile_sync.tables import ALL_TABLE_NAMES
from mobile_sync.values import InvalidValue

READ_ONLY = frozenset({"projects", "units", "categories", "attachments", "articles"})
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


def _reason(exc: AppError) -> str:
    """The most precise reason a service gave: its field error, else its message."""
    errors = exc.details.get("errors") if isinstance(exc.details, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict) and errors[0].get("reason"):
        return str(errors[0]["reason"])
    return str(exc.message)


# --- what each pushable column may hold (mobile_sync.values) -----------------------------------------------
def _event_values(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {"work_order_id": values.text(row, "work_order_id", max_length=64, required=True),
            "from_state": values.text(row, "from_state", max_length=20),
            "to_state": values.text(row, "to_state", max_length=20, required=True),
            "device_at": values.device_time(row, "device_at", now=now),
            "note": values.text(row, "note", max_length=500),
            "waiting_reason": values.text(row, "waiting_reason", max_length=20)}


def _comment_values(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    # The length is the service's rule (comment_add / comment_edit): refused there with the API's reason.
    return {"work_order_id": values.text(row, "work_order_id", max_length=64),
            "body": values.text(row, "body", max_length=100_000),
            "owner_visible": values.boolean(row, "owner_visible")}


def _part_values(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {"work_order_id": values.text(row, "work_order_id", max_length=64),
            "name": values.text(row, "name", max_length=10_000),
            "quantity": values.number(row, "quantity", max_digits=10, places=2),
            "unit_price_yuan": values.number(row, "unit_price_yuan", max_digits=12, places=2)}


def _profile_values(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    lat = values.number(row, "last_latitude", max_digits=9, places=6, low=Decimal(-90), high=Decimal(90),
                        optional=True)
    lon = values.number(row, "last_longitude", max_digits=9, places=6, low=Decimal(-180), high=Decimal(180),
                        optional=True)
    return {"on_duty": values.boolean(row, "on_duty"), "latitude": lat, "longitude": lon}


Spec = Callable[[dict[str, Any], datetime], dict[str, Any]]
SPECS: dict[str, Spec] = {"work_order_events": _event_values, "comments": _comment_values,
                          "part_usages": _part_values, "technician_profiles": _profile_values}


class _Push:
    def __init__(self, *, user: Any, device: Any, now: datetime, sync: DeviceSync) -> None:
        self.user, self.device, self.now, self.sync = user, device, now, sync
        self.refused: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        # What the device holds, as of the cursor it presented (locked for the push: two syncs of one device
        # never interleave).
        self.held = sync.state
        self.dirty: set[str] = set()
        self._orders: dict[str, WorkOrder | None] = {}
        self.merges = set(sync.row.conflicts or [])
        self._assigned: dict[Any, datetime] = {}

    def prefetch(self, changes: dict[str, dict[str, list[Any]]]) -> None:
        """One query per table for every order, comment and part the batch names, instead of one per row."""
        ids = {i for entry in changes.values() for r in entry.get("created", []) + entry.get("updated", [])
               if isinstance(i := r.get("work_order_id"), str) and i}
        self._orders = dict.fromkeys(ids)
        self._orders.update({o.sync_id: o for o in WorkOrder.objects.filter(sync_id__in=ids)})
        self.comments_by_id = self._existing(Comment, changes.get("comments", {}))
        self.parts_by_id = self._existing(PartUsage, changes.get("part_usages", {}), "order")

    @staticmethod
    def _existing(model: Any, entry: dict[str, list[Any]], *related: str) -> dict[str, Any]:
        ids = [r["id"] for r in entry.get("created", []) + entry.get("updated", [])] + list(entry.get("deleted", []))
        if not ids:
            return {}
        return {x.sync_id: x for x in model.objects.filter(sync_id__in=ids).select_related(*related)}

    def order(self, sync_id: str) -> WorkOrder | None:
        if sync_id not in self._orders:
            self._orders[sync_id] = WorkOrder.objects.filter(sync_id=sync_id).first()
        return self._orders[sync_id]

    # --- what the device gets back -----------------------------------------------------------------
    def resend(self, table: str, record_id: str) -> None:
        """The device holds a version of this record the server did not take (or one it just wrote): the next
        pull sends the server's version in ``updated`` — or the id in ``deleted`` if the server has none."""
        self.held.setdefault(table, {})[record_id] = RESEND
        self.dirty.add(table)

    def restore(self, table: str, record_id: str) -> None:
        """The device deleted this record and the server keeps it: the next pull sends it in ``created`` (the
        one case where WatermelonDB re-creating a deleted record is what we want)."""
        if self.held.get(table, {}).pop(record_id, None) is not None:
            self.dirty.add(table)

    def refuse(self, table: str, record_id: str, code: str, reason: Any = "", *, deleted: bool = False,
               **details: Any) -> None:
        self.refused.append({"table": table, "id": record_id, "code": code, "reason": str(reason), **details})
        if deleted:
            self.restore(table, record_id)
        else:
            self.resend(table, record_id)

    def clean(self, table: str, row: dict[str, Any]) -> dict[str, Any] | None:
        try:
            return SPECS[table](row, self.now)
        except InvalidValue as exc:
            self.refuse(table, row["id"], "invalid_value", exc.reason, column=exc.column)
            return None

    # --- conflicts -----------------------------------------------------------------------------
    def check_conflicts(self, changes: dict[str, dict[str, list[Any]]]) -> None:
        if self.sync.stale:
            # Pushed from a state older than the one the device confirmed since (a request delayed on the way, a
            # restored phone): pull, then push again.
            raise SyncConflict(details={"reason": "stale_cursor", "records": []})
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

    # --- rows the device may not write -----------------------------------------------------------
    def read_only(self, name: str, entry: dict[str, list[Any]]) -> None:
        reason = (_("State changes travel as work_order_events.") if name == "work_orders"
                  else _("This table is read-only on the device."))
        for row in entry.get("created", []) + entry.get("updated", []):
            self.refuse(name, row["id"], "read_only", reason)
        known = self._known(name, entry.get("deleted", []))
        for record_id in entry.get("deleted", []):
            if record_id in known:
                self.refuse(name, record_id, "read_only", _("The server keeps this record; it comes back."),
                            deleted=True)

    def _known(self, name: str, ids: list[str]) -> set[str]:
        """The ids of ``ids`` the device was sent (or pushed itself): the only records it can have deleted. Any
        other id is ignored, so a delete tells nothing about records outside the device's scope."""
        held = self.held.get(name, {})
        return {i for i in ids if i in held}

    # --- events ----------------------------------------------------------------------------------
    def replay_events(self, entry: dict[str, list[Any]]) -> None:
        rows = entry.get("created", []) + entry.get("updated", [])
        ids = [row["id"] for row in rows]
        done = set(SyncEvent.objects.filter(device=self.device, client_id__in=ids).values_list("client_id", flat=True))
        done |= set(TimelineEvent.objects.filter(sync_id__in=ids).values_list("sync_id", flat=True))
        updated = {row["id"] for row in entry.get("updated", [])}
        fresh = []
        for index, row in enumerate(rows):
            if row["id"] in done:
                # Replayed already (the same step pushed again: idempotent), or an edit of a recorded step,
                # which the timeline never takes: the device gets the server's version back.
                if row["id"] in updated:
                    self.refuse("work_order_events", row["id"], "events_are_kept",
                                _("A recorded step cannot be changed."))
                else:
                    self.resend("work_order_events", row["id"])
                continue
            done.add(row["id"])
            cleaned = self.clean("work_order_events", row)
            if cleaned is not None:
                fresh.append((index, row, cleaned))
        fresh.sort(key=lambda t: (t[2]["device_at"].at or self.now, t[0]))
        # When the technician was last assigned each order the steps name: one query, not one per step.
        orders = [o.id for o in (self.order(c["work_order_id"]) for _i, _r, c in fresh) if o is not None]
        self._assigned = dict(Assignment.objects.filter(order_id__in=orders, technician=self.user).order_by(
            "order_id", "started_at").values_list("order_id", "started_at"))
        for _index, row, cleaned in fresh:
            self._replay(row["id"], cleaned)
        known = self._known("work_order_events", entry.get("deleted", []))
        for record_id in entry.get("deleted", []):
            if record_id in known:
                self.refuse("work_order_events", record_id, "events_are_kept",
                            _("A recorded step cannot be deleted; it comes back."), deleted=True)

    def _plausible(self, order: WorkOrder, device_at: datetime | None) -> datetime | None:
        """Device time counts for the clocks when it is not in the future nor before the assignment."""
        if device_at is None or device_at > self.now:
            return None
        assigned_at = self._assigned.get(order.id)
        if assigned_at is None or device_at < assigned_at:
            return None
        last = sla_last_event_at(order=order)
        return device_at if last is None or device_at >= last else None

    def _replay(self, client_id: str, v: dict[str, Any]) -> None:
        to, when = v["to_state"], v["device_at"]
        order = self.order(v["work_order_id"])
        record = SyncEvent(device=self.device, user=self.user, client_id=client_id, order=order,
                           order_sync_id=v["work_order_id"], from_state=v["from_state"], to_state=to,
                           device_at=when.at, note=v["note"], server_at=self.now)
        data: dict[str, Any] = {"offline": True, "device": self.device.name}
        if when.implausible:
            data["device_at_implausible"] = str(when.raw)[:40]
        if order is not None and order.technician_id == self.user.id:
            self.resend("work_orders", order.sync_id)  # the phone gets the server's order back
        if order is None or order.technician_id != self.user.id or to not in State.values:
            reason = "unknown order" if order is None else ("not assigned to you" if to in State.values
                                                            else "unknown state")
            record.status, record.reason_code, record.reason = SyncEvent.Status.REFUSED, "refused", reason
        else:
            changes = {"waiting_reason": v["waiting_reason"] or "parts"} if to == State.WAITING else {}
            try:
                with transaction.atomic():
                    order_transition(order_id=order.id, actor=Actor(user=self.user), to=to, now=self.now,
                                     note=record.note, device_at=when.at, changes=changes, event_id=client_id,
                                     clock_at=self._plausible(order, when.at), event_data=data)
                record.status = SyncEvent.Status.APPLIED
                self._orders.pop(order.sync_id, None)  # its state moved: read it again when next named
            except AppError as exc:
                record.status, record.reason_code, record.reason = (SyncEvent.Status.REFUSED, exc.code,
                                                                    _reason(exc)[:300])
                timeline_event_add(order=order, kind=TimelineEvent.Kind.NOTE, actor=self.user, now=self.now,
                                   note=f"offline step refused: {record.from_state} → {to} ({exc.code})",
                                   device_at=when.at, data={"offline_event": client_id, "code": exc.code})
        record.save()
        self.resend("work_order_events", client_id)
        self.events.append({"id": client_id, "status": record.status, "reason": record.reason or None})

    # --- records ---------------------------------------------------------------------------------
    def _merged(self, table: str, record_id: str) -> bool:
        return f"{table}:{record_id}" in self.merges

    def comments(self, entry: dict[str, list[Any]]) -> None:
        for row in entry.get("created", []) + entry.get("updated", []):
            v = self.clean("comments", row)
            if v is None:
                continue
            existing = self.comments_by_id.get(row["id"])
            data = {"offline": True, "device": self.device.name}
            try:
                if existing is None:
                    order = self.order(v["work_order_id"])
                    if not is_sync_id(row["id"]) or order is None:
                        self.refuse("comments", row["id"], "invalid", _("Unknown order or malformed id."))
                        continue
                    comment_add(actor=self.user, order_id=order.id, body=v["body"], owner_visible=v["owner_visible"],
                                now=self.now, sync_id=row["id"])
                else:
                    comment_edit(actor=self.user, comment_id=existing.id, body=v["body"],
                                 owner_visible=v["owner_visible"], now=self.now,
                                 merged=self._merged("comments", row["id"]), event_data=data)
            except AppError as exc:
                self.refuse("comments", row["id"], exc.code, _reason(exc))
                continue
            self.resend("comments", row["id"])
        known = self._known("comments", entry.get("deleted", []))
        for record_id in entry.get("deleted", []):
            if record_id in known:
                self.refuse("comments", record_id, "comments_are_kept",
                            _("Comments are part of the order's record; it comes back."), deleted=True)

    def parts(self, entry: dict[str, list[Any]]) -> None:
        for row in entry.get("created", []) + entry.get("updated", []):
            v = self.clean("part_usages", row)
            if v is None:
                continue
            existing = self.parts_by_id.get(row["id"])
            data = {"offline": True, "device": self.device.name}
            try:
                if existing is None:
                    order = self.order(v["work_order_id"])
                    if not is_sync_id(row["id"]) or order is None:
                        self.refuse("part_usages", row["id"], "invalid", _("Unknown order or malformed id."))
                        continue
                    part_add(actor=self.user, order_id=order.id, name=v["name"], quantity=v["quantity"],
                             unit_price_yuan=v["unit_price_yuan"], now=self.now, sync_id=row["id"])
                else:
                    part_edit(actor=self.user, part_id=existing.id, name=v["name"], quantity=v["quantity"],
                              unit_price_yuan=v["unit_price_yuan"], now=self.now,
                              merged=self._merged("part_usages", row["id"]), event_data=data)
            except AppError as exc:
                self.refuse("part_usages", row["id"], exc.code, _reason(exc))
                continue
            self.resend("part_usages", row["id"])
        known = self._known("part_usages", entry.get("deleted", []))
        for record_id in entry.get("deleted", []):
            part = self.parts_by_id.get(record_id) if record_id in known else None
            if part is None:
                self.held.get("part_usages", {}).pop(record_id, None)
                continue  # created and deleted offline (the server never saw it), or removed already
            try:
                part_remove(actor=self.user, part_id=part.id, now=self.now,
                            event_data={"offline": True, "device": self.device.name})
            except AppError as exc:
                self.refuse("part_usages", record_id, exc.code, _reason(exc), deleted=True)
                continue
            self.held.get("part_usages", {}).pop(record_id, None)
            self.dirty.add("part_usages")

    def profile(self, entry: dict[str, list[Any]]) -> None:
        mine = set(TechnicianProfile.objects.filter(user=self.user).values_list("sync_id", flat=True))
        for row in entry.get("created", []) + entry.get("updated", []):
            if row["id"] not in mine:
                self.refuse("technician_profiles", row["id"], "not_yours")
                continue
            v = self.clean("technician_profiles", row)
            if v is None:
                continue
            lat, lon = v["latitude"], v["longitude"]
            if lat is None or lon is None:
                lat = lon = None
            try:
                technician_status_update(actor=self.user, on_duty=v["on_duty"], latitude=lat, longitude=lon,
                                         now=self.now)
            except AppError as exc:
                self.refuse("technician_profiles", row["id"], exc.code, _reason(exc))
                continue
            self.resend("technician_profiles", row["id"])
        for record_id in entry.get("deleted", []):
            if record_id in mine:
                self.refuse("technician_profiles", record_id, "read_only",
                            _("The server keeps this record; it comes back."), deleted=True)

    def remember(self) -> None:
        """What the device now holds: every record this push wrote, refused or ignored is sent back by the next
        pull (see ``resend`` and ``restore``), so the phone replaces its copy with the server's."""
        device_state_save(device=self.device, state=self.held, tables=self.dirty)
        if self.merges:
            DeviceCursor.objects.filter(device=self.device).update(conflicts=[])


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
    try:
        with transaction.atomic():
            push = _Push(user=user, device=device, now=now,
                         sync=device_sync_open(device=device, presented=last_pulled_at, pull=False))
            push.check_conflicts(changes)
            push.prefetch(changes)
            for name in sorted((READ_ONLY | {"work_orders"}) & set(changes)):
                push.read_only(name, changes[name])
            push.replay_events(changes.get("work_order_events", {}))
            push.comments(changes.get("comments", {}))
            push.parts(changes.get("part_usages", {}))
            push.profile(changes.get("technician_profiles", {}))
            push.remember()
            result = {"ok": True, "events": push.events, "refused": push.refused, "replayed": False}
            PushReceipt.objects.create(device=device, batch_sha256=digest, result=result, created_at=now)
    except SyncConflict as conflict:
        # Remembered outside the rolled-back push: the device's next push of these records is a merge, and
        # the timeline says so.
        records = [f"{r['table']}:{r['id']}" for r in conflict.details.get("records", [])]
        if records:
            DeviceCursor.objects.filter(device=device).update(conflicts=records)
        raise
    return result
