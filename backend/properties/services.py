"""Writes of the property registry: homeowners and their ownerships.

Bulk changes go through ``backend.properties.imports``; QR tokens through ``backend.properties.qr``.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction

from backend.core.errors import NotFound
from backend.properties.access import access_unit, ensure_owner_registrar
from backend.properties.errors import InvalidOwnershipDates
from backend.properties.identity import hash_id_number, normalize_phone
from backend.properties.models import Owner, Ownership


def owner_upsert(*, actor: Any, name: str, phone: str, id_number: str | None = None) -> Owner:
    """The owner with this phone number, created or updated. The phone is the owner's natural key.

    ``id_number`` is validated and kept only as a keyed hash; ``None`` leaves a stored hash untouched.
    """
    ensure_owner_registrar(actor)
    e164 = normalize_phone(phone)
    clean_name = name.strip()
    defaults: dict[str, Any] = {"name": clean_name}
    if id_number is not None and id_number.strip():
        defaults["id_number_hash"] = hash_id_number(id_number)
    try:
        with transaction.atomic():
            owner, _created = Owner.objects.update_or_create(phone=e164, defaults=defaults)
    except IntegrityError:
        # Another request created the same phone between our select and insert: update theirs.
        Owner.objects.filter(phone=e164).update(**defaults)
        owner = Owner.objects.get(phone=e164)
    return owner


def ownership_start(*, actor: Any, owner_id: UUID, unit_id: UUID, start_date: date,
                    end_date: date | None = None, is_primary_contact: bool = False) -> Ownership:
    """Records that ``owner`` holds ``unit`` from ``start_date``. Idempotent on (owner, unit, start date)."""
    ensure_owner_registrar(actor)
    unit = access_unit(actor, unit_id)
    owner = Owner.objects.filter(id=owner_id).first()
    if owner is None:
        raise NotFound(details={"object": "owner"})
    if end_date is not None and end_date < start_date:
        raise InvalidOwnershipDates(details={"start_date": start_date.isoformat(), "end_date": end_date.isoformat()})
    with transaction.atomic():
        ownership, _created = Ownership.objects.update_or_create(
            owner=owner, unit=unit, start_date=start_date,
            defaults={"end_date": end_date, "is_primary_contact": is_primary_contact},
        )
    return ownership


def ownership_end(*, actor: Any, ownership_id: int, end_date: date) -> Ownership:
    """Closes an ownership (a sale, a tenancy that ended). Ending it again moves the end date."""
    ensure_owner_registrar(actor)
    ownership = Ownership.objects.select_related("unit").filter(id=ownership_id).first()
    if ownership is None:
        raise NotFound(details={"object": "ownership"})
    access_unit(actor, ownership.unit_id)
    if end_date < ownership.start_date:
        raise InvalidOwnershipDates(details={"start_date": ownership.start_date.isoformat(),
                                             "end_date": end_date.isoformat()})
    Ownership.objects.filter(id=ownership.id).update(end_date=end_date)
    ownership.end_date = end_date
    return ownership
