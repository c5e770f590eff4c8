"""The private and public pools: claims (cap, cooldown, daily cap; race-free), release, transfers, and the
continuous recycling sweep with its warning and the three alert levels."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from backend.accounts.roles import Role
from backend.core.dates import business_date
from backend.core.errors import NotFound, ValidationFailed
from backend.crm.access import access_customer, ensure_crm, ensure_manager_of
from backend.crm.errors import AlreadyHeld, Cooldown, DailyClaimCap, PoolLimit, Protected
from backend.crm.models import (
    AlertLevel,
    ClaimKind,
    CrmAlert,
    Customer,
    CustomerEvent,
    EventKind,
    HoldLog,
    PoolSettings,
    Seat,
)
from backend.crm.services.clock import hold, pool_settings, unhold
from backend.crm.states import Stage

TAKE_KINDS = (ClaimKind.CLAIM, ClaimKind.GRAB)
LOSE_KINDS = (ClaimKind.RELEASE, ClaimKind.RECYCLE, ClaimKind.TRANSFER_OUT)


def _lock_seat(user: Any, project_id: Any) -> Seat:
    """Every take of one consultant in one project queues on their seat row: the caps hold under concurrency."""
    seat = Seat.objects.select_for_update().filter(user=user, project_id=project_id).first()
    if seat is None:
        raise NotFound(details={"object": "seat"})
    return seat


def check_may_take(*, user: Any, customer: Customer, settings_row: PoolSettings, now: datetime,
                   count_daily: bool = True) -> None:
    held = Customer.objects.filter(project_id=customer.project_id, holder=user, merged_into__isnull=True).count()
    if held >= settings_row.max_customers:
        raise PoolLimit(details={"held": held, "limit": settings_row.max_customers})
    if count_daily:
        today = HoldLog.objects.filter(consultant=user, kind__in=TAKE_KINDS, business_date=business_date(now),
                                       customer__project_id=customer.project_id).count()
        if today >= settings_row.daily_claim_cap:
            raise DailyClaimCap(details={"today": today, "limit": settings_row.daily_claim_cap})
    last_lost = HoldLog.objects.filter(customer=customer, consultant=user, kind__in=LOSE_KINDS).order_by(
        "-at").values_list("at", flat=True).first()
    if last_lost is not None and now < last_lost + timedelta(days=settings_row.cooldown_days):
        until = last_lost + timedelta(days=settings_row.cooldown_days)
        raise Cooldown(details={"until": until.isoformat()})


def customer_claim(*, actor: Any, customer_id: Any, now: datetime) -> Customer:
    """A consultant takes a customer from the public pool. Two claiming at once: one wins (a conditional
    update on ``holder IS NULL``), the other gets 409. Clock: starts from ``now``, protected for the
    project's protection period."""
    ensure_crm(actor, (Role.SALES,))
    with transaction.atomic():
        customer = access_customer(actor, customer_id)
        settings_row = pool_settings(customer.project_id)
        _lock_seat(actor, customer.project_id)
        if customer.holder_id is not None or customer.grab_expires_at is not None:
            raise AlreadyHeld()
        check_may_take(user=actor, customer=customer, settings_row=settings_row, now=now)
        won = Customer.objects.filter(id=customer.id, holder__isnull=True, grab_expires_at__isnull=True,
                                      merged_into__isnull=True).update(holder=actor, held_since=now)
        if won != 1:
            raise AlreadyHeld()
        customer.refresh_from_db()
        hold(customer, settings_row, consultant_id=actor.id, kind=ClaimKind.CLAIM, actor=actor, now=now)
        return customer


def customer_release(*, actor: Any, customer_id: Any, reason: str, now: datetime) -> Customer:
    """The holder gives the customer back to the public pool. Clock: stopped; the holder's cooldown starts."""
    ensure_crm(actor, (Role.SALES,))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(details={"errors": [{"field": "reason", "reason": _("Say why you release the customer.")}]})
    with transaction.atomic():
        customer = access_customer(actor, customer_id, for_update=True)
        if customer.holder_id != actor.id:
            raise NotFound(details={"object": "customer"})
        unhold(customer, kind=ClaimKind.RELEASE, actor=actor, now=now, params={"reason": reason[:200]})
        return customer


