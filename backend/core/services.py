from __future__ import annotations

import socket
from datetime import datetime

from backend.core.models import Heartbeat

BEAT = "beat"


def heartbeat_record(*, name: str, now: datetime) -> Heartbeat:
    beat, _ = Heartbeat.objects.update_or_create(name=name, defaults={"last_seen_at": now, "host": socket.gethostname()})
    return beat
