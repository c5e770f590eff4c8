"""What the CRM reads for a caller, every query starting from the actor's scope."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Avg, Count, F, Q, Sum
from django.db.models.functions import TruncMonth

from backend.core.dates import business_date, business_timezone
from backend.crm.access import (
    HANDOVER_READERS,
    access_customer,
    access_project,
    customers_visible_to,
    ensure_crm,
    is_manager_of,
    show_phone,
)
from backend.crm.models import (
    Contract,
    CrmAlert,
    Customer,
    LeadOffer,
    PaymentLine,
    Reservation,
    Seat,
    UnitSale,
)
from backend.crm.services.clock import pool_settings
from backend.crm.states import (
    ALLOWED,
    DEFAULT_STAGE_PROBABILITY,
    FUNNEL,
    SYSTEM_STAGES,
    ContractStatus,
    Stage,
    UnitSaleStatus,
)
from backend.properties.models import Building, HandoverStatus, Unit

FIRST_RESPONSE_TARGET = timedelta(minutes=5)


def _row(actor: Any, c: Customer, now: datetime) -> dict[str, Any]:
    days_left = None
    if c.recycle_due_at is not None:
        days_left = max(0, (c.recycle_due_at - now).days)
    return {
        "id": str(c.id), "name": c.name, "phone": show_phone(actor, c), "stage": c.stage,
        "stage_label": str(Stage(c.stage).label), "project": c.project.name if hasattr(c, "project") else "",
        "holder": str(c.holder) if c.holder_id else "", "holder_id": str(c.holder_id) if c.holder_id else None,
        "last_activity_at": c.last_activity_at, "recycle_due_at": c.recycle_due_at,
        "warned": c.warned_at is not None, "days_left": days_left,
        "protected_until": c.protected_until, "created_at": c.created_at,
        "tags": [t.tag for t in c.tag_rows.all()],  # prefetched by the lists
    }


def _tagged(qs: Any, tag: str | None) -> Any:
    """Customers carrying the tag (a segment); every list prefetches the tags it shows."""
    if tag:
        qs = qs.filter(tag_rows__tag=tag)
    return qs.prefetch_related("tag_rows")


def tag_segments(*, actor: Any, held_only: bool = True, project_id: Any | None = None) -> list[dict[str, Any]]:
    """The segments of the actor's customers (those they hold, or a project's for a manager): each tag with
    how many customers carry it, largest first."""
    from backend.crm.models import CustomerTag

    ensure_crm(actor)
    customers = customers_visible_to(actor)
    customers = customers.filter(holder=actor) if held_only else customers.filter(project_id=project_id)
    rows = (CustomerTag.objects.filter(customer__in=customers).values("tag").annotate(count=Count("customer_id"))
            .order_by("-count", "tag"))
    return [{"tag": r["tag"], "count": r["count"]} for r in rows[:50]]


def my_customers(*, actor: Any, now: datetime, stage: str | None = None, tag: str | None = None,
                 limit: int = 200) -> list[dict[str, Any]]:
    """The consultant's private pool, soonest to be recycled first (with the warning once it is near);
    ``tag`` keeps one segment."""
    ensure_crm(actor)
    qs = _tagged(customers_visible_to(actor).filter(holder=actor).select_related("project", "holder"), tag)
    if stage:
        qs = qs.filter(stage=stage)
    qs = qs.order_by(F("recycle_due_at").asc(nulls_last=True), "-last_activity_at")
    return [_row(actor, c, now) for c in qs[:limit]]


def public_pool(*, actor: Any, now: datetime, project_id: Any | None = None, tag: str | None = None,
                limit: int = 200) -> list[dict[str, Any]]:
    ensure_crm(actor)
    qs = _tagged(customers_visible_to(actor).filter(holder__isnull=True, grab_expires_at__isnull=True).exclude(
        stage__in=[Stage.SIGNED]).select_related("project"), tag)
    if project_id:
        qs = qs.filter(project_id=project_id)
    return [_row(actor, c, now) for c in qs.order_by("-last_activity_at")[:limit]]


def customer_360(*, actor: Any, customer_id: Any, now: datetime) -> dict[str, Any]:
    """Everything about one customer: sources, timeline, follow-ups, units (reserved, subscribed, contracts,
    payments), units owned and — from the core — their after-sales orders and ratings."""
    ensure_crm(actor)
    customer = access_customer(actor, customer_id)
    contracts = list(Contract.objects.filter(customer=customer).select_related("unit__building")
                     .prefetch_related("lines").order_by("-created_at"))
    owned_units = _owned_units(customer)
    return {
        "customer": customer,
        "row": _row(actor, customer, now),
        "may_tag": customer.holder_id == actor.id or is_manager_of(actor, customer.project_id),
        "is_holder": customer.holder_id == actor.id,
        "sources": list(customer.sources.select_related("partner", "referral__referrer").order_by("created_at")),
        "follow_ups": list(customer.follow_ups.select_related("consultant")[:100]),
        "events": list(customer.events.select_related("actor").order_by("-at", "-id")[:200]),
        "reservations": list(customer.reservations.select_related("unit__building").order_by("-created_at")),
        "subscriptions": _subscriptions(customer),
        "manual_stages": [(s, str(Stage(s).label)) for s in sorted(ALLOWED.get(customer.stage, ()))
                          if s not in SYSTEM_STAGES],
        "contracts": [{"contract": c, "lines": [_line(line, now) for line in c.lines.all()]} for c in contracts],
        "alerts": list(customer.alerts.order_by("-fired_at")[:20]),
        "merged": list(customer.merges_kept.filter(undone_at__isnull=True).select_related("merged")),
        "owned_units": owned_units,
        "orders": _after_sales(owned_units),
    }


def _subscriptions(customer: Customer) -> list[Any]:
    subs = list(customer.subscriptions.select_related("unit__building").order_by("-created_at"))
    with_contract = set(Contract.objects.filter(subscription__in=subs).exclude(status=ContractStatus.CANCELLED)
                        .values_list("subscription_id", flat=True))
    for sub in subs:
        sub.contract_or_none = sub.id in with_contract  # type: ignore[attr-defined]
    return subs


def _owned_units(customer: Customer) -> list[Unit]:
    from backend.properties.models import Ownership

    return [o.unit for o in Ownership.objects.filter(owner__phone=customer.phone).select_related("unit__building")]


def _after_sales(units: list[Unit]) -> list[dict[str, Any]]:
    from backend.workorders.models import WorkOrder

    if not units:
        return []
    rows = WorkOrder.objects.filter(unit__in=units).order_by("-created_at")[:50]
    return [{"number": o.number, "state": o.state, "created_at": o.created_at,
             "rating": getattr(getattr(o, "rating", None), "stars", None)} for o in rows]


def _line(line: PaymentLine, now: datetime) -> dict[str, Any]:
    if line.received_fen >= line.amount_fen:
        status = "received"
    elif line.due_date < business_date(now):
        status = "overdue"
    else:
        status = "receivable"
    return {"line": line, "status": status, "outstanding_fen": line.amount_fen - line.received_fen}


# --- the sales board ---------------------------------------------------------------------------------------

def inventory_board(*, actor: Any, building_id: Any, now: datetime) -> dict[str, Any]:
    """销控表: floors (top down) × units, each with its sales status and, for the actor's own customers,
    who reserved it until when."""
    ensure_crm(actor)
    building = Building.objects.select_related("project").filter(id=building_id).first()
    if building is None:
        from backend.core.errors import NotFound

        raise NotFound(details={"object": "building"})
    access_project(actor, building.project_id)
    sales = {s.unit_id: s for s in UnitSale.objects.filter(unit__building=building)}
    reservations = {r.unit_id: r for r in Reservation.objects.filter(unit__building=building,
                                                                     status=Reservation.Status.ACTIVE)}
    floors: dict[int, list[dict[str, Any]]] = defaultdict(list)
    counts: dict[str, int] = defaultdict(int)
    for unit in Unit.objects.filter(building=building).order_by("-floor", "number"):
        sale = sales.get(unit.id)
        status = sale.status if sale else UnitSaleStatus.NOT_FOR_SALE
        if unit.handover_status == HandoverStatus.DELIVERED and status == UnitSaleStatus.SIGNED:
            status = UnitSaleStatus.HANDED_OVER
        counts[status] += 1
        reservation = reservations.get(unit.id)
        floors[unit.floor].append({
            "unit": unit, "status": status, "status_label": str(UnitSaleStatus(status).label),
            "list_price_fen": sale.list_price_fen if sale else None,
            "reserved_until": reservation.expires_at if reservation else None,
            "mine": bool(reservation and reservation.consultant_id == actor.id),
        })
    return {"building": building, "floors": sorted(floors.items(), key=lambda kv: -kv[0]),
            "counts": dict(counts), "buildings": list(Building.objects.filter(project=building.project))}


# --- the dashboard ----------------------------------------------------------------------------------------

def _scoped(actor: Any, project_id: Any) -> Any:
    access_project(actor, project_id)
    return Customer.objects.filter(project_id=project_id, merged_into__isnull=True)


def funnel(*, actor: Any, project_id: Any, now: datetime) -> dict[str, Any]:
    """Customers per stage, the share reaching each stage (from the timeline), win rate per stage, the
    average cycle from lead to signing, and the weighted forecast (expected amount × stage probability)
    per month of the expected signing. A consultant sees their own customers' funnel, a manager the
    project's. Four GROUP BY queries; bench/funnel_vs_groupby.py compares them with hand-written SQL."""
    ensure_crm(actor)
    customers = _scoped(actor, project_id)
    if not is_manager_of(actor, project_id) and not _reads_all(actor):
        customers = customers.filter(holder=actor)
    per_stage = dict(customers.values("stage").annotate(n=Count("id")).values_list("stage", "n"))
    lost_from = dict(customers.filter(stage=Stage.LOST, events__kind="stage", events__to_stage=Stage.LOST)
                     .values("events__from_stage").annotate(n=Count("id")).values_list("events__from_stage", "n"))
    cycle = customers.filter(stage=Stage.SIGNED).aggregate(
        avg=Avg(F("stage_changed_at") - F("created_at")))["avg"]
    forecast_rows = [(r["month"], r["stage"], r["amount"]) for r in
                     customers.exclude(stage__in=[Stage.LOST, Stage.SIGNED]).filter(expected_close_date__isnull=False)
                     .annotate(month=TruncMonth("expected_close_date")).values("month", "stage")
                     .annotate(amount=Sum("expected_amount_fen")).order_by("month")]
    return funnel_from_counts(per_stage=per_stage, lost_from=lost_from,
                              cycle_seconds=cycle.total_seconds() if cycle is not None else None,
                              forecast_rows=forecast_rows)


