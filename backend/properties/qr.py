"""QR tokens: one active, signed, revocable token per unit and per public area.

A token is ``<random part><MAC>``: 12 URL-safe characters from 72 random bits, then the first 72
bits of HMAC-SHA256(QR_SIGNING_KEY, random part), also as 12 URL-safe characters. The random part
makes tokens impossible to enumerate; the MAC lets a forged or mistyped token be refused before
any database lookup. Rotating revokes the old token and issues a new one in one transaction; the
database's partial unique constraints keep one active token per place whatever the concurrency.
Changing QR_SIGNING_KEY invalidates every printed label.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet

from backend.core.errors import Conflict, NotFound, ValidationFailed
from backend.properties.access import (
    access_building,
    access_project,
    access_public_area,
    access_unit,
    ensure_registry_manager,
)
from backend.properties.errors import QrTokenInvalid, QrTokenRevoked
from backend.properties.identity import format_phone
from backend.properties.models import Building, Project, PublicArea, QrToken, Unit

_RANDOM_BYTES = 9
_MAC_BYTES = 9
_PART_CHARS = 12  # base64 of 9 bytes, no padding
TOKEN_LENGTH = 2 * _PART_CHARS
_TOKEN_PATTERN = re.compile(rf"^[A-Za-z0-9_-]{{{TOKEN_LENGTH}}}$")
_MAC_CONTEXT = b"anxin-qr-v1:"
_ROTATE_ATTEMPTS = 3


def _mac(random_part: str) -> str:
    key = str(settings.QR_SIGNING_KEY).encode("utf-8")
    digest = hmac.new(key, _MAC_CONTEXT + random_part.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:_MAC_BYTES]).decode("ascii")


def token_generate() -> str:
    random_part = secrets.token_urlsafe(_RANDOM_BYTES)
    return random_part + _mac(random_part)


def token_signature_valid(token: str) -> bool:
    """True when the token was made with our key. Needs no database."""
    if not isinstance(token, str) or not _TOKEN_PATTERN.match(token):
        return False
    return hmac.compare_digest(token[_PART_CHARS:], _mac(token[:_PART_CHARS]))


def qr_url(token: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}/q/{token}"


# The check code: 8 characters (Crockford base32 of the first 40 bits of SHA-256 over the token) printed under
# the QR code. A technician's phone holds the check code of each unit it has an order for — never the token —
# and derives it from a scanned code the same way (technician_app/src/arrival.ts), or the technician types it:
# arrival is confirmed offline, and nothing on the phone lets anyone report as that unit.
CHECK_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CHECK_CONTEXT = b"anxin-qr-check-v1:"


def qr_check_code(token: str) -> str:
    bits = int.from_bytes(hashlib.sha256(_CHECK_CONTEXT + token.encode("ascii")).digest()[:5], "big")
    return "".join(CHECK_ALPHABET[(bits >> (35 - 5 * i)) & 31] for i in range(8))


def qr_check_code_shown(token: str) -> str:
    """The check code as printed: two groups of four."""
    code = qr_check_code(token)
    return f"{code[:4]}-{code[4:]}"


def _units_restamp(unit_ids: Iterable[UUID]) -> None:
    """Units whose active token changed are written again, so their stamp trigger re-stamps them and the phones
    holding them pull the new check code (the stamp column is overwritten by the trigger)."""
    ids = list(unit_ids)
    for start in range(0, len(ids), 500):
        Unit.objects.filter(id__in=ids[start:start + 500]).update(sync_stamp=0)


# --- places and labels


@dataclass(frozen=True)
class QrPlace:
    """What scanning a code may reveal: where it hangs. Never who lives there."""

    kind: str  # "unit" | "public_area"
    project_name: str
    building_name: str | None
    unit_number: str | None
    public_area_name: str | None
    service_phone: str | None

    @property
    def label(self) -> str:
        parts = [self.project_name, self.building_name, self.unit_number or self.public_area_name]
        return " ".join(part for part in parts if part)


def _place_of_unit(unit: Unit) -> QrPlace:
    project = unit.building.project
    return QrPlace(kind="unit", project_name=project.name, building_name=unit.building.name,
                   unit_number=unit.number, public_area_name=None,
                   service_phone=format_phone(project.service_phone) if project.service_phone else None)


def _place_of_area(area: PublicArea) -> QrPlace:
    project = area.project
    return QrPlace(kind="public_area", project_name=project.name,
                   building_name=area.building.name if area.building is not None else None, unit_number=None,
                   public_area_name=area.name,
                   service_phone=format_phone(project.service_phone) if project.service_phone else None)


def qr_token_active_row(token: str) -> QrToken:
    """The active token row behind a scanned code, with its place. Raises ``QrTokenInvalid`` (forged,
    mistyped, unknown) or ``QrTokenRevoked`` (replaced by a newer code)."""
    if not token_signature_valid(token):
        raise QrTokenInvalid()
    row = (
        QrToken.objects.select_related("unit__building__project", "public_area__project", "public_area__building")
        .filter(token=token)
        .first()
    )
    if row is None:
        raise QrTokenInvalid()
    if row.revoked_at is not None:
        raise QrTokenRevoked()
    return row


def qr_resolve(*, token: str) -> QrPlace:
    """The place a scanned token names (see ``qr_token_active_row`` for the errors)."""
    row = qr_token_active_row(token)
    if row.unit is not None:
        return _place_of_unit(row.unit)
    if row.public_area is not None:
        return _place_of_area(row.public_area)
    raise QrTokenInvalid()  # the check constraint makes this unreachable


# --- issuing, rotating, revoking


def _place_filter(*, unit: Unit | None, public_area: PublicArea | None) -> dict[str, Any]:
    if (unit is None) == (public_area is None):
        raise ValueError("exactly one of unit and public_area")
    return {"unit": unit} if unit is not None else {"public_area": public_area}


def qr_token_ensure(*, unit: Unit | None = None, public_area: PublicArea | None = None, now: datetime) -> QrToken:
    """The active token of a place, issued now if it has none. Safe under concurrency."""
    place = _place_filter(unit=unit, public_area=public_area)
    existing = QrToken.objects.filter(**place, revoked_at__isnull=True).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            issued = QrToken.objects.create(token=token_generate(), created_at=now, **place)
            if unit is not None:
                _units_restamp([unit.id])
            return issued
    except IntegrityError:
        # A concurrent caller issued it first: the partial unique constraint refused ours.
        return QrToken.objects.get(**place, revoked_at__isnull=True)


def qr_tokens_ensure_bulk(*, units: Iterable[Unit] = (), public_areas: Iterable[PublicArea] = (),
                          now: datetime) -> tuple[dict[UUID, QrToken], dict[UUID, QrToken]]:
    """Active tokens for many places, issuing the missing ones in one statement.

    Returns ({unit_id: token}, {public_area_id: token}).
    """
    unit_ids = [u.id for u in units]
    area_ids = [a.id for a in public_areas]

    def active() -> tuple[dict[UUID, QrToken], dict[UUID, QrToken]]:
        by_unit: dict[UUID, QrToken] = {}
        by_area: dict[UUID, QrToken] = {}
        for start in range(0, max(len(unit_ids), len(area_ids)), 500):
            chunk_units, chunk_areas = unit_ids[start:start + 500], area_ids[start:start + 500]
            rows = QrToken.objects.filter(Q(unit_id__in=chunk_units) | Q(public_area_id__in=chunk_areas),
                                          revoked_at__isnull=True)
            for row in rows:
                if row.unit_id is not None:
                    by_unit[row.unit_id] = row
                elif row.public_area_id is not None:
                    by_area[row.public_area_id] = row
        return by_unit, by_area

    by_unit, by_area = active()
    missing = [QrToken(token=token_generate(), unit_id=uid, created_at=now) for uid in unit_ids if uid not in by_unit]
    missing += [QrToken(token=token_generate(), public_area_id=aid, created_at=now)
                for aid in area_ids if aid not in by_area]
    if missing:
        # A concurrent issuer may win a place: its token stays, ours is dropped, and we re-read.
        with transaction.atomic():
            QrToken.objects.bulk_create(missing, batch_size=500, ignore_conflicts=True)
            _units_restamp(t.unit_id for t in missing if t.unit_id is not None)
        by_unit, by_area = active()
    return by_unit, by_area


@dataclass(frozen=True)
class IssuedQrToken:
    id: UUID
    token: str
    url: str
    created_at: datetime
    place: QrPlace


def qr_token_rotate(*, actor: Any, unit_id: UUID | None = None, public_area_id: UUID | None = None,
                    now: datetime) -> IssuedQrToken:
    """Revokes the place's active token (if any) and issues a new one, atomically."""
    ensure_registry_manager(actor)
    if (unit_id is None) == (public_area_id is None):
        raise ValidationFailed(details={"reason": "exactly one of unit_id and public_area_id"})
    place: dict[str, Any]
    lock: QuerySet[Any]
    if unit_id is not None:
        unit = access_unit(actor, unit_id)
        place, lock, label = {"unit": unit}, Unit.objects.filter(id=unit.id), _place_of_unit(unit)
    else:
        area = access_public_area(actor, public_area_id)  # type: ignore[arg-type]
        place, lock, label = {"public_area": area}, PublicArea.objects.filter(id=area.id), _place_of_area(area)
    for attempt in range(_ROTATE_ATTEMPTS):
        try:
            with transaction.atomic():
                # Locking the place serialises rotations of the same code.
                lock.select_for_update().first()
                QrToken.objects.filter(**place, revoked_at__isnull=True).update(revoked_at=now)
                issued = QrToken.objects.create(token=token_generate(), created_at=now, **place)
                if unit_id is not None:
                    _units_restamp([unit.id])
            break
        except IntegrityError as exc:
            # A label print issued a token for this place between our revoke and our insert (it does
            # not take the lock): nothing was written, so simply rotate again.
            if attempt == _ROTATE_ATTEMPTS - 1:
                raise Conflict(details={"object": "qr_token"}) from exc
    return IssuedQrToken(id=issued.id, token=issued.token, url=qr_url(issued.token), created_at=issued.created_at,
                         place=label)


