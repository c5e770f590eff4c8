"""WeCom (企业微信) and DingTalk (钉钉) group robots: the markdown message and the vendors' answers.

Both vendors answer HTTP 200 even when they refuse a message; the JSON body's ``errcode`` (0 for
success) decides. Messages are rendered in ``settings.LANGUAGE_CODE`` (Chinese by default).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# WeCom refuses markdown content above 4096 bytes (UTF-8); DingTalk's limit is larger.
MAX_CONTENT_BYTES = 4000

EVENT_TITLES = {
    "order.changed": _("Work order %(number)s updated"),
    "sla.alert": _("SLA alert on work order %(number)s"),
}

# Payload keys shown as "label: value" lines, in this order.
FIELD_LABELS = (
    ("summary", _("Summary")),
    ("state", _("State")),
    ("kind", _("Change")),
    ("target", _("SLA target")),
    ("level", _("Alert level")),
    ("project", _("Project")),
    ("at", _("Time")),
)


def _display(value: Any) -> str:
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
        return value
    return str(value)


def _truncate_utf8(text: str, limit: int) -> str:
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text
    return raw[: limit - 3].decode("utf-8", "ignore") + "…"


def robot_markdown(*, event_type: str, payload: dict[str, Any], line_break: str = "\n") -> tuple[str, str]:
    """(title, markdown text) for an event, in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        number = payload.get("number") or payload.get("order") or ""
        template = EVENT_TITLES.get(event_type)
        if template is not None:
            title = str(template) % {"number": number}
        else:
            title = gettext("Event %(type)s") % {"type": event_type}
        lines = [f"### {title}"]
        for key, label in FIELD_LABELS:
            if payload.get(key) not in (None, ""):
                lines.append(f"> **{label}**: {_display(payload[key])}")
        if payload.get("url"):
            open_label = gettext("Open")
            lines.append(f"[{open_label}]({payload['url']})")
    return title, _truncate_utf8(line_break.join(lines), MAX_CONTENT_BYTES)


def robot_body(*, kind: str, event_type: str, payload: dict[str, Any]) -> bytes:
    # DingTalk's markdown joins lines split by a single newline; WeCom keeps them.
    title, text = robot_markdown(event_type=event_type, payload=payload, line_break="\n" if kind == "wecom" else "\n\n")
    if kind == "wecom":
        message: dict[str, Any] = {"msgtype": "markdown", "markdown": {"content": text}}
    else:
        message = {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
    return json.dumps(message, ensure_ascii=False).encode("utf-8")


def robot_refusal(answer: bytes) -> str:
    """Why a robot refused a message answered with HTTP 200, or "" when it accepted it."""
    try:
        data = json.loads(answer.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return f"unexpected robot answer: {answer[:200]!r}"
    if not isinstance(data, dict) or "errcode" not in data:
        return f"unexpected robot answer: {answer[:200]!r}"
    if data["errcode"] == 0:
        return ""
    return f"errcode {data['errcode']}: {data.get('errmsg', '')}"
