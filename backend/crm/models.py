"""The sales CRM's tables. Money is in fen (``*_fen``, integers), never float; instants are ``*_at``."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from backend.crm.states import ContractStatus, Stage, UnitSaleStatus
from backend.properties.models import Project, Unit

USER = settings.AUTH_USER_MODEL


def default_recycle_days() -> dict[str, int | None]:
    # Days without a follow-up before a held customer returns to the public pool; None: never.
    return {"lead": 3, "contacted": 7, "showing": 7, "intent": 7, "subscribed": None, "signed": None, "lost": None}


def default_alert_hours() -> dict[str, int]:
    # Hours without a follow-up for each alert level (seed 002); red is forced and always present.
    return {"blue": 12, "yellow": 24, "red": 48}


def default_referral_reward_rule() -> dict[str, object]:
    # The referrer's reward per signed referral: 2 000 ¥ (a commission rule: fixed, percent or tiered).
    return {"kind": "fixed", "amount_fen": 200_000}


class PoolSettings(models.Model):
    """One project's pool rules (公海规则). Defaults are what seed 002 describes."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="crm_settings",
                                   verbose_name=_("project"))
    max_customers = models.PositiveIntegerField(_("customers one consultant may hold"), default=80)
    recycle_days = models.JSONField(_("days to recycle per stage"), default=default_recycle_days)
    warn_days = models.PositiveSmallIntegerField(_("days of warning before recycling"), default=2)
    protection_hours = models.PositiveIntegerField(_("protection after a claim (hours)"), default=24)
    cooldown_days = models.PositiveSmallIntegerField(_("days a former holder waits"), default=7)
    daily_claim_cap = models.PositiveSmallIntegerField(_("claims per consultant per day"), default=10)
    idle_minutes = models.PositiveSmallIntegerField(_("idle after minutes without a follow-up"), default=30)
    grab_seconds = models.PositiveSmallIntegerField(_("grab pool countdown (seconds)"), default=15)
    alert_hours = models.JSONField(_("alert levels (hours)"), default=default_alert_hours)
    reservation_hours = models.PositiveSmallIntegerField(_("a reservation holds for (hours)"), default=24)
    # Percent of the contract price received before the unit is ready for handover.
    handover_paid_percent = models.PositiveSmallIntegerField(_("paid before handover (%)"), default=100)
    round_robin_cursor = models.CharField(max_length=64, blank=True, default="")
    # 老带新: the referrer's reward when a customer they referred signs (a commission rule, as for partners),
    # and how long after the referral it still counts.
    referral_reward_rule = models.JSONField(_("referral reward rule"), default=default_referral_reward_rule)
    referral_protection_days = models.PositiveSmallIntegerField(_("referral counts for (days)"), default=180)

    class Meta:
        verbose_name = _("pool settings")
        verbose_name_plural = _("pool settings")
        constraints = [
            models.CheckConstraint(condition=Q(handover_paid_percent__lte=100), name="crm_paid_percent_range"),
            models.CheckConstraint(condition=Q(grab_seconds__gte=5), name="crm_grab_seconds_min"),
        ]

    def __str__(self) -> str:
        return str(self.project)


class Seat(models.Model):
    """A consultant's (置业顾问) or sales manager's place in a project's sales office."""

    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="crm_seats", verbose_name=_("user"))
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="crm_seats", verbose_name=_("project"))
    is_manager = models.BooleanField(_("sales manager"), default=False)
    on_duty = models.BooleanField(_("on duty"), default=True)
    team = models.CharField(_("team"), max_length=50, blank=True, default="")

    class Meta:
        verbose_name = _("sales seat")
        verbose_name_plural = _("sales seats")
        constraints = [models.UniqueConstraint(fields=["user", "project"], name="crm_one_seat_per_project")]

    def __str__(self) -> str:
        return f"{self.user} · {self.project}"


