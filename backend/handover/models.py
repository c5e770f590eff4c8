"""Handover (交房): batches of units, appointment slots, inspections (验房) whose defects are work
orders, keys and meter readings, and the first service tasks opened at completion."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from backend.properties.models import Building, Project, Unit

USER = settings.AUTH_USER_MODEL


class Batch(models.Model):
    """A handover batch of one building (or phase) over a date range."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="handover_batches")
    building = models.ForeignKey(Building, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="handover_batches")
    name = models.CharField(_("name"), max_length=100)
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("to"))
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["-start_date", "name"]
        constraints = [models.CheckConstraint(condition=Q(end_date__gte=F("start_date")),
                                              name="handover_batch_dates_ordered")]

    def __str__(self) -> str:
        return self.name


class ItemStatus(models.TextChoices):
    INVITED = "invited", _("Invited")
    BOOKED = "booked", _("Appointment booked")
    INSPECTING = "inspecting", _("Inspecting")
    COMPLETED = "completed", _("Handed over")
    REFUSED = "refused", _("Refused by the owner")


OPEN_ITEM_STATUSES = (ItemStatus.INVITED, ItemStatus.BOOKED, ItemStatus.INSPECTING)


class Item(models.Model):
    """One unit in a batch: who is invited (the contract's buyers, or an imported row) and where it stands."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="items")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="handover_items")
    contract_id = models.UUIDField(_("sales contract"), null=True, blank=True)
    buyers = models.JSONField(_("buyers"), default=list)
    phone = models.CharField(_("phone (E.164)"), max_length=20)
    invite_token = models.CharField(max_length=43, unique=True)
    status = models.CharField(max_length=20, choices=ItemStatus.choices, default=ItemStatus.INVITED)
    # Refusal: reason codes and the officer's note, rendered in the reader's language.
    refusal_reasons = models.JSONField(default=list, blank=True)
    refusal_note = models.CharField(max_length=500, blank=True)
    documents = models.JSONField(_("documents handed"), default=list, blank=True)
    handover_date = models.DateField(_("handover date"), null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["unit__building__code", "unit__floor", "unit__number"]
        constraints = [
            models.UniqueConstraint(fields=["unit"], condition=Q(status__in=["invited", "booked", "inspecting"]),
                                    name="one_open_handover_per_unit"),
            models.CheckConstraint(condition=Q(status__in=ItemStatus.values), name="handover_item_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} · {self.status}"


class Slot(models.Model):
    """An appointment slot of a batch; ``booked`` never exceeds ``capacity`` (a check constraint)."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    capacity = models.PositiveSmallIntegerField()
    booked = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(booked__lte=F("capacity")), name="handover_slot_not_overbooked"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="handover_slot_ordered"),
            models.UniqueConstraint(fields=["batch", "starts_at"], name="uniq_handover_slot_start"),
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M} ({self.booked}/{self.capacity})"


class Appointment(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="appointments")
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="appointments")
    created_at = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item"], condition=Q(cancelled_at__isnull=True),
                                               name="one_live_appointment_per_item")]

    def __str__(self) -> str:
        return f"{self.item_id} @ {self.slot_id}"


class ChecklistTemplate(models.Model):
    """The inspection checklist of a unit type (户型): ``items`` is ``[{"room": ..., "item": ...}]``."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="handover_checklists")
    layout = models.CharField(max_length=50, blank=True)  # blank: the project's default
    items = models.JSONField(default=list)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "layout"], name="uniq_checklist_layout")]

    def __str__(self) -> str:
        return f"{self.project_id} {self.layout or '*'}"


class Inspection(models.Model):
    item = models.OneToOneField(Item, on_delete=models.CASCADE, related_name="inspection")
    started_at = models.DateTimeField()
    started_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(null=True, blank=True)
    signature = models.FileField(upload_to="handover/signatures/", blank=True)

    def __str__(self) -> str:
        return f"inspection {self.item_id}"


class LineResult(models.TextChoices):
    PENDING = "pending", _("Not checked")
    OK = "ok", _("OK")
    DEFECT = "defect", _("Defect")


class InspectionLine(models.Model):
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="lines")
    seq = models.PositiveSmallIntegerField()
    room = models.CharField(max_length=50)
    item = models.CharField(max_length=100)
    result = models.CharField(max_length=10, choices=LineResult.choices, default=LineResult.PENDING)

    class Meta:
        ordering = ["seq"]
        constraints = [models.UniqueConstraint(fields=["inspection", "seq"], name="uniq_inspection_line")]

    def __str__(self) -> str:
        return f"{self.room} · {self.item}"


class Defect(models.Model):
    """A defect found at inspection; it IS a work order (channel ``handover_inspection``)."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="defects")
    line = models.ForeignKey(InspectionLine, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    order = models.OneToOneField("workorders.WorkOrder", on_delete=models.PROTECT, related_name="handover_defect")
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"defect {self.order_id}"


class KeyKind(models.TextChoices):
    DOOR = "door", _("Door key")
    MAILBOX = "mailbox", _("Mailbox key")
    ACCESS_CARD = "access_card", _("Access card")
    OTHER = "other", _("Other")


class KeyHanded(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="keys")
    kind = models.CharField(max_length=20, choices=KeyKind.choices)
    count = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "kind"], name="uniq_key_kind"),
                       models.CheckConstraint(condition=Q(count__gte=1), name="key_count_positive")]

    def __str__(self) -> str:
        return f"{self.kind} × {self.count}"


class Meter(models.TextChoices):
    WATER = "water", _("Water")
    ELECTRICITY = "electricity", _("Electricity")
    GAS = "gas", _("Gas")


class MeterReading(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="readings")
    meter = models.CharField(max_length=20, choices=Meter.choices)
    reading = models.DecimalField(max_digits=10, decimal_places=2)
    photo = models.FileField(upload_to="handover/meters/", blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "meter"], name="uniq_meter_reading"),
                       models.CheckConstraint(condition=Q(reading__gte=0), name="meter_reading_positive")]

    def __str__(self) -> str:
        return f"{self.meter} {self.reading}"


class FirstTaskRule(models.Model):
    """A service task opened at completion, per project: e.g. a follow-up visit 30 days after handover."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="handover_task_rules")
    kind = models.CharField(max_length=40)
    days_after = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "kind"], name="uniq_first_task_kind")]

    def __str__(self) -> str:
        return f"{self.kind} +{self.days_after}d"


class ServiceTask(models.Model):
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="service_tasks")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="tasks")
    kind = models.CharField(max_length=40)
    due_date = models.DateField()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_date"]
        constraints = [models.UniqueConstraint(fields=["item", "kind"], name="uniq_service_task")]

    def __str__(self) -> str:
        return f"{self.kind} {self.due_date}"
