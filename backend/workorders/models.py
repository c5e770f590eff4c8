from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from backend.core.models import SyncTracked
from backend.workorders.states import State, WaitingReason


class Channel(models.TextChoices):
    QR = "qr", _("QR code")
    PHONE = "phone", _("Phone")
    WALK_IN = "walk_in", _("Walk-in")
    WECOM = "wecom", _("WeCom")
    HANDOVER_INSPECTION = "handover_inspection", _("Handover inspection")
    TECHNICIAN_FOUND = "technician_found", _("Found by a technician")


class Priority(models.TextChoices):
    P1 = "P1", _("P1 emergency")
    P2 = "P2", _("P2 urgent")
    P3 = "P3", _("P3 normal")
    P4 = "P4", _("P4 low")


class WarrantyVerdict(models.TextChoices):
    IN = "in", _("In warranty")
    OUT = "out", _("Out of warranty")
    UNKNOWN = "unknown", _("Unknown")


class OrderNumberCounter(models.Model):
    """One row per day; the next number is claimed with an atomic ``F() + 1`` update."""

    day = models.DateField(primary_key=True)
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("order number counter")
        verbose_name_plural = _("order number counters")

    def __str__(self) -> str:
        return f"{self.day}: {self.last_value}"


class WorkOrder(SyncTracked):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = models.CharField(_("number"), max_length=20, unique=True)
    project = models.ForeignKey("properties.Project", on_delete=models.PROTECT, related_name="work_orders",
                                verbose_name=_("project"))
    building = models.ForeignKey("properties.Building", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="work_orders", verbose_name=_("building"))
    # No index of their own for unit, team and technician: the (unit, category), (team, state) and
    # (technician, state) indexes in Meta serve every lookup by these keys alone too, and an intake
    # writes three index entries fewer.
    unit = models.ForeignKey("properties.Unit", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="work_orders", verbose_name=_("unit"), db_index=False)
    public_area = models.ForeignKey("properties.PublicArea", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="work_orders", verbose_name=_("public area"))
    reporter_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                      related_name="reported_orders", verbose_name=_("reported by (staff)"))
    reporter_owner = models.ForeignKey("properties.Owner", on_delete=models.SET_NULL, null=True, blank=True,
                                       related_name="reported_orders", verbose_name=_("reported by (owner)"))
    contact_name = models.CharField(_("contact name"), max_length=100)
    contact_phone = models.CharField(_("contact phone (E.164)"), max_length=20)
    # The language the contact reported in (the owner portal's); their text messages about the order
    # are written in it. Empty: the default language (an order taken by phone or at the desk).
    contact_language = models.CharField(_("contact's language"), max_length=10, blank=True, default="")
    channel = models.CharField(_("channel"), max_length=30, choices=Channel.choices)
    category_code = models.CharField(_("category"), max_length=50)
    priority = models.CharField(_("priority"), max_length=2, choices=Priority.choices)
    description = models.TextField(_("description"))
    location_detail = models.CharField(_("location in the unit"), max_length=200, blank=True)
    preferred_slots = models.JSONField(_("preferred visit slots"), default=list, blank=True)
    warranty_verdict = models.CharField(_("warranty"), max_length=10, choices=WarrantyVerdict.choices,
                                        default=WarrantyVerdict.UNKNOWN)
    warranty_reason = models.CharField(_("warranty reason"), max_length=200, blank=True)
    # The same reason as a code and its params ({"code": "warranty.ended", "params": {...}}), shown in
    # the reader's language; orders taken before it have only the English text above (NULL). Nullable
    # without a default so that adding it is an ALTER TABLE ADD COLUMN on SQLite too: a rebuilt table
    # would lose the sync stamp triggers (see mobile_sync 0004).
    warranty_reasoning = models.JSONField(_("warranty reasoning"), null=True, blank=True)
    team = models.ForeignKey("accounts.Team", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="work_orders", verbose_name=_("team"), db_index=False)
    technician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="assigned_orders", verbose_name=_("technician"), db_index=False)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.SUBMITTED)
    waiting_reason = models.CharField(_("waiting reason"), max_length=20, choices=WaitingReason.choices, blank=True)
    definitions_version = models.CharField(_("rules version"), max_length=64, blank=True)
    routing_explanation = models.JSONField(_("routing explanation"), default=dict, blank=True)
    estimate_yuan = models.DecimalField(_("cost estimate (¥)"), max_digits=12, decimal_places=2, null=True, blank=True)
    # A paid-service (out-of-warranty) repair done without a quote, on the office's record: when and why.
    paid_service_waived_at = models.DateTimeField(_("paid service waived at"), null=True, blank=True)
    paid_service_waiver_reason = models.CharField(_("paid service waiver reason"), max_length=300, blank=True)
    actual_cost_yuan = models.DecimalField(_("actual cost (¥)"), max_digits=12, decimal_places=2, null=True, blank=True)
    rating_timeliness = models.PositiveSmallIntegerField(_("timeliness rating"), null=True, blank=True)
    rating_attitude = models.PositiveSmallIntegerField(_("attitude rating"), null=True, blank=True)
    rating_quality = models.PositiveSmallIntegerField(_("quality rating"), null=True, blank=True)
    rating_comment = models.TextField(_("rating comment"), blank=True)
    created_at = models.DateTimeField(_("created at"), db_index=True)
    updated_at = models.DateTimeField(_("updated at"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    # Incremented on every change: the sync API and optimistic checks compare it.
    revision = models.PositiveIntegerField(_("revision"), default=1)

    class Meta:
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["state", "project"]),
            models.Index(fields=["technician", "state"]),
            models.Index(fields=["team", "state"]),
            models.Index(fields=["unit", "category_code"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(unit__isnull=False) & Q(public_area__isnull=True))
                | (Q(unit__isnull=True) & Q(public_area__isnull=False)),
                name="order_on_unit_or_public_area",
            ),
            models.CheckConstraint(condition=Q(state__in=State.values), name="order_state_valid"),
            models.CheckConstraint(condition=Q(priority__in=Priority.values), name="order_priority_valid"),
            models.CheckConstraint(condition=Q(estimate_yuan__isnull=True) | Q(estimate_yuan__gte=0),
                                   name="order_estimate_not_negative"),
            models.CheckConstraint(condition=Q(actual_cost_yuan__isnull=True) | Q(actual_cost_yuan__gte=0),
                                   name="order_actual_cost_not_negative"),
            *[
                models.CheckConstraint(condition=Q(**{f"{f}__isnull": True}) | Q(**{f"{f}__gte": 1, f"{f}__lte": 5}),
                                       name=f"order_{f}_1_to_5")
                for f in ("rating_timeliness", "rating_attitude", "rating_quality")
            ],
        ]

    def __str__(self) -> str:
        return self.number