def customers_transfer(*, actor: Any, customer_ids: list[Any], to_user_id: Any, now: datetime) -> list[Customer]:
    """A manager moves customers (one or many) to a consultant of the project, in id order. Clock: restarts
    from ``now`` for the new holder, with a fresh protection; the daily claim cap does not apply (not a
    claim), the pool limit does; the former holder's cooldown starts."""
    ensure_crm(actor, (Role.SALES, Role.ADMINISTRATOR))
    if not customer_ids or len(customer_ids) > 500:
        raise ValidationFailed(details={"errors": [{"field": "customer_ids", "reason": _("Choose 1 to 500 customers.")}]})
    moved: list[Customer] = []
    with transaction.atomic():
        for customer_id in sorted({str(c) for c in customer_ids}):
            customer = access_customer(actor, customer_id, for_update=True)
            ensure_manager_of(actor, customer.project_id)
            settings_row = pool_settings(customer.project_id)
            target = _lock_seat(to_user_id, customer.project_id).user
            if customer.holder_id == target.id:
                continue
            check_may_take(user=target, customer=customer, settings_row=settings_row, now=now, count_daily=False)
            if customer.holder_id is not None:
                HoldLog.objects.create(customer=customer, consultant_id=customer.holder_id,
                                       kind=ClaimKind.TRANSFER_OUT, at=now, business_date=business_date(now))
            hold(customer, settings_row, consultant_id=target.id, kind=ClaimKind.TRANSFER_IN, actor=actor, now=now,
                 params={"from": str(customer.holder_id) if customer.holder_id else None})
            moved.append(customer)
    return moved


# --- the continuous sweep (beat, every minute) ------------------------------------------------------------

# One statement per batch on PostgreSQL: claim the due rows (SKIP LOCKED), clear them, and write their
# hold-log and timeline rows from what the UPDATE returned. tests/crm/test_races_postgres.py compares it
# with the ORM version below (the embedded SQLite database has no data-modifying CTEs).
RECYCLE_SQL = """
WITH due AS (
  SELECT id, holder_id, last_activity_at FROM crm_customer
  WHERE holder_id IS NOT NULL AND recycle_due_at <= %(now)s AND merged_into_id IS NULL
  ORDER BY recycle_due_at LIMIT %(batch)s FOR UPDATE SKIP LOCKED
), cleared AS (
  UPDATE crm_customer c SET holder_id = NULL, held_since = NULL, protected_until = NULL, recycle_due_at = NULL,
    warn_at = NULL, warned_at = NULL
  FROM due WHERE c.id = due.id
  RETURNING due.id, due.holder_id, due.last_activity_at
), logged AS (
  INSERT INTO crm_holdlog (customer_id, consultant_id, kind, at, business_date)
  SELECT id, holder_id, 'recycle', %(now)s, %(day)s FROM cleared
)
INSERT INTO crm_customerevent (customer_id, kind, actor_id, at, from_stage, to_stage, params)
SELECT id, 'recycled', NULL, %(now)s, '', '',
       jsonb_build_object('former', holder_id::text, 'quiet_since', last_activity_at)
FROM cleared
"""

# Rows per recycling statement on PostgreSQL. bench/pool_recycle_vs_update.py measured 20 000 due rows in
# one batch at 2.96x a bare UPDATE (5 000 gave 3.28x: more round trips, same rows), and one statement
# holds its row locks only for that statement, so the beat sweep uses the measured size.
RECYCLE_BATCH = 20_000
# The ORM path (the embedded database) sends the ids as bound parameters; 1 000 keeps it well under
# SQLite's host-parameter limit and its bulk_create batches small.
ORM_BATCH = 1_000


def recycle_due(*, now: datetime, batch: int | None = None) -> int:
    """Returns every held customer whose clock ran out to the public pool, in batches claimed with
    ``SKIP LOCKED`` (a second sweep running at once takes other rows, none twice). Writes the event and the
    hold-log rows that the cooldown reads."""
    from django.db import connection

    if connection.vendor == "postgresql":
        batch = batch or RECYCLE_BATCH
        total = 0
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(RECYCLE_SQL, {"now": now, "batch": batch, "day": business_date(now)})
                done = cursor.rowcount
            total += done
            if done < batch:
                return total
    return recycle_due_orm(now=now, batch=batch or ORM_BATCH)