def funnel_from_counts(*, per_stage: dict[str, int], lost_from: dict[str, int], cycle_seconds: float | None,
                       forecast_rows: list[tuple[Any, str, int]]) -> dict[str, Any]:
    """The dashboard's numbers from the four counts. A customer reached a stage if it is there now or
    anywhere beyond it in the funnel; a lost one reached the stage it was lost from (its timeline)."""
    order: dict[str, int] = {str(stage): index for index, stage in enumerate(FUNNEL)}
    reached: dict[str, int] = {stage: 0 for stage in FUNNEL}
    for counts in (per_stage, lost_from):
        for stage, n in counts.items():
            if stage in order:
                for earlier in FUNNEL[: order[stage] + 1]:
                    reached[earlier] += n
    rows = []
    for index, stage in enumerate(FUNNEL):
        nxt = reached[FUNNEL[index + 1]] if index + 1 < len(FUNNEL) else None
        rows.append({
            "stage": stage, "label": str(Stage(stage).label), "now": per_stage.get(stage, 0),
            "reached": reached[stage],
            "conversion": round(nxt / reached[stage], 4) if nxt is not None and reached[stage] else None,
            "win_rate": round(reached[Stage.SIGNED] / reached[stage], 4) if reached[stage] else None,
        })
    months: dict[Any, int] = defaultdict(int)
    for month, stage, amount in forecast_rows:
        key = month.date() if isinstance(month, datetime) else month
        months[key] += int(amount) * DEFAULT_STAGE_PROBABILITY[stage] // 100
    return {"stages": rows, "lost": per_stage.get(Stage.LOST, 0),
            "cycle_days": round(cycle_seconds / 86400, 1) if cycle_seconds is not None else None,
            "forecast": [{"month": m.strftime("%Y-%m"), "weighted_fen": v} for m, v in sorted(months.items())]}


