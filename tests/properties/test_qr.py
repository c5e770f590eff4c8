"""QR tokens: signed, not enumerable, one active per place, rotated atomically, resolving to a place only."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import IntegrityError, transaction
from django.test import Client, override_settings
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.accounts.roles import Role
from backend.core.errors import NotFound, PermissionDenied
from backend.properties.errors import QrTokenInvalid, QrTokenRevoked
from backend.properties.models import QrToken
from backend.properties.qr import (
    TOKEN_LENGTH,
    qr_resolve,
    qr_token_ensure,
    qr_token_revoke,
    qr_token_rotate,
    qr_tokens_ensure_bulk,
    qr_url,
    token_generate,
    token_signature_valid,
)
from tests.authz.framework import database_snapshot
from tests.factories import (
    OwnershipFactory,
    PublicAreaFactory,
    QrTokenFactory,
    UnitFactory,
    registry_admin,
    user_with_roles,
)

NOW = timezone.now().replace(microsecond=0)


def test_a_token_is_a_random_part_and_a_signature_in_url_safe_characters():
    token = token_generate()
    assert len(token) == TOKEN_LENGTH == 24
    assert token_signature_valid(token)
    assert all(ch.isalnum() or ch in "-_" for ch in token)
    assert len({token_generate() for _ in range(200)}) == 200


@given(st.integers(min_value=0, max_value=TOKEN_LENGTH - 1), st.sampled_from("AbZ09-_q"))
@settings(max_examples=60)
def test_changing_any_character_of_a_token_breaks_its_signature(position, replacement):
    token = token_generate()
    forged = token[:position] + replacement + token[position + 1:]
    if forged != token:
        assert not token_signature_valid(forged)


@pytest.mark.parametrize("candidate", ["", "short", "x" * TOKEN_LENGTH, "a/b" * 8, "é" * TOKEN_LENGTH, "x" * 5000])
def test_malformed_tokens_are_not_valid(candidate):
    assert not token_signature_valid(candidate)


def test_a_token_signed_with_another_key_is_not_valid():
    with override_settings(QR_SIGNING_KEY="another-key"):
        foreign = token_generate()
    assert not token_signature_valid(foreign)


@pytest.mark.django_db
def test_a_forged_token_is_refused_without_touching_the_database(django_assert_num_queries):
    with django_assert_num_queries(0), pytest.raises(QrTokenInvalid) as info:
        qr_resolve(token="A" * TOKEN_LENGTH)
    assert (info.value.code, info.value.status) == ("qr_token_invalid", 404)


@pytest.mark.django_db
def test_a_well_signed_token_that_was_never_issued_is_invalid():
    with pytest.raises(QrTokenInvalid):
        qr_resolve(token=token_generate())


@pytest.mark.django_db
def test_resolving_a_unit_token_gives_the_place_label_and_no_owner_data():
    ownership = OwnershipFactory(owner__name="王芳", owner__phone="+8613812345678", unit__number="1201",
                                 unit__building__name="3栋", unit__building__project__name="云栖花园",
                                 unit__building__project__service_phone="+864001000001")
    token = qr_token_ensure(unit=ownership.unit, now=NOW)

    place = qr_resolve(token=token.token)

    assert place.kind == "unit"
    assert place.label == "云栖花园 3栋 1201"
    assert place.service_phone == "400 100 0001"
    shown = " ".join(str(value) for value in vars(place).values())
    assert "王芳" not in shown and "5678" not in shown


@pytest.mark.django_db
def test_resolving_a_public_area_token_names_the_area():
    area = PublicAreaFactory(name="地下车库 B2", project__name="云栖花园")
    token = qr_token_ensure(public_area=area, now=NOW)
    place = qr_resolve(token=token.token)
    assert (place.kind, place.label, place.unit_number) == ("public_area", "云栖花园 地下车库 B2", None)


@pytest.mark.django_db
def test_ensure_issues_a_token_once_and_then_returns_it():
    unit = UnitFactory()
    first = qr_token_ensure(unit=unit, now=NOW)
    second = qr_token_ensure(unit=unit, now=NOW + timedelta(days=1))
    assert first.id == second.id and first.created_at == NOW
    assert QrToken.objects.filter(unit=unit).count() == 1


@pytest.mark.django_db
def test_the_database_refuses_a_second_active_token_for_a_place():
    existing = QrTokenFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        QrToken.objects.create(token=token_generate(), unit=existing.unit, created_at=NOW)


@pytest.mark.django_db
def test_bulk_ensure_issues_only_the_missing_tokens():
    kept = QrTokenFactory()
    others = [UnitFactory(building=kept.unit.building) for _ in range(3)]
    area = PublicAreaFactory()

    by_unit, by_area = qr_tokens_ensure_bulk(units=[kept.unit, *others], public_areas=[area], now=NOW)

    assert by_unit[kept.unit.id].id == kept.id
    assert set(by_unit) == {kept.unit.id, *(u.id for u in others)} and set(by_area) == {area.id}
    assert QrToken.objects.count() == 5
    qr_tokens_ensure_bulk(units=others, public_areas=[area], now=NOW)
    assert QrToken.objects.count() == 5


@pytest.mark.django_db
def test_rotating_revokes_the_old_token_and_issues_a_new_one():
    old = QrTokenFactory()
    admin = registry_admin()

    issued = qr_token_rotate(actor=admin, unit_id=old.unit_id, now=NOW)

    old.refresh_from_db()
    assert old.revoked_at == NOW
    assert issued.token != old.token and issued.url == qr_url(issued.token)
    assert QrToken.objects.filter(unit=old.unit, revoked_at__isnull=True).get().id == issued.id
    with pytest.raises(QrTokenRevoked) as info:
        qr_resolve(token=old.token)
    assert (info.value.code, info.value.status) == ("qr_token_revoked", 410)
    assert qr_resolve(token=issued.token).unit_number == old.unit.number


@pytest.mark.django_db
def test_rotating_a_place_without_a_token_issues_its_first():
    area = PublicAreaFactory()
    issued = qr_token_rotate(actor=registry_admin(), public_area_id=area.id, now=NOW)
    assert QrToken.objects.get(public_area=area).token == issued.token


@pytest.mark.django_db
def test_rotating_twice_leaves_exactly_one_active_token():
    unit = UnitFactory()
    admin = registry_admin()
    for _ in range(3):
        qr_token_rotate(actor=admin, unit_id=unit.id, now=NOW)
    assert QrToken.objects.filter(unit=unit).count() == 3
    assert QrToken.objects.filter(unit=unit, revoked_at__isnull=True).count() == 1


@pytest.mark.django_db
def test_a_dispatcher_cannot_rotate_and_nothing_changes():
    token = QrTokenFactory()
    dispatcher = user_with_roles(Role.DISPATCHER)
    before = database_snapshot()
    with pytest.raises(PermissionDenied):
        qr_token_rotate(actor=dispatcher, unit_id=token.unit_id, now=NOW)
    assert database_snapshot() == before


@pytest.mark.django_db
def test_rotating_an_unknown_place_is_not_found():
    with pytest.raises(NotFound):
        qr_token_rotate(actor=registry_admin(), unit_id=uuid.uuid4(), now=NOW)


@pytest.mark.django_db
def test_revoking_keeps_the_first_revocation_time_and_the_next_ensure_issues_a_new_token():
    token = QrTokenFactory()
    admin = registry_admin()
    qr_token_revoke(actor=admin, token_id=token.id, now=NOW)
    again = qr_token_revoke(actor=admin, token_id=token.id, now=NOW + timedelta(hours=1))
    assert again.revoked_at == NOW
    assert qr_token_ensure(unit=token.unit, now=NOW).id != token.id


@pytest.mark.django_db
def test_a_customer_service_agent_cannot_revoke_and_nothing_changes():
    token = QrTokenFactory()
    agent = user_with_roles(Role.CUSTOMER_SERVICE)
    before = database_snapshot()
    with pytest.raises(PermissionDenied):
        qr_token_revoke(actor=agent, token_id=token.id, now=NOW)
    assert database_snapshot() == before


# --- the public API and the portal page


@pytest.mark.django_db
def test_the_public_api_resolves_a_token_without_owner_data():
    ownership = OwnershipFactory(owner__name="王芳", owner__phone="+8613812345678", unit__number="1201")
    token = qr_token_ensure(unit=ownership.unit, now=NOW)

    response = Client().get(f"/api/v1/qr/{token.token}")

    assert response.status_code == 200
    body = response.json()
    assert body["unit_number"] == "1201" and body["kind"] == "unit"
    assert set(body) == {"kind", "label", "project_name", "building_name", "unit_number", "public_area_name",
                         "service_phone"}
    assert "王芳" not in response.content.decode() and "5678" not in response.content.decode()


@pytest.mark.django_db
def test_the_public_api_distinguishes_forged_and_revoked_tokens():
    revoked = QrTokenFactory(revoked_at=NOW)
    client = Client()
    forged = client.get(f"/api/v1/qr/{'B' * TOKEN_LENGTH}")
    replaced = client.get(f"/api/v1/qr/{revoked.token}")
    assert (forged.status_code, forged.json()["code"]) == (404, "qr_token_invalid")
    assert (replaced.status_code, replaced.json()["code"]) == (410, "qr_token_revoked")


@pytest.mark.django_db
@override_settings(RATE_LIMITS={**django_settings.RATE_LIMITS, "qr_resolve": (3, 60)})
def test_the_public_api_is_rate_limited_per_ip():
    client = Client(REMOTE_ADDR="203.0.113.7")
    statuses = [client.get(f"/api/v1/qr/{token_generate()}").status_code for _ in range(4)]
    assert statuses == [404, 404, 404, 429]
    assert Client(REMOTE_ADDR="203.0.113.8").get(f"/api/v1/qr/{token_generate()}").status_code == 404


@pytest.mark.django_db
def test_the_portal_page_shows_the_place_and_the_customer_service_line():
    ownership = OwnershipFactory(owner__name="王芳", unit__number="1201", unit__building__name="3栋",
                                 unit__building__project__name="云栖花园",
                                 unit__building__project__service_phone="+864001000001")
    token = qr_token_ensure(unit=ownership.unit, now=NOW)

    response = Client().get(f"/q/{token.token}")

    page = response.content.decode()
    assert response.status_code == 200
    assert "云栖花园" in page and "3栋" in page and "1201" in page
    assert 'href="tel:4001000001"' in page
    assert "王芳" not in page
    assert response["X-Robots-Tag"] == "noindex, nofollow"


@pytest.mark.django_db
def test_the_portal_page_without_a_service_line_points_to_customer_service_without_links():
    token = qr_token_ensure(unit=UnitFactory(building__project__service_phone=""), now=NOW)
    page = Client().get(f"/q/{token.token}").content.decode()
    assert "tel:" not in page
    assert "客服" in page


@pytest.mark.django_db
def test_a_revoked_code_gets_a_friendly_gone_page():
    token = QrTokenFactory(revoked_at=NOW)
    response = Client().get(f"/q/{token.token}")
    assert response.status_code == 410
    assert "此二维码已更换" in response.content.decode()
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_a_forged_code_gets_a_friendly_not_found_page():
    response = Client().get("/q/not-a-real-token")
    assert response.status_code == 404
    assert "此二维码无效" in response.content.decode()


@pytest.mark.django_db
@override_settings(RATE_LIMITS={**django_settings.RATE_LIMITS, "qr_resolve": (2, 60)})
def test_the_portal_page_is_rate_limited_with_the_api():
    client = Client(REMOTE_ADDR="203.0.113.9")
    token = QrTokenFactory()
    assert client.get(f"/api/v1/qr/{token.token}").status_code == 200
    assert client.get(f"/q/{token.token}").status_code == 200
    limited = client.get(f"/q/{token.token}")
    assert limited.status_code == 429 and "Retry-After" in limited


@pytest.mark.django_db
def test_a_rotation_that_hits_a_conflict_writes_nothing_and_tries_again(monkeypatch):
    other = QrTokenFactory()
    old = QrTokenFactory()
    fresh = token_generate()
    # The first insert collides with an existing token (as a concurrent label print would).
    tokens = iter([other.token, fresh])
    monkeypatch.setattr("backend.properties.qr.token_generate", lambda: next(tokens))

    issued = qr_token_rotate(actor=registry_admin(), unit_id=old.unit_id, now=NOW)

    assert issued.token == fresh
    assert QrToken.objects.filter(unit=old.unit, revoked_at__isnull=True).get().token == fresh
    other.refresh_from_db()
    assert other.revoked_at is None
