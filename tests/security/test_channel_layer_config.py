from __future__ import annotations

from channels_redis.core import RedisChannelLayer

from backend.config.settings.base import redis_channel_layer


def test_the_redis_socket_timeout_outlasts_the_channel_layers_blocking_pop():
    host = redis_channel_layer("redis://:secret@redis:6379/0")["CONFIG"]["hosts"][0]  # type: ignore[index]
    assert host["socket_timeout"] >= 3 * RedisChannelLayer.brpop_timeout
    assert host["socket_keepalive"] is True


def test_the_health_probe_reports_a_channel_layer_that_never_delivers_as_down_instead_of_hanging(monkeypatch):
    import asyncio

    from backend.core import selectors

    class SilentLayer:
        async def new_channel(self, prefix: str) -> str:
            return prefix + "x"

        async def send(self, channel: str, message: dict) -> None:
            return None

        async def receive(self, channel: str) -> dict:
            await asyncio.Event().wait()  # never delivers
            return {}

    monkeypatch.setattr(selectors, "get_channel_layer", lambda: SilentLayer())
    monkeypatch.setattr(selectors, "CHANNEL_ROUNDTRIP_SECONDS", 0.05)
    assert selectors._check_channel_layer()["status"] == "down"