def _reads_all(actor: Any) -> bool:
    from backend.crm.access import sees_everything

    return sees_everything(actor)


def first_response_kpi(*, actor: Any, project_id: Any, now: datetime, days: int = 30) -> dict[str, Any]:
    """Seed 002's one KPI: leads whose first follow-up came within 5 minutes of their creation, over the
    last ``days``, per consultant, team and channel; with every offer's outcome counted."""
    ensure_crm(actor)
    since = now - timedelta(days=days)
    leads = _scoped(actor, project_id).filter(created_at__gte=since)
    fast = Q(first_response_at__isnull=False, first_response_at__lte=F("created_at") + FIRST_RESPONSE_TARGET)

    def rate(qs: Any, key: str) -> list[dict[str, Any]]:
        out = []
        for row in qs.values(key).annotate(total=Count("id", distinct=True),
                                           fast=Count("id", filter=fast, distinct=True)).order_by(key):
            out.append({"key": row[key] or "", "total": row["total"], "fast": row["fast"],
                        "rate": round(row["fast"] / row["total"], 4) if row["total"] else None})
        return out

    teams = dict(Seat.objects.filter(project_id=project_id).values_list("user_id", "team"))
    per_consultant = rate(leads.filter(holder__isnull=False), "holder__display_name")
    per_team: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for holder_id, total, fast_n in (leads.filter(holder__isnull=False).values("holder_id")
                                     .annotate(t=Count("id"), f=Count("id", filter=fast))
                                     .values_list("holder_id", "t", "f")):
        per_team[teams.get(holder_id) or "—"][0] += total
        per_team[teams.get(holder_id) or "—"][1] += fast_n
    offers = dict(LeadOffer.objects.filter(customer__in=leads).values("outcome").annotate(n=Count("id"))
                  .values_list("outcome", "n"))
    total = leads.count()
    fast_n = leads.filter(fast).count()
    return {
        "project": {"total": total, "fast": fast_n, "rate": round(fast_n / total, 4) if total else None},
        "consultants": per_consultant,
        "teams": [{"key": k, "total": v[0], "fast": v[1], "rate": round(v[1] / v[0], 4) if v[0] else None}
                  for k, v in sorted(per_team.items())],
        "channels": rate(leads, "sources__channel"),
        "offers": offers,
    }


