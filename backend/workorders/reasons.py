"""Reasons stored as codes and params, rendered in the reader's language.

The rules engine (``workflows``) explains its decisions with stable codes and plain params
(``Reason(code, text, params)``; ``text`` is English, for logs), and the warranty verdict does
the same. They are stored as they are (``WorkOrder.routing_explanation``,
``WorkOrder.warranty_reasoning``) and translated here, when someone reads them: a Chinese
dispatcher reads Chinese whatever the language of whoever triggered the routing. Rows stored
before a code or a param existed fall back to the English text stored with them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from backend.workorders.definitions import active_definitions

logger = logging.getLogger(__name__)


def category_name(code: str) -> str:
    """A category's path of names in the active language (``水电 / 排水堵塞``); an unknown code as is."""
    definitions = active_definitions()
    if not code or code not in definitions.category_codes:
        return code
    english = (get_language() or "").startswith("en")
    names = []
    for step in definitions.category_path(code):
        category = definitions.category(step)
        names.append((category.name_en or category.name) if english else category.name)
    return " / ".join(names)


def _calendar_name(code: str) -> str:
    try:
        return str(active_definitions().calendar(code).name or code)
    except Exception:  # noqa: BLE001 — a calendar removed from the definitions since: its code
        return code


def _listed(values: Iterable[Any], show: Any = str) -> str:
    return _(", ").join(str(show(v)) for v in values)


STRATEGIES: dict[str, Any] = {
    "skills_match": gettext_lazy("skills match"),
    "least_loaded": gettext_lazy("least loaded"),
    "nearest": gettext_lazy("nearest"),
    "round_robin": gettext_lazy("round robin"),
    "grab": gettext_lazy("grab pool"),
}
WARRANTY_VERDICTS: dict[str, Any] = {
    "in": gettext_lazy("in warranty"), "out": gettext_lazy("out of warranty"), "unknown": gettext_lazy("unknown"),
}
WEEKDAYS: dict[str, Any] = {
    "mon": gettext_lazy("Monday"), "tue": gettext_lazy("Tuesday"), "wed": gettext_lazy("Wednesday"),
    "thu": gettext_lazy("Thursday"), "fri": gettext_lazy("Friday"), "sat": gettext_lazy("Saturday"),
    "sun": gettext_lazy("Sunday"),
}


def _strategy(code: Any) -> str:
    return str(STRATEGIES.get(str(code), code))


# --- the warranty verdict

WARRANTY_REASONS: dict[str, Any] = {
    "warranty.public_area": gettext_lazy("Public area: maintained by the developer"),
    "warranty.no_handover_date": gettext_lazy("The unit has no handover date"),
    "warranty.in": gettext_lazy("%(years)s-year warranty for %(category)s until %(ends)s"),
    "warranty.ended": gettext_lazy("%(years)s-year warranty for %(category)s ended %(ends)s"),
    "warranty.unmapped": gettext_lazy("Unknown: %(category)s is not mapped to a warranty component"),
    "warranty.acceptance_missing": gettext_lazy("Unknown — acceptance date missing"),
    "warranty.in_chain": gettext_lazy("Warranty for %(category)s until %(ends)s (%(chain)s decided; owner's "
                                      "period ends %(owner_end)s, contractor's %(contractor_end)s)"),
    "warranty.ended_chain": gettext_lazy("Warranty for %(category)s ended %(ends)s (%(chain)s decided; owner's "
                                         "period ended %(owner_end)s, contractor's %(contractor_end)s)"),
}
WARRANTY_CHAINS: dict[str, Any] = {"owner": gettext_lazy("the owner's period"),
                                   "contractor": gettext_lazy("the contractor's period")}


def warranty_reason_text(*, reasoning: Mapping[str, Any] | None, fallback: str) -> str:
    """The warranty verdict's reason in the active language; ``fallback`` (the stored English
    text) for orders taken before reasons had codes."""
    code = (reasoning or {}).get("code") or ""
    params = dict((reasoning or {}).get("params") or {})
    if code not in WARRANTY_REASONS:
        return fallback
    if "category" in params:
        params["category"] = category_name(str(params["category"]))
    if "chain" in params:
        params["chain"] = WARRANTY_CHAINS.get(str(params["chain"]), params["chain"])
    return _format(WARRANTY_REASONS[code], params, fallback)


