from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status
from pydantic import Field

router = Router(tags=["system"])


class HealthOut(Schema):
    status: str = Field(examples=["ok"])
    components: dict[str, dict[str, Any]]
    warnings: list[dict[str, Any]]
    checked_at: str


@router.get("/health", auth=None, response={200: HealthOut, 503: HealthOut}, summary="Health of every component")
def health(request: HttpRequest):  # type: ignore[no-untyped-def]
    """Database, channel layer, Celery broker and the beat heartbeat (which also proves a worker runs).
    503 when any component is down; `warnings` lists conditions that need an administrator
    (e.g. a year without official holiday data)."""
    from backend.core.selectors import health_report

    report = health_report(now=timezone.now())
    return Status(200 if report["status"] == "ok" else 503, report)