def receivables(*, actor: Any, project_id: Any, now: datetime) -> list[dict[str, Any]]:
    """Per month of the due date: due, received, outstanding and overdue, in fen."""
    ensure_crm(actor)
    access_project(actor, project_id)
    today = business_date(now)
    lines = PaymentLine.objects.filter(contract__unit__building__project_id=project_id,
                                       contract__status=ContractStatus.SIGNED)
    if not is_manager_of(actor, project_id) and not _reads_all(actor):
        lines = lines.filter(contract__consultant=actor)
    rows = (lines.annotate(month=TruncMonth("due_date")).values("month")
            .annotate(due=Sum("amount_fen"), received=Sum("received_fen"),
                      overdue=Sum(F("amount_fen") - F("received_fen"), filter=Q(due_date__lt=today)))
            .order_by("month"))
    return [{"month": r["month"].strftime("%Y-%m"), "due_fen": r["due"], "received_fen": r["received"],
             "outstanding_fen": r["due"] - r["received"], "overdue_fen": r["overdue"] or 0} for r in rows]


def payment_lines(*, actor: Any, project_id: Any, now: datetime, status: str | None = None) -> list[dict[str, Any]]:
    ensure_crm(actor)
    access_project(actor, project_id)
    lines = PaymentLine.objects.filter(contract__unit__building__project_id=project_id,
                                       contract__status=ContractStatus.SIGNED).select_related(
        "contract__unit__building", "contract__customer").order_by("due_date", "id")
    if not is_manager_of(actor, project_id) and not _reads_all(actor):
        lines = lines.filter(contract__consultant=actor)
    out = [_line(line, now) for line in lines[:1000]]
    return [row for row in out if status is None or row["status"] == status]