def qr_token_revoke(*, actor: Any, token_id: UUID, now: datetime) -> QrToken:
    """Revokes a token without a replacement (a stolen label, a demolished place). The next label
    printed for the place gets a new token. Revoking twice keeps the first revocation time."""
    ensure_registry_manager(actor)
    token = QrToken.objects.filter(id=token_id).first()
    if token is None:
        raise NotFound(details={"object": "qr_token"})
    with transaction.atomic():
        revoked = QrToken.objects.filter(id=token.id, revoked_at__isnull=True).update(revoked_at=now)
        if revoked and token.unit_id is not None:
            _units_restamp([token.unit_id])
    token.refresh_from_db(fields=["revoked_at"])
    return token


# --- printable label sheets


@dataclass(frozen=True)
class QrLabel:
    url: str
    place: QrPlace
    check_code: str  # printed under the code: what a technician types when the camera cannot read it


@dataclass(frozen=True)
class QrLabelSheet:
    title: str
    project_name: str
    building_name: str | None
    labels: list[QrLabel]


def _sheet(*, title: str, project: Project, building: Building | None, units: list[Unit],
           areas: list[PublicArea], now: datetime) -> QrLabelSheet:
    by_unit, by_area = qr_tokens_ensure_bulk(units=units, public_areas=areas, now=now)
    labels = [QrLabel(url=qr_url(by_unit[u.id].token), place=_place_of_unit(u),
                      check_code=qr_check_code_shown(by_unit[u.id].token)) for u in units]
    labels += [QrLabel(url=qr_url(by_area[a.id].token), place=_place_of_area(a),
                       check_code=qr_check_code_shown(by_area[a.id].token)) for a in areas]
    return QrLabelSheet(title=title, project_name=project.name,
                        building_name=building.name if building else None, labels=labels)


def qr_label_sheet_for_building(*, actor: Any, building_id: UUID, now: datetime) -> QrLabelSheet:
    """Labels for every unit and every public area of a building, issuing missing tokens.

    Issuing tokens is managing the registry: registry managers only (sales and customer service read
    the registry but print no codes)."""
    ensure_registry_manager(actor)
    building = access_building(actor, building_id)
    units = list(Unit.objects.filter(building=building).select_related("building__project").order_by("floor", "number"))
    areas = list(PublicArea.objects.filter(building=building).select_related("project", "building").order_by("code"))
    return _sheet(title=f"{building.project.name} {building.name}", project=building.project, building=building,
                  units=units, areas=areas, now=now)


def qr_label_sheet_for_project(*, actor: Any, project_id: UUID, now: datetime) -> QrLabelSheet:
    """Labels for the project-wide public areas (garages, gates, gardens) that belong to no building."""
    ensure_registry_manager(actor)
    project = access_project(actor, project_id)
    areas = list(PublicArea.objects.filter(project=project, building__isnull=True)
                 .select_related("project", "building").order_by("code"))
    return _sheet(title=project.name, project=project, building=None, units=[], areas=areas, now=now)
