from __future__ import annotations

from channels_redis.core import RedisChannelLayer

from backend.config.settings.base import redis_channel_layer


def test_the_redis_socket_timeout_outlasts_the_channel_layers_blocking_pop():
    host = redis_channel_layer("redis://:secret@redis:6379/0")["CONFIG"]["hosts"][0]  # type: ignore[index]
    assert host["socket_timeout"] >= 3 * RedisChannelLayer.brpop_timeout
    assert host["socket_keepalive"] is True