def ready_for_handover_list(*, actor: Any, project_id: Any, now: datetime | None = None,
                            building_id: Any | None = None, limit: int = 1000) -> list[dict[str, Any]]:
    """The units the handover issue picks up: a signed contract, paid as the project requires
    (``PoolSettings.handover_paid_percent`` of the price), the unit not yet delivered. One dict per unit:
    ``unit_id``, ``unit`` (label), ``building_id``, ``contract_id``, ``customer_id``, ``buyers``, ``phone``
    (E.164, for the handover officer's invitation), ``price_fen``, ``received_fen``, ``signed_at``."""
    from backend.accounts.access import ensure_role

    ensure_role(actor, HANDOVER_READERS)
    access_project(actor, project_id)
    percent = pool_settings(project_id).handover_paid_percent
    contracts = (Contract.objects.filter(status=ContractStatus.SIGNED, unit__building__project_id=project_id)
                 .exclude(unit__handover_status=HandoverStatus.DELIVERED)
                 .annotate(received=Sum("lines__received_fen"))
                 .filter(received__gte=F("price_fen") * percent / 100)
                 .select_related("unit__building", "customer").order_by("unit__building__code", "unit__floor",
                                                                        "unit__number"))
    if building_id is not None:
        contracts = contracts.filter(unit__building_id=building_id)
    return [{"unit_id": str(c.unit_id), "unit": str(c.unit), "building_id": str(c.unit.building_id),
             "contract_id": str(c.id), "customer_id": str(c.customer_id), "buyers": list(c.buyers),
             "phone": c.customer.phone, "price_fen": c.price_fen, "received_fen": int(c.received or 0),
             "signed_at": c.signed_at} for c in contracts[:limit]]


def discount_inbox(*, actor: Any) -> list[Contract]:
    ensure_crm(actor)
    return list(Contract.objects.filter(pending__user=actor, status=ContractStatus.PENDING_APPROVAL)
                .select_related("unit__building", "customer"))


def alerts_for(*, actor: Any, limit: int = 50) -> list[CrmAlert]:
    ensure_crm(actor)
    return list(CrmAlert.objects.filter(recipients__contains=[str(actor.id)]).select_related("customer")
                .order_by("-fired_at")[:limit]) if _json_contains_supported() else [
        a for a in CrmAlert.objects.select_related("customer").order_by("-fired_at")[:500]
        if str(actor.id) in a.recipients][:limit]


def _json_contains_supported() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


def month_start(now: datetime) -> date:
    local = now.astimezone(business_timezone())
    return date(local.year, local.month, 1)


def available_units(*, actor: Any, project_id: Any) -> list[UnitSale]:
    """Units of the project still for sale or reserved (for the consultant's reserve / subscribe form)."""
    ensure_crm(actor)
    return list(UnitSale.objects.filter(unit__building__project_id=project_id,
                                        status__in=[UnitSaleStatus.AVAILABLE, UnitSaleStatus.RESERVED])
                .select_related("unit__building").order_by("unit__building__code", "unit__floor", "unit__number")[:300])


