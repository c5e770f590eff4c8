"""A WebSocket that proves the ASGI stack and the channel layer work end to end."""

from __future__ import annotations

import json
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer


class PingConsumer(AsyncJsonWebsocketConsumer):
    """Answers ``{"type": "ping"}`` with ``{"type": "pong"}`` after a round trip through the channel layer."""

    async def connect(self) -> None:
        self.group = f"ping.{self.channel_name.replace('!', '_')}"[:99]
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict) or content.get("type") != "ping":
            await self.send_json({"type": "error", "code": "unknown_message"})
            return
        await self.channel_layer.group_send(self.group, {"type": "relay.pong", "echo": content.get("echo")})

    async def relay_pong(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "pong", "echo": event.get("echo"), "via": "channel_layer"})

    @classmethod
    async def decode_json(cls, text_data: str) -> Any:
        try:
            return json.loads(text_data)
        except ValueError:
            return None
