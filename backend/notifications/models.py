"""Targets of outbound notifications (webhook endpoints, group robots) and the delivery log.

A ``Delivery`` is one event (or one text message) for one target. Its ``next_attempt_at`` is the
instant from which a worker may claim it: for a row being sent it is the end of the claim's lease,
so a row whose worker died is claimed again once the lease runs out.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

ALL_EVENTS = "*"
ERROR_MAX_CHARS = 1000


def generate_secret() -> str:
    return secrets.token_urlsafe(32)


def validate_event_types(value: Any) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise ValidationError(_('Enter a list of event types, for example ["order.changed", "sla.alert"].'))


def subscribes(event_types: Any, event_type: str) -> bool:
    """Whether a target with these ``event_types`` (its JSON list) receives ``event_type``."""
    return isinstance(event_types, list) and (event_type in event_types or ALL_EVENTS in event_types)


class Subscriber(models.Model):
    name = models.CharField(_("name"), max_length=100)
    event_types = models.JSONField(_("event types"), default=list, blank=True, validators=[validate_event_types],
                                   help_text=_('Events to send, for example ["order.changed", "sla.alert"]; '
                                               '"*" for all.'))
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    def subscribes_to(self, event_type: str) -> bool:
        return subscribes(self.event_types, event_type)


class WebhookEndpoint(Subscriber):
    """An HTTPS endpoint of a customer's system; every request is signed with ``secret``."""

    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=100, default=generate_secret)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["name"]


class RobotChannel(Subscriber):
    """A WeCom (企业微信) or DingTalk (钉钉) group robot."""

    class Kind(models.TextChoices):
        WECOM = "wecom", _("WeCom group robot")
        DINGTALK = "dingtalk", _("DingTalk group robot")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    webhook_url = models.URLField(_("robot webhook URL"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=200, blank=True,
                              help_text=_("DingTalk only: the secret of the robot's signed mode (starts with SEC)."))

    class Meta:
        verbose_name = _("group robot")
        verbose_name_plural = _("group robots")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=["wecom", "dingtalk"]),
                                   name="notifications_robot_kind_valid"),
        ]

    def clean(self) -> None:
        if self.secret and self.kind == self.Kind.WECOM:
            raise ValidationError({"secret": _("WeCom robots have no signed mode; leave the secret empty.")})


class Delivery(models.Model):
    class TargetKind(models.TextChoices):
        WEBHOOK = "webhook", _("webhook")
        WECOM = "wecom", _("WeCom robot")
        DINGTALK = "dingtalk", _("DingTalk robot")
        SMS = "sms", _("text message")

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed, will retry")
        DEAD = "dead", _("given up")

    FINAL = (Status.SENT, Status.DEAD)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    target_kind = models.CharField(_("target kind"), max_length=10, choices=TargetKind.choices)
    # The endpoint's or robot's primary key, or the phone number (E.164) of a text message.
    target_id = models.CharField(_("target"), max_length=64)
    event_type = models.CharField(_("event type"), max_length=64)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200)
    payload = models.JSONField(_("payload"), default=dict, encoder=DjangoJSONEncoder)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    # When a task for this row was last put on the queue; the beat re-queues only rows nobody queued lately.
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=ERROR_MAX_CHARS, blank=True)
    provider_message_id = models.CharField(_("provider message id"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["target_kind", "target_id", "idempotency_key"],
                                    name="notifications_delivery_once_per_target"),
            models.CheckConstraint(condition=models.Q(status__in=["pending", "sending", "sent", "failed", "dead"]),
                                   name="notifications_delivery_status_valid"),
            models.CheckConstraint(condition=models.Q(target_kind__in=["webhook", "wecom", "dingtalk", "sms"]),
                                   name="notifications_delivery_target_kind_valid"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notif_delivery_due_idx")]

    def __str__(self) -> str:
        # No phone number here: the admin shows this text in lists.
        target = self.target_kind if self.target_kind == self.TargetKind.SMS else f"{self.target_kind}:{self.target_id}"
        return f"{self.event_type} → {target} ({self.status})"


def truncate_error(text: str) -> str:
    return text if len(text) <= ERROR_MAX_CHARS else text[: ERROR_MAX_CHARS - 1] + "…"
