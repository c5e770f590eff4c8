"""Authorization of the handover pages (``/handover/...``) and the owner's handover pages
(``/portal/handover/<invite_token>...``).

Staff: the handover officer works every page (administrators too); engineering managers and the
director read the batches, the schedule and a unit's page and are refused every write (403); a
technician, a sales consultant and a customer-service agent are refused everything; an unknown batch,
unit or checklist line is 404. Owners: only the phone the invitation was texted to opens it; another
invited owner gets 404 and a staff session without a verified phone is sent to verify."""

from __future__ import annotations

import base64
import io
import uuid
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from backend.accounts.roles import Role
from backend.handover import services
from backend.handover.models import Item
from tests.authz.framework import PageCase, PageScenario
from tests.factories import user_with_roles
from tests.handover.world import invite_all, png, site
from tests.owner_portal.helpers import invited_client

CASES: list = []  # no API operations


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _staff(*roles: str) -> Client:
    return _client(user_with_roles(*roles))


def _refused(*, write: bool) -> list[tuple[str, Client]]:
    refused = [("technician", _staff(Role.TECHNICIAN)), ("sales", _staff(Role.SALES)),
               ("customer service", _staff(Role.CUSTOMER_SERVICE))]
    if write:
        refused.append(("engineering manager (reads only)", _staff(Role.ENGINEERING_MANAGER)))
    return refused


def _started(s: Any) -> Item:
    item = invite_all(s)[0]
    services.inspection_start(actor=s.officer, item_id=item.id, now=timezone.now())
    return Item.objects.get(id=item.id)


def _plain(url: str, *, reader: bool = True) -> Any:
    def make() -> PageScenario:
        s = site()
        allowed = _staff(Role.ENGINEERING_MANAGER) if reader else _client(s.officer)
        return PageScenario(urls=[url], allowed=allowed, refused=_refused(write=False))
    return make


def _batch_new() -> PageScenario:
    s = site()
    data = {"name": "二期交付", "building_id": str(s.building.id), "start_date": "2026-04-01", "end_date": "2026-04-03"}
    return PageScenario(urls=["/handover/batches"], allowed=_client(s.officer), refused=_refused(write=True), data=data)


def _batch(suffix: str = "", *, data: dict[str, Any] | None = None, write: bool = False) -> Any:
    def make() -> PageScenario:
        s = site()
        invite_all(s)
        return PageScenario(urls=[f"/handover/batches/{s.batch.id}{suffix}"], allowed=_client(s.officer),
                            refused=_refused(write=write), data=data,
                            hidden=[("officer, unknown batch", _client(s.officer),
                                     f"/handover/batches/{uuid.uuid4()}{suffix}")])
    return make


class _Upload(io.BytesIO):
    """A file the test client can post more than once (each refused caller, then the allowed one)."""

    def __init__(self, content: bytes, name: str) -> None:
        super().__init__(content)
        self.name = name

    def read(self, size: int | None = -1) -> bytes:
        self.seek(0)
        return super().read()


def _batch_import() -> PageScenario:
    s = site()
    csv = "房号,手机号,买受人\n101,13900001111,张三\n".encode()
    return PageScenario(urls=[f"/handover/batches/{s.batch.id}/import"], allowed=_client(s.officer),
                        refused=_refused(write=True), data={"file": _Upload(csv, "units.csv")},
                        hidden=[("officer, unknown batch", _client(s.officer),
                                 f"/handover/batches/{uuid.uuid4()}/import")])


