"""Writes of the owner portal: SMS verification, reports from a scanned code, article reads.

Everything that changes an order goes through the core (``backend.workorders.services`` and
``backend.workorders.owner``); this module adds only what belongs to the portal itself.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import phonenumbers
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _
from phonenumbers import PhoneNumberType

from backend.core.dates import business_date
from backend.core.errors import NotFound, RateLimited, ValidationFailed
from backend.core.ratelimit import rate_limit_hit
from backend.properties.identity import normalize_phone
from backend.properties.models import Owner, QrToken, sms_regions_of
from backend.properties.qr import qr_token_active_row
from backend.properties.selectors import active_ownerships
from backend.workorders.access import access_order_of_owner
from backend.workorders.models import Channel, WorkOrder
from backend.workorders.owner.steps import OwnerIdentity, owner_message_add
from backend.workorders.services import IntakeResult, attachment_store, order_intake
from owner_portal.errors import CodeExpired, CodeInvalid
from owner_portal.models import Article, ArticleView, OtpChallenge

OTP_TTL = timedelta(minutes=5)
OTP_MAX_TRIES = 5
# The stored hash of a challenge for which no code was sent: not hexadecimal, so no code's hash equals it.
NO_CODE_PREFIX = "!"
security_log = logging.getLogger("anxin.security")
MAX_PHOTOS = 9


def _field_error(name: str, reason: Any) -> ValidationFailed:
    return ValidationFailed(details={"errors": [{"field": name, "reason": str(reason)}]})


def _code_hash(challenge_id: Any, code: str) -> str:
    key = str(settings.SECRET_KEY).encode("utf-8")
    return hmac.new(key, f"anxin-otp-v1:{challenge_id}:{code}".encode(), hashlib.sha256).hexdigest()


def _phone_may_verify(*, phone: str, qr: QrToken | None, today: Any) -> bool:
    owners = active_ownerships(today).filter(owner__phone=phone)
    if qr is not None:
        # Anyone in a public area may report what they see; a home's code is for its owners.
        return qr.unit_id is None or owners.filter(unit_id=qr.unit_id).exists()
    # Signing in from a text-message link: an owner of any home, someone who reported a public area,
    # or a buyer invited to pick a handover appointment.
    from backend.handover.selectors import phone_has_open_invitation

    return (owners.exists() or WorkOrder.objects.filter(public_area__isnull=False, contact_phone=phone).exists()
            or phone_has_open_invitation(phone))


def _code_regions(*, phone_e164: str, qr: QrToken | None, today: Any) -> set[str]:
    """The regions whose mobile numbers may receive a code here: the deployment's (mainland China
    unless settings say more) and those the project allows — the project of the scanned label, or,
    signing in from a link, the projects where this phone owns a home."""
    regions = set(settings.SMS_ALLOWED_REGIONS)
    if qr is not None:
        place = qr.unit.building if qr.unit is not None else qr.public_area
        extra = [place.project.sms_extra_regions] if place is not None else []
    else:
        extra = list(active_ownerships(today).filter(owner__phone=phone_e164)
                     .values_list("unit__building__project__sms_extra_regions", flat=True))
    for value in extra:
        regions.update(sms_regions_of(value or ""))
    return regions


def _may_receive_codes(phone_e164: str, regions: set[str]) -> bool:
    """Codes go only to mobile numbers of the allowed regions: a public code accepts anyone's phone,
    and foreign or fixed-line numbers are where SMS pumping pays."""
    number = phonenumbers.parse(phone_e164, None)
    if phonenumbers.region_code_for_number(number) not in regions:
        return False
    return phonenumbers.number_type(number) in {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def _sms_budget_hit(*, now: datetime) -> None:
    """All codes sent by the portal in an hour, whoever asks: past the budget, none, and one alert."""
    try:
        rate_limit_hit(name="otp_send_global", identifiers=["all"], now_seconds=now.timestamp())
    except RateLimited:
        hour = int(now.timestamp()) // 3600
        if cache.add(f"alert:otp_send_global:{hour}", 1, timeout=3600):
            security_log.error("owner portal SMS budget exhausted: %s codes this hour; sending stopped until the "
                               "next hour", settings.RATE_LIMITS["otp_send_global"][0])
        raise


def otp_request(*, phone: str, token: str | None, ip: str, now: datetime, language: str | None = None) -> OtpChallenge:
    """Sends a 6-digit code to a phone that may follow this place's repairs.

    Limited per address and per scanned label for every request, and per destination and globally for
    the codes actually sent. A phone that may not verify here gets the same answer as one that may
    (a challenge no code can pass) and no text message: the answer reveals nobody's ownership, and
    asking for a stranger's home neither sends nor counts against the real owner's phone."""
    from backend.notifications.services import sms_send

    rate_limit_hit(name="otp_send_ip", identifiers=[f"ip:{ip}"])
    try:
        phone_e164 = normalize_phone(phone)
    except Exception as exc:  # noqa: BLE001 — the registry's parse error becomes a field error
        raise _field_error("phone", _("Enter a valid mobile number.")) from exc
    qr = qr_token_active_row(token) if token else None
    regions = _code_regions(phone_e164=phone_e164, qr=qr, today=business_date(now))
    if not _may_receive_codes(phone_e164, regions):
        if regions == {"CN"}:
            raise _field_error("phone", _("Enter a mainland China mobile number."))
        raise _field_error("phone", _("Enter a mobile number of one of these regions: %(regions)s.")
                           % {"regions": " ".join(sorted(regions))})
    if qr is not None:
        rate_limit_hit(name="otp_send_token", identifiers=[f"qr:{qr.id}"])
    if not _phone_may_verify(phone=phone_e164, qr=qr, today=business_date(now)):
        challenge = OtpChallenge(phone=phone_e164, qr_token=qr, created_at=now, expires_at=now + OTP_TTL,
                                 code_hash=NO_CODE_PREFIX + secrets.token_hex(31))
        challenge.save()
        return challenge
    rate_limit_hit(name="otp_send_phone", identifiers=[f"phone:{phone_e164}"])
    _sms_budget_hit(now=now)
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        challenge = OtpChallenge(phone=phone_e164, qr_token=qr, created_at=now, expires_at=now + OTP_TTL, code_hash="")
        challenge.code_hash = _code_hash(challenge.id, code)
        challenge.save()
        sms_send(phone=phone_e164, template="otp_code", params={"code": code, "minutes": OTP_TTL.seconds // 60},
                 idempotency_key=f"otp:{challenge.id}", now=now, language=language)
    return challenge


def otp_verify(*, challenge_id: Any, code: str, ip: str, now: datetime) -> OwnerIdentity:
    """Checks a code: at most 5 tries per code, each claimed by a conditional update, and 5 minutes."""
    rate_limit_hit(name="otp_verify_ip", identifiers=[f"ip:{ip}"])
    code = (code or "").strip()
    try:
        challenge_id = uuid.UUID(str(challenge_id))
    except ValueError:
        raise CodeExpired() from None
    claimed = OtpChallenge.objects.filter(id=challenge_id, verified_at__isnull=True, expires_at__gt=now,
                                          attempts__lt=OTP_MAX_TRIES).update(attempts=F("attempts") + 1)
    if not claimed:
        raise CodeExpired()
    challenge = OtpChallenge.objects.get(id=challenge_id)
    if not (len(code) == 6 and code.isdigit()) or not hmac.compare_digest(_code_hash(challenge.id, code),
                                                                          challenge.code_hash):
        left = OTP_MAX_TRIES - challenge.attempts
        if left <= 0:
            raise CodeExpired(details={"tries_left": 0})
        raise CodeInvalid(_("The code is not correct. %(left)s tries left.") % {"left": left},
                          details={"tries_left": left})
    if not OtpChallenge.objects.filter(id=challenge.id, verified_at__isnull=True).update(verified_at=now):
        raise CodeExpired()
    owner = Owner.objects.filter(phone=challenge.phone).first()
    return OwnerIdentity(phone=challenge.phone, owner_id=owner.id if owner else None,
                         name=owner.name if owner else "")


# --- reports


@dataclass(frozen=True)
class Photo:
    data: bytes
    name: str


def _clean_photos(photos: list[Photo]) -> list[Any]:
    from backend.workorders.errors import UploadRejected
    from backend.workorders.records.photos import clean_upload

    if len(photos) > MAX_PHOTOS:
        raise _field_error("photos", _("At most 9 photos."))
    cleaned = []
    for index, photo in enumerate(photos, start=1):
        try:
            clean = clean_upload(photo.data)
        except UploadRejected as exc:
            exc.details = {**exc.details, "photo": index, "name": photo.name[:100]}
            raise
        if clean.content_type == "application/pdf":
            raise UploadRejected(_("Only photos can be added here."), details={"photo": index, "reason": "not_image"})
        cleaned.append((clean, photo.name))
    return cleaned


def place_of_token(*, identity: OwnerIdentity, token: str, now: datetime) -> dict[str, Any]:
    """The unit or public area a scanned code names, checked against the verified identity."""
    qr = qr_token_active_row(token)
    if qr.unit_id is not None:
        if identity.owner_id is None or not active_ownerships(business_date(now)).filter(
                unit_id=qr.unit_id, owner_id=identity.owner_id).exists():
            raise NotFound(details={"object": "unit"})
        return {"unit_id": qr.unit_id}
    return {"public_area_id": qr.public_area_id}


def portal_report(*, identity: OwnerIdentity, token: str, category_code: str, description: str,
                  location_detail: str, preferred_slots: list[dict[str, Any]], photos: list[Photo], visit: str,
                  now: datetime, language: str = "") -> IntakeResult:
    """A report from a scanned code, with its photos, in one transaction: a bad photo saves nothing.

    ``language``: the page's language; the owner's text messages about the order are written in it."""
    place = place_of_token(identity=identity, token=token, now=now)
    if not (category_code or "").strip():
        # The picker's radios are hidden until a family is chosen: say what is missing.
        raise _field_error("category_code", _("Choose what the problem is: tap a kind of problem, then the "
                                              "closest match."))
    cleaned = _clean_photos(photos)
    actor = identity.actor()
    with transaction.atomic():
        result = order_intake(actor=actor, channel=Channel.QR, category_code=category_code, description=description,
                              contact_name=identity.name or str(_("Owner")), contact_phone=identity.phone, now=now,
                              location_detail=location_detail, preferred_slots=preferred_slots,
                              reporter_owner_id=identity.owner_id, contact_language=language, **place)
        order = WorkOrder.objects.select_for_update().get(id=result.order.id)
        for clean, name in cleaned:
            attachment_store(order=order, clean=clean, original_name=name, uploaded_by=None,
                             actor_label=actor.display(), owner_visible=True, now=now)
        ArticleView.objects.filter(visit=visit, reported_at__isnull=True).update(reported_at=now)
    return result


def portal_add_to_existing(*, identity: OwnerIdentity, order_id: Any, description: str, photos: list[Photo],
                           visit: str, now: datetime) -> WorkOrder:
    """"Add to the existing report": the text becomes a message on the open order, the photos join it."""
    cleaned = _clean_photos(photos)
    actor = identity.actor()
    with transaction.atomic():
        owner_message_add(identity=identity, order_id=order_id, body=description, now=now)
        order = access_order_of_owner(owner_id=identity.owner_id, phone=identity.phone, order_id=order_id,
                                      today=business_date(now), for_update=True)
        for clean, name in cleaned:
            attachment_store(order=order, clean=clean, original_name=name, uploaded_by=None,
                             actor_label=actor.display(), owner_visible=True, now=now)
        ArticleView.objects.filter(visit=visit, reported_at__isnull=True).update(reported_at=now)
    return order


def portal_photos_add(*, identity: OwnerIdentity, order_id: Any, photos: list[Photo], now: datetime) -> int:
    cleaned = _clean_photos(photos)
    actor = identity.actor()
    added = 0
    with transaction.atomic():
        order = access_order_of_owner(owner_id=identity.owner_id, phone=identity.phone, order_id=order_id,
                                      today=business_date(now), for_update=True)
        for clean, name in cleaned:
            _row, created = attachment_store(order=order, clean=clean, original_name=name, uploaded_by=None,
                                             actor_label=actor.display(), owner_visible=True, now=now)
            added += int(created)
    return added


# --- knowledge base


def article_view_record(*, article: Article, visit: str, now: datetime) -> None:
    """Counts a read once per visit; the visit's later report (if any) marks it as not self-served."""
    if not visit:
        return
    if not ArticleView.objects.filter(article=article, visit=visit).exists():
        ArticleView.objects.create(article=article, visit=visit, viewed_at=now)


def article_search_text(article: Article) -> str:
    steps = " ".join(f"{step.text} {step.text_en}" for step in article.steps.all()) if article.pk else ""
    return " ".join([article.title, article.summary, article.title_en, article.summary_en, article.keywords,
                     steps]).lower()


def article_reindex(*, article_id: Any) -> None:
    article = Article.objects.get(id=article_id)
    Article.objects.filter(id=article.id).update(search_text=article_search_text(article))
