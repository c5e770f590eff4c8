"""SMS backends for tests, chosen through settings.SMS_BACKEND like a real provider's."""

from __future__ import annotations

from typing import Any

from backend.notifications.errors import SmsSendFailed

sent: list[dict[str, Any]] = []


class RecordingSmsBackend:
    def send(self, *, phone_e164: str, template: str, params: dict[str, Any]) -> str:
        sent.append({"phone_e164": phone_e164, "template": template, "params": params})
        return f"rec-{len(sent)}"


class RefusingSmsBackend:
    """The provider says the number is blacklisted: no retry will help."""

    def send(self, *, phone_e164: str, template: str, params: dict[str, Any]) -> str:
        raise SmsSendFailed(retryable=False, details={"provider_code": "isv.MOBILE_NUMBER_ILLEGAL"})


class UnreachableSmsBackend:
    def send(self, *, phone_e164: str, template: str, params: dict[str, Any]) -> str:
        raise SmsSendFailed(retryable=True, details={"provider_code": "timeout"})


class BrokenSmsBackend:
    def send(self, *, phone_e164: str, template: str, params: dict[str, Any]) -> str:
        raise KeyError("a bug in the backend")
