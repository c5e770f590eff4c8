"""The console's writes: compositions of the work-order services, in one transaction each."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from backend.workorders import services
from backend.workorders.models import WorkOrder


def order_merge(*, actor: Any, order_id: UUID, into_number: str, now: datetime) -> WorkOrder:
    """Merges a duplicate into an open order of the same place (the work-order service does it)."""
    return services.order_merge_duplicate(actor=actor, order_id=order_id, into_number=into_number, now=now)
