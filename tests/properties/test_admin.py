from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from backend.accounts.models import User
from backend.properties.identity import hash_id_number
from backend.properties.models import Owner, QrToken
from tests.factories import (
    DEFAULT_PASSWORD,
    OwnershipFactory,
    PublicAreaFactory,
    QrTokenFactory,
    UserFactory,
    user_with_roles,
)
from tests.properties.files import ID_NUMBERS

pytestmark = pytest.mark.django_db

MODELS = ("project", "building", "unit", "publicarea", "owner", "ownership", "qrtoken")


def admin_client(*, superuser: bool = True, roles: tuple[str, ...] = ()) -> Client:
    user = user_with_roles(*roles) if roles else UserFactory()
    user.is_staff = True
    user.is_superuser = superuser
    user.save()
    client = Client()
    assert client.login(username=user.username, password=DEFAULT_PASSWORD)
    return client


@pytest.mark.parametrize("model", MODELS)
def test_every_registry_model_has_a_searchable_admin_list(model):
    OwnershipFactory(owner__phone="+8613812345678")
    QrTokenFactory()
    PublicAreaFactory()
    response = admin_client().get(reverse(f"admin:properties_{model}_changelist"), {"q": "1"})
    assert response.status_code == 200


def test_the_owner_list_shows_masked_phones():
    OwnershipFactory(owner__phone="+8613812345678")
    page = admin_client().get(reverse("admin:properties_owner_changelist")).content.decode()
    assert "138****5678" in page and "13812345678" not in page


def test_an_owner_added_in_the_admin_gets_a_normalised_phone_and_a_hashed_id_number():
    response = admin_client().post(reverse("admin:properties_owner_add"), {
        "name": "王芳", "phone": "138 1234 5678", "id_number": ID_NUMBERS[0],
        "ownerships-TOTAL_FORMS": "0", "ownerships-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    owner = Owner.objects.get()
    assert owner.phone == "+8613812345678" and owner.id_number_hash == hash_id_number(ID_NUMBERS[0])


def test_an_invalid_phone_in_the_admin_is_refused():
    response = admin_client().post(reverse("admin:properties_owner_add"), {
        "name": "王芳", "phone": "12345", "id_number": "",
        "ownerships-TOTAL_FORMS": "0", "ownerships-INITIAL_FORMS": "0",
    })
    assert response.status_code == 200 and not Owner.objects.exists()


def test_the_qr_admin_revokes_selected_tokens():
    token = QrTokenFactory()
    response = admin_client().post(reverse("admin:properties_qrtoken_changelist"),
                                   {"action": "revoke_selected", "_selected_action": [str(token.id)]})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_the_qr_admin_replaces_selected_tokens_with_new_ones():
    token = QrTokenFactory()
    admin_client().post(reverse("admin:properties_qrtoken_changelist"),
                        {"action": "rotate_selected", "_selected_action": [str(token.id)]})
    assert QrToken.objects.filter(unit=token.unit).count() == 2
    assert QrToken.objects.get(unit=token.unit, revoked_at__isnull=True).id != token.id


def test_staff_without_the_administrator_role_cannot_revoke_through_the_admin():
    token = QrTokenFactory()
    client = admin_client(superuser=False, roles=("dispatcher",))
    user = User.objects.get(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="properties"))
    client.post(reverse("admin:properties_qrtoken_changelist"),
                {"action": "revoke_selected", "_selected_action": [str(token.id)]})
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_change_pages_of_a_qr_token_and_an_owner_show_no_raw_secrets():
    token = QrTokenFactory()
    owner = OwnershipFactory(owner__id_number_hash=hash_id_number(ID_NUMBERS[0])).owner
    client = admin_client()
    token_page = client.get(reverse("admin:properties_qrtoken_change", args=[token.id]))
    owner_page = client.get(reverse("admin:properties_owner_change", args=[owner.id])).content.decode()
    assert token_page.status_code == 200 and f"/q/{token.token}" in token_page.content.decode()
    assert owner.id_number_hash not in owner_page and ID_NUMBERS[0] not in owner_page
