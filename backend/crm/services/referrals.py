"""老带新: a customer (an owner) gets a referral code; a lead reported with it is attributed to them (kept on
the referred customer's source), and the project's referral rule rewards them when that customer signs."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from backend.accounts.access import is_administrator
from backend.accounts.roles import Role
from backend.core.errors import PermissionDenied, ValidationFailed
from backend.crm.access import access_customer, ensure_crm, is_manager_of
from backend.crm.models import ReferralCode

# No 0/O, 1/I/L: read aloud over the phone or typed from a screenshot.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def normalize_referral_code(text: str) -> str:
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())[:12]


def referral_code_find(*, project_id: Any, code: str) -> ReferralCode:
    """The project's referral code the lead names; an unknown one (or another project's) is a 422 on the field."""
    found = ReferralCode.objects.select_related("referrer").filter(code=normalize_referral_code(code),
                                                                   project_id=project_id).first()
    if found is None:
        raise ValidationFailed(details={"errors": [{"field": "referral_code", "reason": _("Unknown referral code.")}]})
    return found


def referral_code_issue(*, actor: Any, customer_id: Any, now: datetime) -> ReferralCode:
    """The customer's referral code, made the first time (one per customer; asking again gives the same).
    Their consultant, the project's sales managers and administrators issue it."""
    ensure_crm(actor, (Role.SALES, Role.ADMINISTRATOR))
    with transaction.atomic():
        customer = access_customer(actor, customer_id, for_update=True)
        if customer.holder_id != actor.id and not is_manager_of(actor, customer.project_id) \
                and not is_administrator(actor):
            raise PermissionDenied(_("Only the customer's consultant or a sales manager can do this."),
                                   code="not_holder")
        existing = ReferralCode.objects.filter(referrer=customer).first()
        if existing is not None:
            return existing
        for _attempt in range(5):
            code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
            try:
                with transaction.atomic():
                    return ReferralCode.objects.create(project_id=customer.project_id, referrer=customer, code=code,
                                                       created_by=actor, created_at=now)
            except IntegrityError:
                continue  # the one code in 31^8 already taken: draw again
    raise ValidationFailed(details={"errors": [{"field": "code", "reason": _("Please try again.")}]})





def referral_lead_create(*, code: str, name: str, phone: str, consent: bool, now: datetime) -> Any:
    """A friend leaves their name and number on the referral page (``/crm/r/<code>``, no account): a lead of
    channel ``referral`` attributed to the code's referrer, then lead dispatch as for any phone lead."""
    from backend.crm.models import Channel
    from backend.crm.services.customers import _lead_in_transaction, public_lead_fields

    referral = ReferralCode.objects.select_related("project").filter(code=normalize_referral_code(code)).first()
    if referral is None:
        from backend.core.errors import NotFound

        raise NotFound(details={"object": "referral_code"})
    name, phone_e164 = public_lead_fields(name=name, phone=phone, consent=consent)
    with transaction.atomic():
        return _lead_in_transaction(actor=None, project=referral.project, name=name, phone=phone_e164, id_hash="",
                                    channel=Channel.REFERRAL, consent=True, partner=None, note="",
                                    expected_amount_fen=0, now=now, dispatch=True, referral=referral)

__all__ = ["normalize_referral_code", "referral_code_find", "referral_code_issue", "referral_lead_create"]