class Channel(models.TextChoices):
    WALK_IN = "walk_in", _("Walk-in")
    PHONE = "phone", _("Phone")
    PARTNER = "partner", _("Channel partner")
    QR = "qr", _("Marketing QR code")
    REFERRAL = "referral", _("Referral")
    IMPORT = "import", _("Import")


class ChannelPartner(models.Model):
    """An agency or broker (渠道/中介) that reports (报备) customers for a commission."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="crm_partners",
                                verbose_name=_("project"))
    name = models.CharField(_("name"), max_length=100)
    protection_days = models.PositiveSmallIntegerField(_("attribution protected for (days)"), default=30)
    # {"kind": "percent", "basis_points": 100} | {"kind": "fixed", "amount_fen": 500000}
    # | {"kind": "tiered", "tiers": [{"up_to_fen": 300000000, "basis_points": 80}, {"basis_points": 120}]}
    commission_rule = models.JSONField(_("commission rule"), default=dict)

    class Meta:
        verbose_name = _("channel partner")
        verbose_name_plural = _("channel partners")

    def __str__(self) -> str:
        return self.name


class MarketingCode(models.Model):
    """A marketing QR code (营销二维码) bound to a partner, a consultant or a campaign: every scan is logged
    and a lead left through it carries that attribution."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="crm_codes", verbose_name=_("project"))
    token = models.CharField(_("token"), max_length=40, unique=True)
    campaign = models.CharField(_("campaign"), max_length=100)
    partner = models.ForeignKey(ChannelPartner, null=True, blank=True, on_delete=models.PROTECT, related_name="codes")
    consultant = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="crm_codes")
    cost_fen = models.BigIntegerField(_("campaign cost (fen)"), default=0)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("marketing QR code")
        verbose_name_plural = _("marketing QR codes")
        constraints = [models.CheckConstraint(condition=Q(cost_fen__gte=0), name="crm_code_cost_not_negative")]

    def __str__(self) -> str:
        return self.campaign


class CodeScan(models.Model):
    """One scan of a marketing code: which code, when, from where (the address's keyed hash, the page)."""

    code = models.ForeignKey(MarketingCode, on_delete=models.CASCADE, related_name="scans")
    at = models.DateTimeField()
    ip_hash = models.CharField(max_length=64)
    place = models.CharField(max_length=100, blank=True, default="")  # ?at= printed on the poster: "售楼处", "地铁站"

    class Meta:
        indexes = [models.Index(fields=["code", "at"], name="crm_scan_code_at")]

    def __str__(self) -> str:
        return f"{self.code_id} {self.at:%Y-%m-%d %H:%M}"


