"""The funnel: one table of allowed stage changes (the only place a customer's stage may go)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Stage(models.TextChoices):
    LEAD = "lead", _("Lead")  # 线索
    CONTACTED = "contacted", _("First contact")  # 初步沟通
    SHOWING = "showing", _("Showing")  # 带看
    INTENT = "intent", _("Intent")  # 意向
    SUBSCRIBED = "subscribed", _("Subscribed")  # 认购
    SIGNED = "signed", _("Signed")  # 签约
    LOST = "lost", _("Lost")  # 流失


FUNNEL = (Stage.LEAD, Stage.CONTACTED, Stage.SHOWING, Stage.INTENT, Stage.SUBSCRIBED, Stage.SIGNED)

ALLOWED: dict[str, frozenset[str]] = {
    Stage.LEAD: frozenset({Stage.CONTACTED, Stage.SHOWING, Stage.LOST}),
    Stage.CONTACTED: frozenset({Stage.SHOWING, Stage.INTENT, Stage.LOST}),
    Stage.SHOWING: frozenset({Stage.INTENT, Stage.SUBSCRIBED, Stage.LOST}),
    Stage.INTENT: frozenset({Stage.SHOWING, Stage.SUBSCRIBED, Stage.LOST}),
    # A subscription that falls through (退订) goes back to intent.
    Stage.SUBSCRIBED: frozenset({Stage.SIGNED, Stage.INTENT, Stage.LOST}),
    Stage.SIGNED: frozenset(),
    Stage.LOST: frozenset({Stage.LEAD}),  # revived (激活)
}

# Stages set only by the sale itself (a subscription, a signed contract), never by hand.
SYSTEM_STAGES = frozenset({Stage.SUBSCRIBED, Stage.SIGNED})

# Probability of closing per stage, for the weighted forecast (seed 004).
DEFAULT_STAGE_PROBABILITY: dict[str, int] = {
    Stage.LEAD: 5, Stage.CONTACTED: 10, Stage.SHOWING: 25, Stage.INTENT: 50, Stage.SUBSCRIBED: 90,
    Stage.SIGNED: 100, Stage.LOST: 0,
}


class UnitSaleStatus(models.TextChoices):
    AVAILABLE = "available", _("Available")
    RESERVED = "reserved", _("Reserved")
    SUBSCRIBED = "subscribed", _("Subscribed")
    SIGNED = "signed", _("Signed")
    HANDED_OVER = "handed_over", _("Handed over")
    NOT_FOR_SALE = "not_for_sale", _("Not for sale")


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING_APPROVAL = "pending_approval", _("Discount awaiting approval")
    APPROVED = "approved", _("Ready to sign")
    SIGNED = "signed", _("Signed")
    CANCELLED = "cancelled", _("Cancelled")


CONTRACT_ALLOWED: dict[str, frozenset[str]] = {
    ContractStatus.DRAFT: frozenset({ContractStatus.PENDING_APPROVAL, ContractStatus.APPROVED, ContractStatus.CANCELLED}),
    ContractStatus.PENDING_APPROVAL: frozenset({ContractStatus.APPROVED, ContractStatus.DRAFT, ContractStatus.CANCELLED}),
    ContractStatus.APPROVED: frozenset({ContractStatus.SIGNED, ContractStatus.CANCELLED}),
    ContractStatus.SIGNED: frozenset(),
    ContractStatus.CANCELLED: frozenset(),
}