def _format(message: Any, params: Mapping[str, Any], fallback: str) -> str:
    try:
        return str(message) % params if params else str(message)
    except (KeyError, ValueError, TypeError):
        logger.warning("reason %r lacks params: %r", str(message), params)
        return fallback


# --- routing: rules tried, notes, candidates

# code -> (wording when the condition holds, wording when it does not)
CONDITIONS: dict[str, tuple[Any, Any]] = {
    "rule.category": (gettext_lazy("category %(category)s is within %(within)s"),
                      gettext_lazy("category %(category)s is not within %(listed)s")),
    "rule.priority": (gettext_lazy("priority %(priority)s is one of %(listed)s"),
                      gettext_lazy("priority %(priority)s is not one of %(listed)s")),
    "rule.project": (gettext_lazy("project %(value)s is one of %(listed)s"),
                     gettext_lazy("project %(value)s is not one of %(listed)s")),
    "rule.building": (gettext_lazy("building %(value)s is one of %(listed)s"),
                      gettext_lazy("building %(value)s is not one of %(listed)s")),
    "rule.channel": (gettext_lazy("channel %(value)s is one of %(listed)s"),
                     gettext_lazy("channel %(value)s is not one of %(listed)s")),
    "rule.warranty": (gettext_lazy("warranty %(warranty)s is one of %(listed)s"),
                      gettext_lazy("warranty %(warranty)s is not one of %(listed)s")),
    "rule.keywords": (gettext_lazy("description contains %(found)s"),
                      gettext_lazy("description contains none of %(listed)s")),
    "rule.weekday": (gettext_lazy("%(weekday)s is one of %(listed)s"),
                     gettext_lazy("%(weekday)s is not one of %(listed)s")),
    "rule.hours": (gettext_lazy("%(time)s is within %(within)s"),
                   gettext_lazy("%(time)s is outside %(listed)s")),
}
CALENDAR_STATES = (gettext_lazy("calendar %(calendar)s is closed at %(time)s"),
                   gettext_lazy("calendar %(calendar)s is open at %(time)s"))
MESSAGES: dict[str, Any] = {
    "rule.default": gettext_lazy("no rule above matched; the default applies"),
    "routing.grab_pool_empty": gettext_lazy("nobody is eligible for the grab pool; used %(fallback)s"),
    "routing.grab_offered": gettext_lazy(
        "offered to %(count)s technician(s) for %(countdown_seconds)s s; then %(fallback)s"),
    "routing.grab_expired": gettext_lazy("nobody grabbed within %(waited_seconds)s s; used %(fallback)s"),
    "routing.nearest_nobody_in_reach": gettext_lazy(
        "nearest found no eligible technician with a known position in reach; used %(fallback)s"),
    "routing.site_without_position": gettext_lazy(
        "the site has no coordinates, so nearest cannot rank; used %(fallback)s"),
    "candidate.off_duty": gettext_lazy("off duty"),
    "candidate.at_capacity": gettext_lazy("%(open_load)s open orders, limit %(limit)s"),
    "candidate.no_position": gettext_lazy("no known position"),
    "candidate.invalid_position": gettext_lazy("position is not a valid coordinate"),
    "candidate.too_far": gettext_lazy("%(distance_km)s km away, limit %(limit_km)s km"),
    "candidate.load": gettext_lazy("open orders: %(open_load)s"),
    "candidate.skill_score": gettext_lazy("skill score %(score)s, open orders: %(open_load)s"),
    "candidate.distance": gettext_lazy("%(distance_km)s km away, open orders: %(open_load)s"),
    "candidate.rotation": gettext_lazy("position %(position)s in the rotation"),
    "candidate.grab_offered": gettext_lazy("offered in the grab pool"),
}
MISSING_SKILL = (gettext_lazy("no %(skill)s skill (needs level %(required)s)"),
                 gettext_lazy("skill %(skill)s at level %(has)s, needs %(required)s"))