class Customer(models.Model):
    """One person interested in one project: every lead with the same phone or ID number lands here."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="crm_customers",
                                verbose_name=_("project"))
    name = models.CharField(_("name"), max_length=100)
    phone = models.CharField(_("phone (E.164)"), max_length=20)
    id_number_hash = models.CharField(_("ID number (keyed hash)"), max_length=64, blank=True, default="")
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.LEAD)
    lost_reason = models.CharField(_("lost reason"), max_length=40, blank=True, default="")
    holder = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="crm_held",
                               verbose_name=_("consultant"))
    held_since = models.DateTimeField(_("held since"), null=True, blank=True)
    protected_until = models.DateTimeField(_("protected until"), null=True, blank=True)
    # The recycling clock: when the customer returns to the public pool, and when the holder is warned.
    last_activity_at = models.DateTimeField(_("last follow-up or claim"))
    recycle_due_at = models.DateTimeField(_("returns to the public pool at"), null=True, blank=True)
    warn_at = models.DateTimeField(_("warning at"), null=True, blank=True)
    warned_at = models.DateTimeField(_("warned at"), null=True, blank=True)
    # Lead dispatch: the grab pool's deadline while a lead waits for someone to take it.
    grab_expires_at = models.DateTimeField(_("grab pool closes at"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("first follow-up at"), null=True, blank=True)
    expected_amount_fen = models.BigIntegerField(_("expected amount (fen)"), default=0)
    expected_close_date = models.DateField(_("expected signing date"), null=True, blank=True)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged",
                                    verbose_name=_("merged into"))
    created_at = models.DateTimeField(_("created at"))
    stage_changed_at = models.DateTimeField(_("stage changed at"))

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.UniqueConstraint(fields=["project", "phone"], condition=Q(merged_into__isnull=True),
                                    name="crm_one_customer_per_phone"),
            models.UniqueConstraint(fields=["project", "id_number_hash"],
                                    condition=Q(merged_into__isnull=True) & ~Q(id_number_hash=""),
                                    name="crm_one_customer_per_id_number"),
            models.CheckConstraint(condition=Q(stage__in=Stage.values), name="crm_customer_stage_valid"),
            models.CheckConstraint(condition=~Q(stage=Stage.LOST) | ~Q(lost_reason=""), name="crm_lost_has_reason"),
            models.CheckConstraint(condition=Q(holder__isnull=False) | Q(held_since__isnull=True),
                                   name="crm_held_since_needs_holder"),
            models.CheckConstraint(condition=Q(expected_amount_fen__gte=0), name="crm_expected_amount_not_negative"),
        ]
        indexes = [
            models.Index(fields=["recycle_due_at"], condition=Q(holder__isnull=False, recycle_due_at__isnull=False),
                         name="crm_recycle_due"),
            models.Index(fields=["warn_at"], condition=Q(warned_at__isnull=True, warn_at__isnull=False),
                         name="crm_warn_due"),
            models.Index(fields=["project", "holder", "stage"], name="crm_customer_pool"),
        ]

    def __str__(self) -> str:
        return self.name


class CustomerTag(models.Model):
    """One tag of a customer (标签): the list page filters by it, and the customers sharing a tag are a segment."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="tag_rows",
                                 verbose_name=_("customer"))
    tag = models.CharField(_("tag"), max_length=20)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("customer tag")
        verbose_name_plural = _("customer tags")
        ordering = ["tag"]
        constraints = [models.UniqueConstraint(fields=["customer", "tag"], name="crm_one_tag_per_customer"),
                       models.CheckConstraint(condition=~Q(tag=""), name="crm_tag_not_empty")]
        indexes = [models.Index(fields=["tag", "customer"], name="crm_tag_customers")]

    def __str__(self) -> str:
        return self.tag


