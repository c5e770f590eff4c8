"""Text messages: the backend interface, the templates, and the log backend of the embedded mode.

The backend is chosen by the dotted path ``settings.SMS_BACKEND``. A provider backend (Aliyun,
Tencent Cloud...) maps each template *variant* (``sms_variant``: the template name, or
``<name>:without_<param>`` when an optional param is empty) to the provider's approved template
code and passes the params; the log backend renders the text itself and writes it to the
``anxin.sms`` logger. Text to owners never carries a placeholder such as "-": a template with an
optional param has a wording without it, chosen when the param is empty.
Messages are rendered in the language active when ``send`` is called (the delivery's language).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from backend.notifications.errors import MissingSmsParams, UnknownSmsTemplate
from backend.properties.identity import mask_phone

DEFAULT_BACKEND = "backend.notifications.sms.LogSmsBackend"
REDACTED = "******"

logger = logging.getLogger("anxin.sms")


@dataclass(frozen=True)
class SmsTemplate:
    text: Promise
    params: tuple[str, ...]
    # Params removed from the delivery log once the message is sent or given up (one-time codes).
    secret_params: tuple[str, ...] = ()
    # A param that may be empty, and the wording used without it (say, a technician with no phone).
    optional_param: str = ""
    text_without: Promise | None = None

    @property
    def all_params(self) -> tuple[str, ...]:
        return (*self.params, self.optional_param) if self.optional_param else self.params


SIGNATURE = _("[Anxin] ")

# One wording in every template: "your repair request <number>" (您的报修单<number>), the
# "technician" (维修工程师), no placeholders.
SMS_TEMPLATES: dict[str, SmsTemplate] = {
    "order_accepted": SmsTemplate(
        _("Your repair request %(number)s has been accepted. We will arrange a technician for you soon."),
        ("number",)),
    "technician_assigned": SmsTemplate(
        _("Technician %(technician)s (tel. %(technician_phone)s) will handle your repair request %(number)s."),
        ("number", "technician"), optional_param="technician_phone",
        text_without=_("Technician %(technician)s will handle your repair request %(number)s.")),
    "technician_on_the_way": SmsTemplate(
        _("The technician for your repair request %(number)s is on the way. Follow it at %(url)s"),
        ("number", "url")),
    "order_cancelled": SmsTemplate(
        _("Your repair request %(number)s has been cancelled. Call customer service if this is unexpected."),
        ("number",)),
    "order_rejected": SmsTemplate(
        _("Your repair request %(number)s could not be accepted. Customer service will call you to explain."),
        ("number",)),
    "quote_ready": SmsTemplate(
        _("Your repair request %(number)s is not covered by the warranty. A quote of %(amount)s yuan awaits your "
          "decision at %(url)s"),
        ("number", "amount", "url")),
    "message_reply": SmsTemplate(
        _("Customer service replied about your repair request %(number)s: see %(url)s"),
        ("number", "url")),
    "order_completed": SmsTemplate(
        _("Your repair request %(number)s has been completed. Please rate our service."),
        ("number",)),
    "handover_invite": SmsTemplate(
        _("Your home at %(project)s is ready for handover. Pick your appointment at %(url)s"),
        ("project", "url")),
    "handover_reminder": SmsTemplate(
        _("Reminder: your home handover appointment is at %(time)s. Please bring your ID card."),
        ("time",)),
    "otp_code": SmsTemplate(
        _("Your verification code is %(code)s, valid for %(minutes)s minutes. Do not share it with anyone."),
        ("code", "minutes"), secret_params=("code",)),
}


def sms_template(name: str) -> SmsTemplate:
    try:
        return SMS_TEMPLATES[name]
    except KeyError:
        raise UnknownSmsTemplate(details={"template": name, "known": sorted(SMS_TEMPLATES)}) from None


def sms_check_params(*, template: str, params: dict[str, Any]) -> None:
    missing = [name for name in sms_template(template).params if params.get(name) in (None, "")]
    if missing:
        raise MissingSmsParams(details={"template": template, "missing": missing})


def _without_optional(spec: SmsTemplate, params: dict[str, Any]) -> bool:
    return bool(spec.optional_param) and params.get(spec.optional_param) in (None, "")


def sms_variant(*, template: str, params: dict[str, Any]) -> str:
    """The wording ``params`` call for: the template's name, or ``<name>:without_<param>``."""
    spec = sms_template(template)
    return f"{template}:without_{spec.optional_param}" if _without_optional(spec, params) else template


def sms_render(*, template: str, params: dict[str, Any]) -> str:
    """The full text in the active language, signature first (【安心】 in Chinese)."""
    sms_check_params(template=template, params=params)
    spec = sms_template(template)
    if _without_optional(spec, params):
        values = {name: str(params[name]) for name in spec.params}
        return f"{SIGNATURE}{str(spec.text_without) % values}"
    values = {name: str(params[name]) for name in spec.all_params}
    return f"{SIGNATURE}{str(spec.text) % values}"


def sms_redact(*, template: str, params: dict[str, Any]) -> dict[str, Any]:
    secret = SMS_TEMPLATES[template].secret_params if template in SMS_TEMPLATES else ()
    return {key: (REDACTED if key in secret else value) for key, value in params.items()}


class SmsBackend(Protocol):
    def send(self, *, phone_e164: str, template: str, params: dict[str, Any]) -> str:
        """Sends one message and returns the provider's message id.

        Raises ``SmsSendFailed(retryable=...)`` when the provider refuses or cannot be reached.
        """
        ...


class LogSmsBackend:
    """Embedded mode: the message goes to the ``anxin.sms`` log instead of a phone."""

    def send(self, *, phone_e164: str, template: str, params: dict[str, Any]) -> str:
        message_id = f"log-{uuid.uuid4().hex[:16]}"
        logger.info("SMS %s to %s [%s]: %s", message_id, mask_phone(phone_e164), template,
                    sms_render(template=template, params=params))
        return message_id


def sms_backend() -> SmsBackend:
    backend_class = import_string(getattr(settings, "SMS_BACKEND", DEFAULT_BACKEND))
    return backend_class()  # type: ignore[no-any-return]
