"""Publishing from the rules pages: the version row (``backend.rulesets``) and, when the
administrator asks for it, the open orders moved onto the new version, all in one transaction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from django.db import transaction

from backend.accounts.models import User
from backend.rulesets.models import RuleVersion
from backend.rulesets.services import version_publish, version_restore
from backend.workorders.models import WorkOrder
from backend.workorders.services import sla_rebase
from backend.workorders.states import OPEN_STATES


def _rebase_open_orders(*, row: RuleVersion, now: datetime) -> int:
    moved_orders = 0
    # Locked in id order (the fixed order every multi-row lock of orders uses).
    for order in WorkOrder.objects.select_for_update().filter(state__in=OPEN_STATES).order_by("id"):
        if order.definitions_version == row.content_hash:
            continue
        if sla_rebase(order=order, version=row.content_hash, version_number=row.number, now=now):
            moved_orders += 1
    RuleVersion.objects.filter(id=row.id).update(recomputed_open_orders=moved_orders)
    row.recomputed_open_orders = moved_orders
    return moved_orders


def rules_publish(*, actor: User, sources: Mapping[str, str], note: str, expected_live: int | None,
                  recompute_open: bool, now: datetime, draft_id: int | None = None) -> RuleVersion:
    with transaction.atomic():
        row = version_publish(actor=actor, sources=sources, note=note, expected_live=expected_live, now=now,
                              draft_id=draft_id)
        if recompute_open:
            _rebase_open_orders(row=row, now=now)
    return row


def rules_restore(*, actor: User, number: int, note: str, expected_live: int | None, recompute_open: bool,
                  now: datetime) -> RuleVersion:
    """Rollback to version ``number``: a publish of its files."""
    with transaction.atomic():
        row = version_restore(actor=actor, number=number, note=note, expected_live=expected_live, now=now)
        if recompute_open:
            _rebase_open_orders(row=row, now=now)
    return row
