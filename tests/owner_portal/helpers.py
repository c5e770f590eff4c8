"""A homeowner with a home, its QR code, and a browser session verified the way a phone does it."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from django.test import Client
from django.utils import timezone
from PIL import Image

from backend.notifications.models import Delivery
from backend.properties.qr import qr_token_ensure
from tests.factories import OwnershipFactory
from tests.workorders.world import two_sides


@dataclass
class Home:
    side: Any
    owner: Any
    unit: Any
    token: str


def home_with_owner(side: Any = None) -> tuple[Home, Home]:
    """Two homes (sides A and B of the shared world), each with an owner and an active QR code."""
    a, b = two_sides() if side is None else side
    homes = []
    for s in (a, b):
        ownership = OwnershipFactory(unit=s.unit)
        token = qr_token_ensure(unit=s.unit, now=timezone.now()).token
        homes.append(Home(side=s, owner=ownership.owner, unit=s.unit, token=token))
    return homes[0], homes[1]


def last_code(phone: str) -> str:
    delivery = Delivery.objects.filter(target_kind="sms", target_id=phone, event_type="sms.otp_code") \
        .order_by("-created_at").first()
    assert delivery is not None, "no code was sent"
    return str(delivery.payload["params"]["code"])


def verify(client: Client, token: str, phone: str) -> Any:
    url = f"/q/{token}/verify"
    client.post(url, {"action": "send", "phone": phone})
    return client.post(url, {"action": "check", "code": last_code(phone)})


def verified_client(home: Home) -> Client:
    client = Client()
    response = verify(client, home.token, home.owner.phone)
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def jpeg(width: int = 800, height: int = 600, color: tuple[int, int, int] = (200, 80, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "JPEG")
    return buffer.getvalue()


def invited_client(phone: str, invite_token: str) -> Client:
    """A browser that opened a handover invitation's link and verified the invited phone (``/portal/login``)."""
    client = Client()
    url = f"/portal/handover/{invite_token}"
    start = client.get(url)
    assert start.status_code == 302 and start["Location"].startswith("/portal/login?next=/portal/handover/")
    client.post("/portal/login", {"action": "send", "phone": phone, "next": url})
    done = client.post("/portal/login", {"action": "check", "code": last_code(phone), "next": url})
    assert done.status_code == 302 and done["Location"] == url, done.content[:300]
    return client