class ReferralCode(models.Model):
    """老带新: a customer's (an owner's) own code; a lead reported with it is attributed to them, and they are
    rewarded by the project's referral rule when the referred customer signs."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="crm_referral_codes",
                                verbose_name=_("project"))
    referrer = models.OneToOneField(Customer, on_delete=models.PROTECT, related_name="referral_code",
                                    verbose_name=_("referrer"))
    code = models.CharField(_("referral code"), max_length=12, unique=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("referral code")
        verbose_name_plural = _("referral codes")

    def __str__(self) -> str:
        return self.code


class CustomerSource(models.Model):
    """One source's contribution to a customer: how the lead came, the phone given and its consent."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="sources",
                                 verbose_name=_("customer"))
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    partner = models.ForeignKey(ChannelPartner, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="reports", verbose_name=_("channel partner"))
    reported_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    code = models.ForeignKey(MarketingCode, null=True, blank=True, on_delete=models.PROTECT, related_name="leads",
                             verbose_name=_("marketing QR code"))
    referral = models.ForeignKey(ReferralCode, null=True, blank=True, on_delete=models.PROTECT, related_name="leads",
                                 verbose_name=_("referral code"))
    name = models.CharField(_("name given"), max_length=100)
    phone = models.CharField(_("phone given (E.164)"), max_length=20)
    consent = models.BooleanField(_("consent to be contacted"), default=False)
    note = models.CharField(_("note"), max_length=300, blank=True, default="")
    attribution_until = models.DateTimeField(_("attribution locked until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("customer source")
        verbose_name_plural = _("customer sources")
        constraints = [models.CheckConstraint(condition=Q(channel__in=Channel.values), name="crm_source_channel_valid")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} · {self.name}"


class EventKind(models.TextChoices):
    CREATED = "created", _("Lead created")
    SOURCE_ADDED = "source_added", _("Another source matched")
    STAGE = "stage", _("Stage changed")
    CLAIMED = "claimed", _("Claimed from the public pool")
    DISPATCHED = "dispatched", _("Assigned by lead dispatch")
    GRABBED = "grabbed", _("Taken from the grab pool")
    TRANSFERRED = "transferred", _("Transferred")
    RELEASED = "released", _("Released to the public pool")
    RECYCLED = "recycled", _("Returned to the public pool (no follow-up)")
    WARNED = "warned", _("Warned before recycling")
    FOLLOW_UP = "follow_up", _("Follow-up")
    MERGED = "merged", _("Merged")
    UNMERGED = "unmerged", _("Merge undone")
    RESERVED = "reserved", _("Unit reserved")
    SUBSCRIBED = "subscribed", _("Subscription")
    CONTRACT = "contract", _("Contract")
    PAYMENT = "payment", _("Payment")


class CustomerEvent(models.Model):
    """The customer's timeline: append-only; ``params`` carries codes and values, rendered by the reader."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="events",
                                 verbose_name=_("customer"))
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("at"))
    from_stage = models.CharField(max_length=20, blank=True, default="")
    to_stage = models.CharField(max_length=20, blank=True, default="")
    params = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("customer event")
        verbose_name_plural = _("customer events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["customer", "at"], name="crm_event_customer_at")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class FollowUpKind(models.TextChoices):
    CALL = "call", _("Call")
    VISIT = "visit", _("Visit")
    SHOWING = "showing", _("Showing")  # 带看
    MESSAGE = "message", _("Message")


class FollowUp(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="follow_ups",
                                 verbose_name=_("customer"))
    consultant = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="crm_follow_ups",
                                   verbose_name=_("consultant"))
    kind = models.CharField(_("kind"), max_length=20, choices=FollowUpKind.choices)
    note = models.TextField(_("note"), max_length=2000)
    next_step = models.CharField(_("next step"), max_length=200, blank=True, default="")
    next_at = models.DateTimeField(_("next contact at"), null=True, blank=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["-at"]
        constraints = [models.CheckConstraint(condition=Q(kind__in=FollowUpKind.values), name="crm_follow_up_kind")]
        indexes = [models.Index(fields=["consultant", "at"], name="crm_follow_up_consultant")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.at:%Y-%m-%d %H:%M}"


class ClaimKind(models.TextChoices):
    CLAIM = "claim", _("Claimed")
    DISPATCH = "dispatch", _("Dispatched")
    GRAB = "grab", _("Grabbed")
    TRANSFER_IN = "transfer_in", _("Transferred in")
    RELEASE = "release", _("Released")
    RECYCLE = "recycle", _("Recycled")
    TRANSFER_OUT = "transfer_out", _("Transferred out")


class HoldLog(models.Model):
    """Every time a consultant takes or loses a customer: the daily cap and the cooldown read it."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="hold_log")
    consultant = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="crm_hold_log")
    kind = models.CharField(max_length=20, choices=ClaimKind.choices)
    at = models.DateTimeField()
    business_date = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["consultant", "kind", "business_date"], name="crm_hold_log_daily"),
                   models.Index(fields=["customer", "consultant", "kind"], name="crm_hold_log_cooldown")]

    def __str__(self) -> str:
        return f"{self.consultant_id} {self.kind} {self.customer_id}"


class MergeRecord(models.Model):
    """A merge of ``merged`` into ``kept``, with what moved so that it can be undone."""

    kept = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="merges_kept")
    merged = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="merges_merged")
    actor = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(max_length=40)  # "same_phone" | "same_id_number" | "manual"
    moved = models.JSONField(default=dict)  # {"sources": [...ids], "follow_ups": [...], "holder": ...}
    at = models.DateTimeField()
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merged"], condition=Q(undone_at__isnull=True),
                                               name="crm_one_live_merge_per_customer")]

    def __str__(self) -> str:
        return f"{self.merged_id} → {self.kept_id}"