def recycle_due_orm(*, now: datetime, batch: int = ORM_BATCH) -> int:
    """The same sweep through the ORM (the embedded database; the reference the SQL is tested against)."""
    total = 0
    while True:
        with transaction.atomic():
            rows = list(Customer.objects.select_for_update(skip_locked=True)
                        .filter(holder__isnull=False, recycle_due_at__lte=now, merged_into__isnull=True)
                        .order_by("recycle_due_at").values_list("id", "holder_id", "last_activity_at")[:batch])
            if not rows:
                return total
            ids = [r[0] for r in rows]
            Customer.objects.filter(id__in=ids).update(holder=None, held_since=None, protected_until=None,
                                                       recycle_due_at=None, warn_at=None, warned_at=None)
            day = business_date(now)
            HoldLog.objects.bulk_create([HoldLog(customer_id=cid, consultant_id=holder, kind=ClaimKind.RECYCLE,
                                                 at=now, business_date=day) for cid, holder, _last in rows])
            CustomerEvent.objects.bulk_create([
                CustomerEvent(customer_id=cid, kind=EventKind.RECYCLED, at=now,
                              params={"former": str(holder), "quiet_since": last.isoformat()})
                for cid, holder, last in rows])
            total += len(rows)
            if len(rows) < batch:
                return total


def warn_due(*, now: datetime, batch: int = ORM_BATCH) -> int:
    """The warning before recycling ("returns in 2 days"), once per clock: a conditional update claims the
    rows, then one alert row each for the holder."""
    total = 0
    while True:
        with transaction.atomic():
            rows = list(Customer.objects.select_for_update(skip_locked=True)
                        .filter(holder__isnull=False, warned_at__isnull=True, warn_at__lte=now,
                                recycle_due_at__gt=now)
                        .values_list("id", "holder_id", "last_activity_at", "recycle_due_at")[:batch])
            if not rows:
                return total
            Customer.objects.filter(id__in=[r[0] for r in rows], warned_at__isnull=True).update(warned_at=now)
            alerts = CrmAlert.objects.bulk_create([
                CrmAlert(customer_id=cid, level=AlertLevel.WARNING, since=last, fired_at=now, recipients=[str(holder)],
                         params={"recycle_due_at": due.isoformat() if due else None})
                for cid, holder, last, due in rows], ignore_conflicts=True)
            notify_alerts(alerts, now=now)
            total += len(rows)
            if len(rows) < batch:
                return total


def alerts_due(*, now: datetime) -> int:
    """Blue, yellow and red (forced: 48 h by default, to the consultant and the managers): a held customer in
    an open stage without a follow-up for the level's hours. Each fires once per quiet spell (the unique
    constraint on customer, level and the last activity it measured)."""
    fired = 0
    open_stages = [Stage.LEAD, Stage.CONTACTED, Stage.SHOWING, Stage.INTENT]
    for settings_row in PoolSettings.objects.all():
        hours = dict(settings_row.alert_hours or {})
        hours.setdefault("red", 48)
        managers = [str(u) for u in Seat.objects.filter(project_id=settings_row.project_id, is_manager=True)
                    .values_list("user_id", flat=True)]
        for level in (AlertLevel.BLUE, AlertLevel.YELLOW, AlertLevel.RED):
            if hours.get(level) is None:
                continue
            threshold = now - timedelta(hours=int(hours[level]))
            quiet = (Customer.objects.filter(project_id=settings_row.project_id, holder__isnull=False,
                                             merged_into__isnull=True, stage__in=open_stages,
                                             last_activity_at__lte=threshold)
                     .exclude(Q(alerts__level=level) & Q(alerts__since=F("last_activity_at")))
                     .values_list("id", "holder_id", "last_activity_at"))
            rows = [CrmAlert(customer_id=cid, level=level, since=last, fired_at=now,
                             recipients=[str(holder), *(managers if level == AlertLevel.RED else [])],
                             params={"hours": int(hours[level])}) for cid, holder, last in quiet]
            notify_alerts(CrmAlert.objects.bulk_create(rows, ignore_conflicts=True), now=now)
            fired += len(rows)
    return fired


def notify_alerts(alerts: list[CrmAlert], *, now: datetime) -> None:
    """Each alert in the recipients' bell (the staff layout's inbox), in the same transaction as the alert."""
    from backend.workorders.models import Notification

    names = dict(Customer.objects.filter(id__in={a.customer_id for a in alerts}).values_list("id", "name"))
    Notification.objects.bulk_create([
        Notification(user_id=user, template="crm_alert", created_at=now,
                     context={"customer_id": str(a.customer_id), "name": names.get(a.customer_id, ""),
                              "level": a.level, **a.params})
        for a in alerts for user in a.recipients])


__all__ = ["Protected", "alerts_due", "customer_claim", "customer_release", "customers_transfer", "recycle_due",
           "warn_due"]
