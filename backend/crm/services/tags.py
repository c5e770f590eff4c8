"""Tags (标签) on a customer: their consultant or a sales manager adds and removes them; the customers sharing a
tag are a segment the lists filter by."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from backend.accounts.access import is_administrator
from backend.accounts.roles import Role
from backend.core.errors import PermissionDenied, ValidationFailed
from backend.crm.access import access_customer, ensure_crm, is_manager_of
from backend.crm.models import Customer, CustomerTag

MAX_TAG_LENGTH = 20
MAX_TAGS = 20


def clean_tag(text: str) -> str:
    """One tag as stored: surrounding spaces and a leading ``#`` dropped, inner runs of spaces made one."""
    tag = " ".join((text or "").strip().lstrip("#").split())
    if not tag or len(tag) > MAX_TAG_LENGTH:
        raise ValidationFailed(details={"errors": [{"field": "tag", "reason": _(
            "A tag has 1 to %(n)d characters.") % {"n": MAX_TAG_LENGTH}}]})
    return tag


def _tagger(actor: Any, customer_id: Any) -> Customer:
    customer = access_customer(actor, customer_id, for_update=True)
    if customer.holder_id != actor.id and not is_manager_of(actor, customer.project_id) \
            and not is_administrator(actor):
        raise PermissionDenied(_("Only the customer's consultant or a sales manager can do this."), code="not_holder")
    return customer


def customer_tag_add(*, actor: Any, customer_id: Any, tag: str, now: datetime) -> list[str]:
    """Adds a tag (adding one the customer has already changes nothing); at most ``MAX_TAGS`` per customer.
    Returns the customer's tags."""
    ensure_crm(actor, (Role.SALES, Role.ADMINISTRATOR))
    tag = clean_tag(tag)
    with transaction.atomic():
        customer = _tagger(actor, customer_id)
        tags = list(CustomerTag.objects.filter(customer=customer).values_list("tag", flat=True))
        if tag not in tags:
            if len(tags) >= MAX_TAGS:
                raise ValidationFailed(details={"errors": [{"field": "tag", "reason": _(
                    "At most %(n)d tags per customer.") % {"n": MAX_TAGS}}]})
            try:
                with transaction.atomic():
                    CustomerTag.objects.create(customer=customer, tag=tag, created_by=actor, created_at=now)
            except IntegrityError:
                pass  # the same tag added at the same moment by another request: it is there
        return sorted({*tags, tag})


def customer_tag_remove(*, actor: Any, customer_id: Any, tag: str, now: datetime) -> list[str]:
    """Removes a tag (one the customer does not have changes nothing). Returns the customer's tags."""
    ensure_crm(actor, (Role.SALES, Role.ADMINISTRATOR))
    with transaction.atomic():
        customer = _tagger(actor, customer_id)
        CustomerTag.objects.filter(customer=customer, tag=" ".join((tag or "").strip().lstrip("#").split())).delete()
        return list(CustomerTag.objects.filter(customer=customer).order_by("tag").values_list("tag", flat=True))


__all__ = ["clean_tag", "customer_tag_add", "customer_tag_remove"]