class OfferMode(models.TextChoices):
    PUSH = "push", _("Pushed")
    GRAB = "grab", _("Grab pool")
    FALLBACK = "fallback", _("Fallback")


class OfferOutcome(models.TextChoices):
    OFFERED = "offered", _("Offered")
    TAKEN = "taken", _("Taken")
    DECLINED = "declined", _("Declined")
    TIMED_OUT = "timed_out", _("Timed out")
    LOST_RACE = "lost_race", _("Someone else took it")


class LeadOffer(models.Model):
    """Each offer of a new lead to a consultant, whatever became of it (the KPI reads them)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="offers")
    consultant = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="crm_offers")
    mode = models.CharField(max_length=10, choices=OfferMode.choices)
    outcome = models.CharField(max_length=12, choices=OfferOutcome.choices, default=OfferOutcome.OFFERED)
    offered_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "consultant", "offered_at"],
                                               name="crm_one_offer_per_round")]
        indexes = [models.Index(fields=["consultant", "outcome"], name="crm_offer_open")]

    def __str__(self) -> str:
        return f"{self.customer_id} → {self.consultant_id} ({self.outcome})"


class AlertLevel(models.TextChoices):
    WARNING = "warning", _("Returns to the public pool soon")
    BLUE = "blue", _("Blue: no follow-up")
    YELLOW = "yellow", _("Yellow: no follow-up")
    RED = "red", _("Red: no follow-up")


class CrmAlert(models.Model):
    """An alert that fired: once per level per quiet spell (``since`` = the last activity it measured)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="alerts")
    level = models.CharField(max_length=10, choices=AlertLevel.choices)
    since = models.DateTimeField()
    fired_at = models.DateTimeField()
    recipients = models.JSONField(default=list)  # user ids
    params = models.JSONField(default=dict)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "level", "since"], name="crm_alert_fires_once")]

    def __str__(self) -> str:
        return f"{self.level} · {self.customer_id}"


