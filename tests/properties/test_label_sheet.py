"""The printable A4 sheet of QR labels for a building (and for a project's shared places)."""

from __future__ import annotations

import re
import uuid

import pytest
from django.conf import settings
from django.test import Client

from backend.accounts.roles import Role
from backend.properties.models import QrToken
from backend.properties.templatetags.properties_qr import qr_svg
from tests.authz.framework import database_snapshot
from tests.factories import (
    DEFAULT_PASSWORD,
    BuildingFactory,
    OwnershipFactory,
    PublicAreaFactory,
    QrTokenFactory,
    UnitFactory,
    user_with_roles,
)

pytestmark = pytest.mark.django_db


def signed_in(*roles: str) -> Client:
    user = user_with_roles(*roles)
    client = Client()
    assert client.login(username=user.username, password=DEFAULT_PASSWORD)
    return client


@pytest.fixture
def building():
    building = BuildingFactory(name="3栋", project__name="云栖花园", floors=18)
    for number, floor in (("101", 1), ("102", 1), ("1201", 12)):
        UnitFactory(building=building, number=number, floor=floor)
    PublicAreaFactory(project=building.project, building=building, code="b3-lobby", name="大堂")
    PublicAreaFactory(project=building.project, building=None, code="garage-b1", name="地下车库 B1")
    return building


def test_a_registry_manager_gets_one_qr_code_per_unit_and_building_area_with_its_address(building):
    response = signed_in(Role.ADMINISTRATOR).post(f"/properties/buildings/{building.id}/qr-labels")

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('<svg viewBox=') == 4
    for place in ("3栋 101", "3栋 102", "3栋 1201", "3栋 大堂"):
        assert f'<div class="place">{place}</div>' in page
    assert page.count('<div class="project">云栖花园</div>') == 4
    assert "地下车库 B1" not in page  # a project-wide place is on the project's sheet
    assert "@page { size: A4" in page


def test_each_code_encodes_the_public_url_of_the_places_active_token(building):
    page = signed_in(Role.ADMINISTRATOR).post(f"/properties/buildings/{building.id}/qr-labels").content.decode()

    urls = re.findall(r'data-url="([^"]+)"', page)
    active = {f"{settings.PUBLIC_BASE_URL}/q/{t}" for t in
              QrToken.objects.filter(revoked_at__isnull=True).values_list("token", flat=True)}
    assert len(urls) == 4 and set(urls) == active
    for url in urls:
        assert str(qr_svg(url)) in page


def test_tokens_are_issued_once_and_reused_by_later_prints(building):
    client = signed_in(Role.ADMINISTRATOR)
    client.post(f"/properties/buildings/{building.id}/qr-labels")
    tokens = set(QrToken.objects.values_list("token", flat=True))
    client.post(f"/properties/buildings/{building.id}/qr-labels")
    assert set(QrToken.objects.values_list("token", flat=True)) == tokens and len(tokens) == 4


def test_a_revoked_token_is_replaced_on_the_next_print(building):
    unit = building.units.get(number="101")
    old = QrTokenFactory(unit=unit, revoked_at="2025-01-01T00:00:00Z")
    page = signed_in(Role.ADMINISTRATOR).post(f"/properties/buildings/{building.id}/qr-labels").content.decode()
    assert old.token not in page
    assert QrToken.objects.get(unit=unit, revoked_at__isnull=True).token in page


def test_the_sheet_shows_no_owner_data(building):
    OwnershipFactory(unit=building.units.get(number="101"), owner__name="王芳", owner__phone="+8613812345678")
    page = signed_in(Role.ADMINISTRATOR).post(f"/properties/buildings/{building.id}/qr-labels").content.decode()
    assert "王芳" not in page and "5678" not in page


def test_the_project_sheet_has_the_places_outside_buildings(building):
    page = signed_in(Role.ADMINISTRATOR).post(f"/properties/projects/{building.project_id}/qr-labels")
    text = page.content.decode()
    assert page.status_code == 200
    assert "地下车库 B1" in text and "大堂" not in text and text.count("<svg viewBox=") == 1


def test_an_anonymous_visitor_is_sent_to_sign_in(building):
    url = f"/properties/buildings/{building.id}/qr-labels"
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.FINANCE, Role.HOMEOWNER, Role.SALES, Role.CUSTOMER_SERVICE,
                                  Role.DISPATCHER, Role.HANDOVER_OFFICER])
@pytest.mark.parametrize("method", ["get", "post"])
def test_roles_other_than_registry_managers_get_a_403_page_and_no_token_is_issued(building, role, method):
    client = signed_in(role)
    before = database_snapshot()
    response = getattr(client, method)(f"/properties/buildings/{building.id}/qr-labels")
    assert response.status_code == 403
    assert "无权访问" in response.content.decode()
    assert QrToken.objects.count() == 0
    assert database_snapshot() == before


def test_an_unknown_building_is_not_found():
    client = signed_in(Role.ADMINISTRATOR)
    assert client.get(f"/properties/buildings/{uuid.uuid4()}/qr-labels").status_code == 404
    assert client.post(f"/properties/buildings/{uuid.uuid4()}/qr-labels").status_code == 404


def test_opening_the_page_issues_nothing_only_the_post_does(building):
    client = signed_in(Role.ADMINISTRATOR)
    before = database_snapshot()
    page = client.get(f"/properties/buildings/{building.id}/qr-labels")
    assert page.status_code == 200 and 'method="post"' in page.content.decode()
    assert database_snapshot() == before and not QrToken.objects.exists()


def test_the_post_needs_the_csrf_token(building):
    user = user_with_roles(Role.ADMINISTRATOR)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post(f"/properties/buildings/{building.id}/qr-labels").status_code == 403
    assert not QrToken.objects.exists()
