"""The grab pool over Channels: a lead offered on a Saturday reaches every on-duty consultant's socket with its
countdown; the take by one is pushed to the others; a countdown that ends untaken is pushed as expired; a
consultant of another project hears nothing. Runs on the channel layer the settings name (Redis in CI when
REDIS_URL is set, the in-memory layer otherwise)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from backend.accounts import services as account_services
from backend.config.asgi import application
from backend.crm import services
from tests.crm.world import SATURDAY, office

pytestmark = pytest.mark.django_db(transaction=True)
HEADERS = [(b"host", b"127.0.0.1"), (b"origin", b"http://127.0.0.1")]
S = timedelta(seconds=1)


def _token(user) -> str:
    return account_services.device_token_issue(user=user, name="ws-grabs", now=timezone.now())[1]


def _world():
    o = office(consultants=2)
    other = office(consultants=1, units=0)
    return o, other, {"alice": _token(o.alice), "bob": _token(o.bob), "other": _token(other.alice)}


def _phone_lead(o, at):
    return services.lead_create(actor=o.manager, project_id=o.project.id, name="周末来电", phone="13800001234",
                                channel="phone", consent=True, now=at).customer


async def _open(project_id, token: str) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(application, f"/ws/crm/projects/{project_id}/grabs?token={token}", headers=HEADERS)
    connected, code = await socket.connect(timeout=10)
    assert connected, code
    assert (await socket.receive_json_from(timeout=10))["type"] == "hello"
    return socket


async def _next_offer_message(socket: WebsocketCommunicator) -> dict:
    """The next grab-pool message (the bell's notifications share the user's socket)."""
    while True:
        message = await socket.receive_json_from(timeout=10)
        if message["type"].startswith("offer."):
            return message


async def test_a_grab_offer_reaches_the_connected_consultants_and_the_take_by_another_is_pushed():
    o, other, tokens = await sync_to_async(_world)()
    alice, bob = await _open(o.project.id, tokens["alice"]), await _open(o.project.id, tokens["bob"])
    outsider = await _open(other.project.id, tokens["other"])

    lead = await sync_to_async(_phone_lead)(o, SATURDAY)
    for socket in (alice, bob):
        offered = await _next_offer_message(socket)
        assert offered == {"type": "offer.created", "customer_id": str(lead.id), "project_id": str(o.project.id),
                           "name": "周末来电", "expires_at": (SATURDAY + 15 * S).isoformat()}

    await sync_to_async(services.lead_grab)(actor=o.bob, customer_id=lead.id, now=SATURDAY + 4 * S)
    for socket in (alice, bob):
        taken = await _next_offer_message(socket)
        assert taken == {"type": "offer.taken", "customer_id": str(lead.id), "project_id": str(o.project.id),
                         "by": str(o.bob.id)}
    assert await outsider.receive_nothing(timeout=0.5)
    for socket in (alice, bob, outsider):
        await socket.disconnect()


async def test_a_countdown_that_ends_untaken_is_pushed_as_expired_to_everyone_offered():
    o, _other, tokens = await sync_to_async(_world)()
    alice, bob = await _open(o.project.id, tokens["alice"]), await _open(o.project.id, tokens["bob"])
    lead = await sync_to_async(_phone_lead)(o, SATURDAY)
    for socket in (alice, bob):
        assert (await _next_offer_message(socket))["type"] == "offer.created"

    assert await sync_to_async(services.grab_fallback_due)(now=SATURDAY + 15 * S) == 1
    for socket in (alice, bob):
        assert await _next_offer_message(socket) == {"type": "offer.expired", "customer_id": str(lead.id),
                                                      "project_id": str(o.project.id)}
    for socket in (alice, bob):
        await socket.disconnect()