class UnitSale(models.Model):
    """A unit's place on the sales board (销控表)."""

    unit = models.OneToOneField(Unit, on_delete=models.CASCADE, related_name="sale", verbose_name=_("unit"))
    status = models.CharField(_("sales status"), max_length=20, choices=UnitSaleStatus.choices,
                              default=UnitSaleStatus.AVAILABLE)
    list_price_fen = models.BigIntegerField(_("list price (fen)"))
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("unit on sale")
        verbose_name_plural = _("units on sale")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=UnitSaleStatus.values), name="crm_unit_sale_status"),
            models.CheckConstraint(condition=Q(list_price_fen__gt=0), name="crm_list_price_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} · {self.status}"


class Reservation(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        EXPIRED = "expired", _("Expired")
        RELEASED = "released", _("Released")
        CONVERTED = "converted", _("Subscribed")

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="reservations")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="reservations")
    consultant = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit"], condition=Q(status="active"), name="crm_unit_reserved_once"),
            models.CheckConstraint(condition=Q(expires_at__gt=models.F("created_at")), name="crm_reservation_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} · {self.customer_id} ({self.status})"


class Subscription(models.Model):
    """认购: the customer's deposit on a unit, before the contract."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SIGNED = "signed", _("Signed")
        CANCELLED = "cancelled", _("Cancelled")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="subscriptions")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="subscriptions")
    consultant = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    deposit_fen = models.BigIntegerField(_("deposit (fen)"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit"], condition=~Q(status="cancelled"), name="crm_unit_subscribed_once"),
            models.CheckConstraint(condition=Q(deposit_fen__gt=0), name="crm_deposit_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} · {self.customer_id} ({self.status})"


class PaymentMethod(models.TextChoices):
    FULL = "full", _("Full payment")
    INSTALMENTS = "instalments", _("Instalments")
    MORTGAGE = "mortgage", _("Mortgage")


class Contract(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subscription = models.OneToOneField(Subscription, on_delete=models.PROTECT, related_name="contract")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="sales_contracts")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="contracts")
    consultant = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    buyers = models.JSONField(_("buyers"), default=list)  # names as on the contract
    list_price_fen = models.BigIntegerField()
    discount_fen = models.BigIntegerField(default=0)
    price_fen = models.BigIntegerField()
    payment_method = models.CharField(max_length=12, choices=PaymentMethod.choices)
    down_payment_percent = models.PositiveSmallIntegerField(default=30)
    instalments = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=20, choices=ContractStatus.choices, default=ContractStatus.DRAFT)
    approval_state = models.JSONField(null=True, blank=True)  # the engine's ApprovalState
    created_at = models.DateTimeField()
    signed_at = models.DateTimeField(null=True, blank=True)
    revision = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit"], condition=~Q(status="cancelled"), name="crm_unit_one_contract"),
            models.CheckConstraint(condition=Q(discount_fen__gte=0) & Q(price_fen__gt=0), name="crm_contract_amounts"),
            models.CheckConstraint(condition=Q(price_fen=models.F("list_price_fen") - models.F("discount_fen")),
                                   name="crm_contract_price_is_list_less_discount"),
            models.CheckConstraint(condition=Q(status__in=ContractStatus.values), name="crm_contract_status"),
            models.CheckConstraint(condition=Q(down_payment_percent__gte=0, down_payment_percent__lte=100),
                                   name="crm_down_payment_percent"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} · {self.price_fen} fen ({self.status})"


class DiscountApprover(models.Model):
    """Who must decide now on a contract's discount (their inbox)."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="pending")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="crm_discount_inbox")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["contract", "user"], name="crm_uniq_discount_approver")]

    def __str__(self) -> str:
        return f"{self.contract_id} → {self.user_id}"


class PaymentLine(models.Model):
    class Kind(models.TextChoices):
        DEPOSIT = "deposit", _("Deposit")  # 定金
        DOWN_PAYMENT = "down_payment", _("Down payment")  # 首付
        MORTGAGE = "mortgage", _("Mortgage loan")  # 按揭
        INSTALMENT = "instalment", _("Instalment")  # 分期
        FULL = "full", _("Full payment")

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="lines")
    seq = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    due_date = models.DateField()
    amount_fen = models.BigIntegerField()
    received_fen = models.BigIntegerField(default=0)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["contract", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "seq"], name="crm_payment_line_seq"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="crm_line_amount_positive"),
            models.CheckConstraint(condition=Q(received_fen__gte=0) & Q(received_fen__lte=models.F("amount_fen")),
                                   name="crm_line_received_within_amount"),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} #{self.seq} {self.kind}"


class Payment(models.Model):
    line = models.ForeignKey(PaymentLine, on_delete=models.PROTECT, related_name="payments")
    amount_fen = models.BigIntegerField()
    received_at = models.DateTimeField()
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(max_length=60, blank=True, default="")

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="crm_payment_positive")]

    def __str__(self) -> str:
        return f"{self.line_id} · {self.amount_fen} fen"


class Commission(models.Model):
    """A channel partner's commission or a referrer's reward (老带新) on a signed contract."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="commissions")
    partner = models.ForeignKey(ChannelPartner, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    referrer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="referral_rewards")
    rule = models.JSONField()
    amount_fen = models.BigIntegerField()
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contract", "partner"], name="crm_one_commission_per_partner"),
            models.UniqueConstraint(fields=["contract"], condition=Q(referrer__isnull=False),
                                    name="crm_one_referral_reward_per_contract"),
            models.CheckConstraint(condition=Q(partner__isnull=True) | Q(referrer__isnull=True),
                                   name="crm_commission_partner_or_referrer"),
            models.CheckConstraint(condition=Q(amount_fen__gte=0), name="crm_commission_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} · {self.amount_fen} fen"
