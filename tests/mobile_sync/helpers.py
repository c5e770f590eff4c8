"""A minimal WatermelonDB-like client: pulls, keeps a local copy, records offline changes, pushes."""

from __future__ import annotations

import json
import secrets
import string
from dataclasses import dataclass, field
from typing import Any

from django.test import Client
from django.utils import timezone

from backend.accounts import services as account_services

ALPHABET = string.digits + string.ascii_letters


def client_id() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(16))


@dataclass
class Device:
    user: Any
    name: str = "phone"
    token: str = ""
    last_pulled_at: int | None = None
    db: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    outbox: dict[str, dict[str, list[Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _row, self.token = account_services.device_token_issue(user=self.user, name=self.name, now=timezone.now())

    @property
    def auth(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"}

    def pull_raw(self, last_pulled_at: Any = "keep") -> Any:
        cursor = self.last_pulled_at if last_pulled_at == "keep" else last_pulled_at
        query = f"?last_pulled_at={'null' if cursor is None else cursor}&schema_version=1&migration=null"
        return Client().get(f"/api/v1/sync/pull{query}", **self.auth)

    def pull(self, *, lose: bool = False) -> dict[str, Any]:
        """WatermelonDB's pull; ``lose``: the server answers, the answer never reaches the phone."""
        response = self.pull_raw()
        assert response.status_code == 200, response.content
        body = response.json()
        if lose:
            return body
        return self.apply_pull(body)

    def apply_pull(self, body: dict[str, Any]) -> dict[str, Any]:
        """What WatermelonDB does with a pull's answer."""
        for table, entry in body["changes"].items():
            rows = self.db.setdefault(table, {})
            local = self.outbox.get(table, {})
            pending = {r["id"] for r in local.get("created", []) + local.get("updated", [])}
            deleted = local.get("deleted", [])
            for row in entry["created"]:
                if row["id"] in deleted:  # WatermelonDB drops the local delete and re-creates the record
                    deleted.remove(row["id"])
                if row["id"] not in pending:  # locally changed columns win until pushed
                    rows[row["id"]] = row
            for row in entry["updated"]:
                if row["id"] not in pending and row["id"] not in deleted:  # a local delete is pushed later
                    rows[row["id"]] = row
            for record_id in entry["deleted"]:
                rows.pop(record_id, None)
        assert body["timestamp"] >= (self.last_pulled_at or 0)
        self.last_pulled_at = body["timestamp"]
        return body

    def delete(self, table: str, record_id: str) -> None:
        """A local delete (a bug in an app, a user's swipe): pushed in ``deleted``."""
        self.db.get(table, {}).pop(record_id, None)
        self.outbox.setdefault(table, {"created": [], "updated": [], "deleted": []})["deleted"].append(record_id)

    def holds(self) -> dict[str, dict[str, dict[str, Any]]]:
        """The local rows, without WatermelonDB's bookkeeping."""
        return {t: {i: {k: v for k, v in r.items() if not k.startswith("_")} for i, r in rows.items()}
                for t, rows in self.db.items() if rows}

    def record(self, table: str, row: dict[str, Any], kind: str = "created") -> dict[str, Any]:
        self.db.setdefault(table, {})[row["id"]] = row
        self.outbox.setdefault(table, {"created": [], "updated": [], "deleted": []})[kind].append(row)
        return row

    def push_raw(self, changes: dict[str, Any] | None = None, last_pulled_at: Any = "keep") -> Any:
        changes = changes if changes is not None else self.outbox
        cursor = self.last_pulled_at if last_pulled_at == "keep" else last_pulled_at
        body = {"changes": changes, "last_pulled_at": cursor}
        return Client().post(f"/api/v1/sync/push?last_pulled_at={cursor}", data=json.dumps(body),
                             content_type="application/json", **self.auth)

    def push(self, *, lose: bool = False) -> Any:
        """``lose``: the server applies the batch, its answer never reaches the phone (which keeps its outbox)."""
        response = self.push_raw()
        if response.status_code == 200 and not lose:
            self.outbox = {}
        return response

    def sync(self) -> Any:
        """synchronize(): pull, then push; on 409 the app calls it again."""
        for _attempt in range(3):
            self.pull()
            response = self.push()
            if response.status_code != 409:
                return response
        return response

    def event(self, order_id: str, frm: str, to: str, **extra: Any) -> dict[str, Any]:
        return self.record("work_order_events", {"id": client_id(), "work_order_id": order_id, "from_state": frm,
                                                 "to_state": to, "device_at": int(timezone.now().timestamp() * 1000),
                                                 "note": extra.pop("note", ""), "status": "pending", "reason": None,
                                                 "server_at": None, "_status": "created", "_changed": "", **extra})


def another_order(side: Any, technician: Any | None = None) -> Any:
    """One more order on a new unit of the side's project, assigned to ``technician`` (the side's by default)."""
    from backend.workorders.actors import Actor
    from backend.workorders.dispatch import routing as dispatch
    from backend.workorders.services import order_intake
    from tests.factories import UnitFactory

    unit = UnitFactory(building__project=side.project)
    order = order_intake(actor=Actor(user=side.agent), channel="phone", category_code="drainage",
                         description="卫生间漏水", contact_name="李先生", contact_phone="13900139000",
                         now=timezone.now(), unit_id=unit.id, route_now=False).order
    return dispatch.order_assign(actor=side.dispatcher, order_id=order.id,
                                 technician_id=(technician or side.technician).id, reason="派单", now=timezone.now())


def second_technician(side: Any) -> Any:
    from decimal import Decimal

    from backend.accounts.models import TechnicianProfile
    from backend.accounts.roles import Role
    from tests.factories import user_with_roles

    tech = user_with_roles(Role.TECHNICIAN)
    TechnicianProfile.objects.create(user=tech, skills={"plumbing": 2}, on_duty=True,
                                     last_latitude=Decimal("30.2"), last_longitude=Decimal("120.1"))
    side.team.members.add(tech)
    return tech


def server_view(user: Any) -> dict[str, dict[str, dict[str, Any]]]:
    """What a fresh device of ``user`` would hold: the truth the others must converge to."""
    fresh = Device(user, name=f"fresh-{client_id()}")
    fresh.pull()
    return fresh.holds()
