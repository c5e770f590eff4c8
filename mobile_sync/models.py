from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# A seen_stamp that matches no row: the next pull sends the record again (the device holds a version the
# server did not accept, or one it cannot name).
RESEND = -1
# Unconfirmed pulls kept per device: a phone that loses this many answers in a row pulls from its confirmed
# state still; only a pull older than these cannot be confirmed any more (its device then syncs from the
# confirmed state, which it held before).
MAX_PENDING = 8


if TYPE_CHECKING:
    _TextField = models.TextField[dict[str, int], dict[str, int]]
else:
    _TextField = models.TextField


class RecordSetField(_TextField):
    """``{record id: stamp}`` (or a pull's delta of them) kept as compact JSON text, encoded and decoded by orjson.

    Not ``jsonb``: nothing queries inside a record set, and a first pull of 10 000 orders writes three sets
    of 10 000 entries, whose ``jsonb`` parsing and compression cost more than the rest of the save.
    """

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return None if value is None else orjson.loads(value)

    def to_python(self, value: Any) -> Any:
        return orjson.loads(value) if isinstance(value, str) else value

    def get_prep_value(self, value: Any) -> Any:
        return None if value is None else orjson.dumps(value).decode()

    def get_placeholder(self, value: Any, compiler: Any, connection: Any) -> str:
        # Defining this keeps a bulk upsert of record sets a VALUES list (each set one parameter, escaped by
        # the driver in C) instead of PostgreSQL's UNNEST of an array literal, escaped quote by quote in Python.
        return "%s"


class DeviceTable(models.Model):
    """The records one device holds of one table, with the sync stamp of the version it has.

    What an incremental pull sends as ``updated`` (never ``created``), what it must tell the device to
    delete when a record leaves the scope, and what a push compares against to detect conflicts. One
    row per device and table (``{record id: stamp}``) keeps a pull of 30 000 rows to one write per table.
    """

    id = models.BigAutoField(primary_key=True)
    device = models.ForeignKey("accounts.DeviceToken", on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("device"))
    table = models.CharField(_("table"), max_length=40)
    records = RecordSetField(_("records held"), default=dict)

    class Meta:
        verbose_name = _("device record set")
        verbose_name_plural = _("device record sets")
        constraints = [models.UniqueConstraint(fields=["device", "table"], name="uniq_device_table")]

    def __str__(self) -> str:
        return f"{self.device_id} {self.table} ({len(self.records)})"


class DeviceCursor(models.Model):
    """A device's pull cursors: the one it last confirmed (presented back), the last one issued to it.

    Locked by every pull and push of the device, so two syncs of one device never interleave. ``conflicts``
    names the records (``"table:id"``) of the device's last push that answered 409: the next push that
    writes one of them is a merge, and its timeline event says so.
    """

    device = models.OneToOneField("accounts.DeviceToken", on_delete=models.CASCADE, primary_key=True,
                                  related_name="+", verbose_name=_("device"))
    confirmed = models.BigIntegerField(_("confirmed cursor"), null=True)
    issued = models.BigIntegerField(_("last issued cursor"), null=True)
    conflicts = models.JSONField(_("records of the last conflict"), default=list, blank=True)

    class Meta:
        verbose_name = _("device cursor")
        verbose_name_plural = _("device cursors")

    def __str__(self) -> str:
        return f"{self.device_id} confirmed {self.confirmed} issued {self.issued}"


class DevicePull(models.Model):
    """A pull answered but not yet confirmed: what the device will hold once it presents ``cursor``.

    ``delta`` is ``{table: {record id: stamp, or null when the pull deleted it}}`` against the device's
    confirmed record sets (all of them, when ``replace``: a first pull). Kept until the device presents one of
    its cursors (then that one is applied and the others dropped), at most ``MAX_PENDING`` per device.
    """

    id = models.BigAutoField(primary_key=True)
    device = models.ForeignKey("accounts.DeviceToken", on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("device"))
    cursor = models.BigIntegerField(_("cursor"))
    replace = models.BooleanField(_("replaces the record sets"), default=False)
    delta = RecordSetField(_("changes sent"), default=dict)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("unconfirmed pull")
        verbose_name_plural = _("unconfirmed pulls")
        constraints = [models.UniqueConstraint(fields=["device", "cursor"], name="uniq_device_pull_cursor")]

    def __str__(self) -> str:
        return f"{self.device_id} @{self.cursor}"


class SyncEvent(models.Model):
    """A state change a device recorded offline, replayed through the state machine; kept whether it was
    applied or refused (a refusal goes back to the device with its reason)."""

    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        REFUSED = "refused", _("Refused")

    id = models.BigAutoField(primary_key=True)
    device = models.ForeignKey("accounts.DeviceToken", on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("device"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("technician"))
    client_id = models.CharField(_("client id"), max_length=64)
    order = models.ForeignKey("workorders.WorkOrder", on_delete=models.CASCADE, null=True, related_name="sync_events",
                              verbose_name=_("work order"))
    order_sync_id = models.CharField(_("work order sync id"), max_length=64)
    from_state = models.CharField(_("from"), max_length=20, blank=True)
    to_state = models.CharField(_("to"), max_length=20)
    device_at = models.DateTimeField(_("device time"), null=True)
    note = models.TextField(_("note"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    reason_code = models.CharField(_("reason code"), max_length=60, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    server_at = models.DateTimeField(_("server time"))
    sync_stamp = models.BigIntegerField(_("sync stamp"), default=0, editable=False, db_index=True)

    class Meta:
        verbose_name = _("offline state event")
        verbose_name_plural = _("offline state events")
        constraints = [models.UniqueConstraint(fields=["device", "client_id"], name="uniq_sync_event_per_device")]

    def __str__(self) -> str:
        return f"{self.client_id} {self.from_state}->{self.to_state} {self.status}"


class PushReceipt(models.Model):
    """The answer to a push batch, kept so that the same batch sent again changes nothing twice."""

    id = models.BigAutoField(primary_key=True)
    device = models.ForeignKey("accounts.DeviceToken", on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("device"))
    batch_sha256 = models.CharField(_("batch SHA-256"), max_length=64)
    result = models.JSONField(_("result"))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("push receipt")
        verbose_name_plural = _("push receipts")
        constraints = [models.UniqueConstraint(fields=["device", "batch_sha256"], name="uniq_push_receipt")]

    def __str__(self) -> str:
        return f"{self.device_id} {self.batch_sha256[:12]}"