def campaigns(*, actor: Any, project_id: Any) -> list[dict[str, Any]]:
    """Per marketing code: scans, leads, signings and the cost per signing (fen)."""
    from backend.crm.models import MarketingCode

    ensure_crm(actor)
    access_project(actor, project_id)
    rows = (MarketingCode.objects.filter(project_id=project_id)
            .annotate(n_scans=Count("scans", distinct=True), n_leads=Count("leads__customer", distinct=True),
                      n_signed=Count("leads__customer", filter=Q(leads__customer__stage=Stage.SIGNED), distinct=True))
            .order_by("campaign"))
    return [{"id": c.id, "campaign": c.campaign, "token": c.token, "scans": c.n_scans, "leads": c.n_leads,
             "signings": c.n_signed, "cost_fen": c.cost_fen,
             "cost_per_signing_fen": c.cost_fen // c.n_signed if c.n_signed else None} for c in rows]


def team(*, actor: Any, project_id: Any, now: datetime) -> list[dict[str, Any]]:
    """The sales manager's team: per consultant, customers held, warned (returning soon), red alerts in the
    last week, follow-ups today (business day) and the 5-minute first-response rate over 30 days."""
    from backend.core.errors import PermissionDenied
    from backend.crm.models import FollowUp

    ensure_crm(actor)
    access_project(actor, project_id)
    if not is_manager_of(actor, project_id):
        raise PermissionDenied(details={"required": "sales_manager"})
    today = business_date(now)
    seats = list(Seat.objects.filter(project_id=project_id, is_manager=False).select_related("user")
                 .order_by("team", "user__username"))
    live = Customer.objects.filter(project_id=project_id, merged_into__isnull=True)
    held = dict(live.filter(holder__isnull=False).values("holder_id").annotate(n=Count("id"))
                .values_list("holder_id", "n"))
    warned = dict(live.filter(holder__isnull=False, warned_at__isnull=False).values("holder_id")
                  .annotate(n=Count("id")).values_list("holder_id", "n"))
    start = datetime.combine(today, datetime.min.time(), tzinfo=business_timezone())
    follow = dict(FollowUp.objects.filter(customer__project_id=project_id, at__gte=start).values("consultant_id")
                  .annotate(n=Count("id")).values_list("consultant_id", "n"))
    kpi = {row["key"]: row for row in first_response_kpi(actor=actor, project_id=project_id, now=now)["consultants"]}
    return [{"user": s.user, "team": s.team, "on_duty": s.on_duty, "held": held.get(s.user_id, 0),
             "warned": warned.get(s.user_id, 0), "follow_ups_today": follow.get(s.user_id, 0),
             "first_response": kpi.get(s.user.display_name)} for s in seats]


def customers_of_project(*, actor: Any, project_id: Any, now: datetime, tag: str | None = None,
                         limit: int = 300) -> list[dict[str, Any]]:
    """A manager's view of the project's customers (held and in the pool), for transfers; ``tag`` keeps one
    segment (e.g. to transfer it in bulk)."""
    from backend.core.errors import PermissionDenied

    ensure_crm(actor)
    if not is_manager_of(actor, project_id):
        raise PermissionDenied(details={"required": "sales_manager"})
    qs = _tagged(customers_visible_to(actor).filter(project_id=project_id).select_related("project", "holder"), tag)
    return [_row(actor, c, now) for c in qs.order_by(F("recycle_due_at").asc(nulls_last=True), "name")[:limit]]


def referrals_of(*, actor: Any, customer_id: Any) -> dict[str, Any]:
    """老带新 for one customer: their own referral code, the customers it brought (stage, whether attributed,
    the reward once signed) and who referred this customer, if anyone."""
    from backend.crm.models import Commission, CustomerSource, ReferralCode

    ensure_crm(actor)
    customer = access_customer(actor, customer_id)
    code = ReferralCode.objects.filter(referrer=customer).first()
    referred: list[dict[str, Any]] = []
    if code is not None:
        sources = (CustomerSource.objects.filter(referral=code).select_related("customer")
                   .order_by("created_at"))
        rewards = dict(Commission.objects.filter(referrer=customer).values_list("contract__customer_id", "amount_fen"))
        for source in sources:
            referred.append({"name": source.customer.name, "stage": source.customer.stage,
                             "stage_label": str(Stage(source.customer.stage).label),
                             "attributed": source.attribution_until is not None,
                             "referred_at": source.created_at, "reward_fen": rewards.get(source.customer_id)})
    by = (CustomerSource.objects.filter(customer=customer, referral__isnull=False, attribution_until__isnull=False)
          .select_related("referral__referrer").order_by("created_at").first())
    referred_by = None
    if by is not None and by.referral is not None:
        referred_by = {"name": by.referral.referrer.name, "code": by.referral.code,
                       "attribution_until": by.attribution_until}
    return {"code": code.code if code else None, "referred": referred, "referred_by": referred_by}


def customer_by_phone(*, actor: Any, project_id: Any, phone: str) -> Customer:
    """The live customer of the project with this main number (any way of writing it), as the actor sees
    them; 404 otherwise (a manager finds the duplicate record to merge)."""
    from backend.core.errors import NotFound
    from backend.crm.identity import normalize_phone

    ensure_crm(actor)
    found = customers_visible_to(actor).filter(project_id=project_id, phone=normalize_phone(phone)).first()
    if found is None:
        raise NotFound(details={"object": "customer"})
    return found