class TimelineEvent(SyncTracked):
    """An immutable line of an order's history: every state change, assignment, comment and note."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        STATE = "state", _("State change")
        ASSIGNMENT = "assignment", _("Assignment")
        COMMENT = "comment", _("Comment")
        ESTIMATE = "estimate", _("Cost estimate")
        APPROVAL = "approval", _("Approval")
        SLA = "sla", _("SLA")
        ATTACHMENT = "attachment", _("Attachment")
        NOTE = "note", _("Note")

    id = models.BigAutoField(primary_key=True)
    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="events", verbose_name=_("work order"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("actor"))
    actor_label = models.CharField(_("actor label"), max_length=100, blank=True)
    from_state = models.CharField(_("from"), max_length=20, blank=True)
    to_state = models.CharField(_("to"), max_length=20, blank=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    owner_visible = models.BooleanField(_("visible to the owner"), default=False)
    created_at = models.DateTimeField(_("server time"))
    device_at = models.DateTimeField(_("device time"), null=True, blank=True)

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind} {self.from_state}->{self.to_state}"


class Comment(SyncTracked):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="comments", verbose_name=_("work order"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
                               verbose_name=_("author"))
    # A homeowner's message from the portal has no staff author: it names the owner (or only the phone
    # that was verified, for a public-area report by someone who is not a registered owner).
    author_owner = models.ForeignKey("properties.Owner", on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("author (owner)"))
    from_owner = models.BooleanField(_("from the owner"), default=False)
    body = models.TextField(_("text"))
    owner_visible = models.BooleanField(_("visible to the owner"), default=False)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.body[:40]


class PartUsage(SyncTracked):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="parts", verbose_name=_("work order"))
    name = models.CharField(_("part"), max_length=100)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=2)
    unit_price_yuan = models.DecimalField(_("unit price (¥)"), max_digits=12, decimal_places=2)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
                                 verbose_name=_("added by"))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("part used")
        verbose_name_plural = _("parts used")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="part_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price_yuan__gte=0), name="part_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.name} × {self.quantity}"


class LabourLine(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="labour", verbose_name=_("work order"))
    description = models.CharField(_("work done"), max_length=200)
    minutes = models.PositiveIntegerField(_("minutes"))
    amount_yuan = models.DecimalField(_("amount (¥)"), max_digits=12, decimal_places=2)
    technician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
                                   verbose_name=_("technician"))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("labour line")
        verbose_name_plural = _("labour lines")
        constraints = [models.CheckConstraint(condition=Q(amount_yuan__gte=0), name="labour_amount_not_negative")]

    def __str__(self) -> str:
        return self.description


class Assignment(models.Model):
    """Assignment history: who held the order, from when to when, how they got it and why."""

    class Method(models.TextChoices):
        ROUTING = "routing", _("Routing rules")
        DISPATCHER = "dispatcher", _("Dispatcher")
        GRAB = "grab", _("Grab pool")
        FALLBACK = "fallback", _("Grab-pool fallback")

    id = models.BigAutoField(primary_key=True)
    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="assignments",
                              verbose_name=_("work order"))
    team = models.ForeignKey("accounts.Team", on_delete=models.SET_NULL, null=True, related_name="+",
                             verbose_name=_("team"))
    # Indexed by (technician, started_at) in Meta only: a technician_id index of its own was
    # redundant, and with stale statistics the planner took it for the snapshot's "latest
    # assignment" and sorted all of a technician's assignments instead of reading one entry.
    technician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
                                   verbose_name=_("technician"), db_index=False)
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
                                    verbose_name=_("assigned by"))
    started_at = models.DateTimeField(_("from"))
    ended_at = models.DateTimeField(_("to"), null=True, blank=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["id"]
        # Routing's candidate snapshot reads each technician's latest assignment.
        indexes = [models.Index(fields=["technician", "started_at"], name="workorders_asg_tech_started")]

    def __str__(self) -> str:
        return f"{self.order_id} → {self.technician_id or self.team_id}"


class Attachment(SyncTracked):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="attachments",
                              verbose_name=_("work order"))
    file = models.FileField(_("file"), upload_to="attachments/%Y/%m/")
    thumbnail = models.FileField(_("thumbnail"), upload_to="thumbnails/%Y/%m/", blank=True)
    content_type = models.CharField(_("content type"), max_length=50)
    size_bytes = models.PositiveIntegerField(_("size (bytes)"))
    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    original_name = models.CharField(_("original name"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
                                    verbose_name=_("uploaded by"))
    owner_visible = models.BooleanField(_("visible to the owner"), default=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        constraints = [models.UniqueConstraint(fields=["order", "sha256"], name="uniq_attachment_per_order")]

    def __str__(self) -> str:
        return self.original_name or self.sha256[:12]


class RoutingCursor(models.Model):
    """Round-robin position per team, passed to the engine and stored back under a row lock."""

    team_code = models.CharField(_("team"), max_length=50, primary_key=True)
    cursor = models.CharField(_("cursor"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("routing cursor")
        verbose_name_plural = _("routing cursors")

    def __str__(self) -> str:
        return f"{self.team_code}: {self.cursor}"


class GrabOffer(models.Model):
    """An order offered to a pool of technicians (抢单). Exactly one grab wins, by conditional update."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        TAKEN = "taken", _("Taken")
        EXPIRED = "expired", _("Expired")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="grab_offers",
                              verbose_name=_("work order"))
    team_code = models.CharField(_("team"), max_length=50)
    rule_code = models.CharField(_("rule"), max_length=50)
    rule_name = models.CharField(_("rule name"), max_length=100)
    candidate_ids = models.JSONField(_("offered to"), default=list)
    required_skills = models.JSONField(_("required skills"), default=dict)
    max_open_load = models.PositiveIntegerField(_("load cap"), null=True, blank=True)
    max_distance_km = models.FloatField(_("distance cap (km)"), null=True, blank=True)
    fallback = models.CharField(_("fallback strategy"), max_length=30)
    definitions_version = models.CharField(_("rules version"), max_length=64)
    offered_at = models.DateTimeField(_("offered at"))
    expires_at = models.DateTimeField(_("expires at"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    taken_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("taken by"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("grab offer")
        verbose_name_plural = _("grab offers")
        constraints = [
            models.UniqueConstraint(fields=["order"], condition=Q(status="open"), name="one_open_grab_offer_per_order"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.status}"


class SlaClockEvent(models.Model):
    """What the SLA clocks of an order are computed from (append-only, replayed by the engine)."""

    id = models.BigAutoField(primary_key=True)
    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="sla_events",
                              verbose_name=_("work order"))
    kind = models.CharField(_("kind"), max_length=30)
    at = models.DateTimeField(_("at"))
    category_code = models.CharField(_("category"), max_length=50, blank=True)
    priority = models.CharField(_("priority"), max_length=2, blank=True)
    reason = models.CharField(_("pause reason"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("SLA clock event")
        verbose_name_plural = _("SLA clock events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class SlaDeadline(models.Model):
    """The current deadline of one target (response, arrival, resolution) of one cycle of an order."""

    id = models.BigAutoField(primary_key=True)
    # Indexed by the unique (order, cycle, target) constraint, which leads with the order.
    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="sla_deadlines",
                              verbose_name=_("work order"), db_index=False)
    cycle = models.PositiveSmallIntegerField(_("cycle"))
    target = models.CharField(_("target"), max_length=20)
    policy_code = models.CharField(_("policy"), max_length=50)
    duration_seconds = models.PositiveIntegerField(_("target (business seconds)"))
    deadline_at = models.DateTimeField(_("deadline"), null=True, blank=True, db_index=True)
    met_at = models.DateTimeField(_("met at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)

    class Meta:
        verbose_name = _("SLA deadline")
        verbose_name_plural = _("SLA deadlines")
        constraints = [models.UniqueConstraint(fields=["order", "cycle", "target"], name="uniq_sla_deadline")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.target}#{self.cycle}"


class SlaAlert(models.Model):
    """One rung of the alert ladder for one order × target × level: fired exactly once (``sent_at``)."""

    id = models.BigAutoField(primary_key=True)
    # Indexed by the unique (order, key) constraint, which leads with the order.
    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="sla_alerts",
                              verbose_name=_("work order"), db_index=False)
    key = models.CharField(_("key"), max_length=100)
    cycle = models.PositiveSmallIntegerField(_("cycle"))
    target = models.CharField(_("target"), max_length=20)
    level = models.CharField(_("level"), max_length=30)
    notify = models.CharField(_("notify"), max_length=40)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    recipients = models.JSONField(_("recipients"), default=list, blank=True)

    class Meta:
        verbose_name = _("SLA alert")
        verbose_name_plural = _("SLA alerts")
        constraints = [models.UniqueConstraint(fields=["order", "key"], name="uniq_sla_alert_key")]
        indexes = [models.Index(fields=["sent_at", "due_at"])]

    def __str__(self) -> str:
        return f"{self.order_id} {self.key}"


class Notification(models.Model):
    """A message to one staff user (in-app inbox, pushed live). Outbound channels read from here."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications",
                             verbose_name=_("user"))
    template = models.CharField(_("template"), max_length=50)
    context = models.JSONField(_("context"), default=dict)
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.template}"


class ApprovalInstance(models.Model):
    """One approval of one cost estimate; ``state`` is the engine's state, replaced on every event."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="approvals",
                              verbose_name=_("work order"))
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("requested by"))
    amount_yuan = models.DecimalField(_("amount (¥)"), max_digits=12, decimal_places=2)
    graph_code = models.CharField(_("approval graph"), max_length=50)
    status = models.CharField(_("status"), max_length=20)
    state = models.JSONField(_("engine state"))
    revision = models.PositiveIntegerField(_("revision"), default=1)
    timeout_step = models.PositiveSmallIntegerField(_("timeout step"), null=True, blank=True)
    timeout_due_at = models.DateTimeField(_("timeout due at"), null=True, blank=True, db_index=True)
    opened_at = models.DateTimeField(_("opened at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        constraints = [
            models.UniqueConstraint(fields=["order"], condition=Q(status="in_progress"),
                                    name="one_open_approval_per_order"),
            models.CheckConstraint(condition=Q(amount_yuan__gte=0), name="approval_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.amount_yuan} {self.status}"


class ApprovalPending(models.Model):
    """Who must act now on an approval: the rows behind each approver's inbox."""

    id = models.BigAutoField(primary_key=True)
    approval = models.ForeignKey(ApprovalInstance, on_delete=models.CASCADE, related_name="pending",
                                 verbose_name=_("approval"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="approval_inbox",
                             verbose_name=_("approver"))
    step = models.PositiveSmallIntegerField(_("step"))

    class Meta:
        verbose_name = _("pending approval")
        verbose_name_plural = _("pending approvals")
        constraints = [models.UniqueConstraint(fields=["approval", "user"], name="uniq_pending_approver")]

    def __str__(self) -> str:
        return f"{self.approval_id} → {self.user_id}"


class ApprovalStandIn(models.Model):
    """While an approver is away (leave, a site trip), the approvals that wait on them go to a stand-in."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="approval_absences",
                             verbose_name=_("approver"))
    stand_in = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="approval_stand_ins",
                                 verbose_name=_("stand-in"))
    starts_at = models.DateTimeField(_("away from"))
    ends_at = models.DateTimeField(_("away until"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("approval stand-in")
        verbose_name_plural = _("approval stand-ins")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="stand_in_period_forward"),
            models.CheckConstraint(condition=~Q(user=models.F("stand_in")), name="stand_in_not_self"),
        ]
        indexes = [models.Index(fields=["user", "ends_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.stand_in_id} ({self.starts_at:%Y-%m-%d} – {self.ends_at:%Y-%m-%d})"


class OwnerQuote(models.Model):
    """A paid-service quote for an out-of-warranty repair, which the homeowner accepts or refuses."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting the owner")
        ACCEPTED = "accepted", _("Accepted")
        REFUSED = "refused", _("Refused")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="owner_quotes",
                              verbose_name=_("work order"))
    amount_yuan = models.DecimalField(_("amount (¥)"), max_digits=12, decimal_places=2)
    note = models.CharField(_("what it covers"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("quoted by"))
    created_at = models.DateTimeField(_("created at"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.CharField(_("owner's reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("paid-service quote")
        verbose_name_plural = _("paid-service quotes")
        constraints = [
            models.UniqueConstraint(fields=["order"], condition=Q(status="pending"), name="one_pending_quote_per_order"),
            models.CheckConstraint(condition=Q(amount_yuan__gt=0), name="owner_quote_amount_positive"),
            models.CheckConstraint(condition=Q(status__in=["pending", "accepted", "refused", "withdrawn"]),
                                   name="owner_quote_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} ¥{self.amount_yuan} {self.status}"
