"""A technician's phone speaking the upload protocol through the real API, and photos to send."""

from __future__ import annotations

import hashlib
import io
import json
import random
import secrets
import string
from dataclasses import dataclass, field
from typing import Any

from django.test import Client
from django.utils import timezone
from PIL import Image

from backend.accounts import services as account_services
from backend.accounts.models import DeviceToken

URL = "/api/v1/sync/uploads"
ALPHABET = string.ascii_letters + string.digits


def new_client_id() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(16))


def noise(seed: int, width: int = 96, height: int = 64) -> Image.Image:
    return Image.frombytes("RGB", (width, height), random.Random(seed).randbytes(width * height * 3))


def random_jpeg(seed: int, width: int = 96, height: int = 64) -> bytes:
    """Noise compresses badly, so every seed gives a different file of a few kilobytes."""
    buffer = io.BytesIO()
    noise(seed, width, height).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def png_bomb() -> bytes:
    """A small PNG file that declares 20000 x 20000 pixels."""
    buffer = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Phone:
    user: Any
    name: str = "phone"
    token: DeviceToken = field(init=False)
    headers: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.token, raw = account_services.device_token_issue(user=self.user, name=self.name, now=timezone.now())
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
        self.client = Client()

    def create(self, order_id: Any, data: bytes, *, client_id: str | None = None, **overrides: Any) -> Any:
        body = {"client_id": client_id or new_client_id(), "order_id": str(order_id), "size": len(data),
                "sha256": sha256(data), "filename": "漏水.jpg", "owner_visible": True, **overrides}
        return self.client.post(URL, data=json.dumps(body), content_type="application/json", **self.headers)

    def put(self, upload_id: Any, offset: int, chunk: bytes, *, via_query: bool = False,
            content_type: str = "application/octet-stream") -> Any:
        if via_query:
            return self.client.put(f"{URL}/{upload_id}?offset={offset}", data=chunk, content_type=content_type,
                                   **self.headers)
        return self.client.put(f"{URL}/{upload_id}", data=chunk, content_type=content_type,
                               HTTP_UPLOAD_OFFSET=str(offset), **self.headers)

    def get(self, upload_id: Any) -> Any:
        return self.client.get(f"{URL}/{upload_id}", **self.headers)

    def complete(self, upload_id: Any) -> Any:
        return self.client.post(f"{URL}/{upload_id}/complete", **self.headers)

    def send(self, upload_id: Any, data: bytes, chunk_bytes: int, *, start: int = 0) -> None:
        """Sends ``data[start:]`` in chunks, asserting every chunk is taken."""
        offset = start
        while offset < len(data):
            response = self.put(upload_id, offset, data[offset:offset + chunk_bytes])
            assert response.status_code == 200, response.content
            offset = response.json()["offset"]