def _shown_params(code: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The params as a reader sees them: names instead of codes, lists joined, numbers rounded."""
    shown = dict(params)
    if code == "rule.category":
        shown["category"] = category_name(str(params.get("category", "")))
        shown["within"] = category_name(str(params.get("within") or ""))
        shown["listed"] = _listed(params.get("listed", ()), lambda c: category_name(str(c)))
    elif code == "rule.warranty":
        shown["warranty"] = WARRANTY_VERDICTS.get(str(params.get("warranty")), params.get("warranty"))
        shown["listed"] = _listed(params.get("listed", ()), lambda v: WARRANTY_VERDICTS.get(str(v), v))
    elif code == "rule.weekday":
        shown["weekday"] = WEEKDAYS.get(str(params.get("weekday")), params.get("weekday"))
        shown["listed"] = _listed(params.get("listed", ()), lambda v: WEEKDAYS.get(str(v), v))
    elif code in {"rule.within_hours", "rule.outside_hours"}:
        shown["calendar"] = _calendar_name(str(params.get("calendar", "")))
    elif "listed" in params:
        shown["listed"] = _listed(params["listed"])
    if code == "rule.keywords":
        shown["found"] = _listed(params.get("found", ()))
    if code in {"rule.project", "rule.building", "rule.channel"} and not params.get("value"):
        shown["value"] = _("(none)")
    if "fallback" in params:
        shown["fallback"] = _strategy(params["fallback"])
    for name in ("distance_km", "limit_km"):
        if isinstance(params.get(name), int | float):
            shown[name] = f"{float(params[name]):.1f}"
    if isinstance(params.get("countdown_seconds"), float) and float(params["countdown_seconds"]).is_integer():
        shown["countdown_seconds"] = int(params["countdown_seconds"])
    return shown


def reason_text(reason: Mapping[str, Any], *, holds: bool | None = None) -> str:
    """One stored reason (``{"code", "text", "params"}``) in the active language. ``holds``: for a
    rule's condition stored before it carried ``holds`` itself, whether the rule matched."""
    code, fallback = str(reason.get("code") or ""), str(reason.get("text") or "")
    params: Mapping[str, Any] = reason.get("params") or {}
    holds = bool(params["holds"]) if "holds" in params else holds
    if code in CONDITIONS:
        if holds is None:
            return fallback
        message = CONDITIONS[code][0 if holds else 1]
    elif code in {"rule.within_hours", "rule.outside_hours"}:
        if "open" not in params or "time" not in params:
            return fallback
        message = CALENDAR_STATES[1 if params["open"] else 0]
    elif code == "candidate.missing_skill":
        message = MISSING_SKILL[1 if params.get("has") else 0]
    elif code in MESSAGES:
        message = MESSAGES[code]
    else:
        return fallback
    return _format(message, _shown_params(code, params), fallback)


def _joined(reasons: Iterable[Mapping[str, Any]], *, holds: bool | None = None) -> str:
    return _("; ").join(reason_text(r, holds=holds) for r in reasons)


def routing_explanation_lines(explanation: Mapping[str, Any] | None,
                              names: Mapping[str, str] | None = None) -> list[str]:
    """A stored routing explanation as lines in the active language: every rule tried and why it
    matched or not, the notes, every candidate's rank or exclusion. ``names``: technicians' names by id."""
    if not explanation:
        return []
    names = names or {}
    lines = []
    for rule in explanation.get("rules") or ():
        matched = bool(rule.get("matched"))
        because = _joined(rule.get("reasons") or (), holds=matched) or _("no conditions")
        template = _("rule %(code)s (%(name)s): matched: %(because)s") if matched else \
            _("rule %(code)s (%(name)s): skipped: %(because)s")
        lines.append(template % {"code": rule.get("rule_code", ""), "name": rule.get("rule_name", ""),
                                 "because": because})
    lines.extend(_("note: %(text)s") % {"text": reason_text(note)} for note in explanation.get("notes") or ())
    for candidate in explanation.get("candidates") or ():
        who = names.get(str(candidate.get("candidate_id")), str(candidate.get("candidate_id", "")))
        if candidate.get("eligible"):
            detail = reason_text({"code": candidate.get("detail_code"), "text": candidate.get("detail", ""),
                                  "params": candidate.get("detail_params") or {}})
            lines.append(_("candidate %(candidate)s: #%(rank)s, %(detail)s") % {
                "candidate": who, "rank": candidate.get("rank"), "detail": detail})
        else:
            lines.append(_("candidate %(candidate)s: excluded: %(why)s") % {
                "candidate": who, "why": _joined(candidate.get("exclusions") or ())})
    return lines
