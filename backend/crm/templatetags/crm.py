"""Display helpers of the CRM's pages: fen shown as yuan (exact, no float), stage labels."""

from __future__ import annotations

from decimal import Decimal

from django import template

from backend.crm.states import Stage

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    if fen is None:
        return "—"
    value = Decimal(int(fen)) / 100
    return f"{value:,.2f}"


@register.filter
def channel_label(code: str) -> str:
    from backend.crm.models import Channel

    return str(Channel(code).label) if code in Channel.values else code


@register.filter
def offer_label(code: str) -> str:
    from backend.crm.models import OfferOutcome

    return str(OfferOutcome(code).label) if code in OfferOutcome.values else code


@register.filter
def sale_label(code: str) -> str:
    from backend.crm.states import UnitSaleStatus

    return str(UnitSaleStatus(code).label) if code in UnitSaleStatus.values else code


@register.filter
def stage_label(code: str) -> str:
    return str(Stage(code).label) if code in Stage.values else code