def _slot_data() -> dict[str, Any]:
    starts = timezone.localtime(timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT10:00")
    return {"starts_at": starts, "minutes": "60", "capacity": "3"}


def _item(suffix: str = "", *, data: Any = None, write: bool = True, state: str = "invited") -> Any:
    def make() -> PageScenario:
        s = site()
        if state == "invited":
            item = invite_all(s)[0]
        else:
            item = _started(s)
            if state == "signed":
                services.inspection_sign(actor=s.officer, item_id=item.id, signature_png=png(), now=timezone.now())
        path = suffix.format(line=item.inspection.lines.first().id) if "{line}" in suffix else suffix
        body = data(item) if callable(data) else data
        return PageScenario(urls=[f"/handover/items/{item.id}{path}"], allowed=_client(s.officer),
                            refused=_refused(write=write), data=body,
                            hidden=[("officer, unknown unit", _client(s.officer),
                                     f"/handover/items/{uuid.uuid4()}{path}")])
    return make


def _line_hidden() -> PageScenario:
    """A checklist line of another unit's inspection, named under this unit: 404."""
    s = site()
    mine, theirs = invite_all(s)[:2]
    for item in (mine, theirs):
        services.inspection_start(actor=s.officer, item_id=item.id, now=timezone.now())
    line = Item.objects.get(id=mine.id).inspection.lines.first()
    other = Item.objects.get(id=theirs.id).inspection.lines.first()
    return PageScenario(urls=[f"/handover/items/{mine.id}/lines/{line.id}/ok"], allowed=_client(s.officer),
                        refused=_refused(write=True),
                        hidden=[("officer, another unit's line", _client(s.officer),
                                 f"/handover/items/{mine.id}/lines/{other.id}/ok")])


SIGNATURE = {"signature": "data:image/png;base64," + base64.b64encode(png()).decode()}


def _portal(suffix: str = "", *, book: bool = False) -> Any:
    def make() -> PageScenario:
        s = site()
        mine, theirs = invite_all(s)[:2]
        seat = services.slot_add(actor=s.officer, batch_id=s.batch.id, starts_at=timezone.now() + timedelta(days=2),
                                 minutes=60, capacity=2)
        client, other = invited_client(mine.phone, mine.invite_token), invited_client(theirs.phone, theirs.invite_token)
        url = f"/portal/handover/{mine.invite_token}{suffix}"
        return PageScenario(urls=[url], allowed=client, data={"slot_id": str(seat.id)} if book else None,
                            refused=[("a signed-in staff member (no verified phone)", _client(s.officer))],
                            hidden=[("another invited owner", other, url),
                                    ("this owner, a forged invitation", client, f"/portal/handover/forged{suffix}")])
    return make


PAGE_CASES: list[PageCase] = [
    PageCase("GET", "handover/", make=_plain("/handover/")),
    PageCase("POST", "handover/batches", make=_batch_new),
    PageCase("GET", "handover/batches/<uuid:batch_id>", make=_batch()),
    PageCase("POST", "handover/batches/<uuid:batch_id>/from-crm", make=_batch("/from-crm", write=True)),
    PageCase("POST", "handover/batches/<uuid:batch_id>/invite", make=_batch("/invite", write=True)),
    PageCase("POST", "handover/batches/<uuid:batch_id>/import", make=_batch_import),
    PageCase("POST", "handover/batches/<uuid:batch_id>/slots", make=_batch("/slots", data=_slot_data(), write=True)),
    PageCase("GET", "handover/schedule", make=_plain("/handover/schedule")),
    PageCase("GET", "handover/items/<uuid:item_id>", make=_item(write=False)),
    PageCase("POST", "handover/items/<uuid:item_id>/start", make=_item("/start")),
    PageCase("POST", "handover/items/<uuid:item_id>/lines/<int:line_id>/ok", make=_line_hidden),
    PageCase("POST", "handover/items/<uuid:item_id>/defects",
             make=_item("/defects", state="started", data={"category_code": "wall-paint", "description": "墙面开裂"})),
    PageCase("POST", "handover/items/<uuid:item_id>/sign", make=_item("/sign", state="started", data=SIGNATURE)),
    PageCase("POST", "handover/items/<uuid:item_id>/keys",
             make=_item("/keys", state="started", data={"key_door": "2", "reading_water": "3.5"})),
    PageCase("POST", "handover/items/<uuid:item_id>/complete", make=_item("/complete", state="signed")),
    PageCase("POST", "handover/items/<uuid:item_id>/refuse",
             make=_item("/refuse", state="started", data={"reasons": ["defects"], "note": "漏水"})),
    PageCase("GET", "portal/handover/<str:invite_token>", make=_portal()),
    PageCase("POST", "portal/handover/<str:invite_token>/book", make=_portal("/book", book=True)),
]

__all__ = ["CASES", "PAGE_CASES"]
