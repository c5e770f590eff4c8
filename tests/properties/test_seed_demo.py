"""manage.py seed_demo: realistic, deterministic, idempotent demo data with a login per role."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.utils import timezone

from backend.accounts.models import Team, TechnicianProfile, User
from backend.accounts.roles import Role
from backend.properties import demo_data
from backend.properties.demo import DEMO_LOGINS, DEMO_PASSWORD, TEAM_CODES, TEAMS, plan_projects, seed_demo
from backend.properties.identity import normalize_phone
from backend.properties.models import Building, Owner, Ownership, Project, PublicArea, Unit

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count()
            for model in (Project, Building, Unit, PublicArea, Owner, Ownership, User, Team, TechnicianProfile)}


def test_seeding_twice_creates_nothing_twice():
    seed_demo(scale=1, now=timezone.now())
    first = _counts()
    units = set(Unit.objects.values_list("id", flat=True))
    seed_demo(scale=1, now=timezone.now())
    assert _counts() == first
    assert set(Unit.objects.values_list("id", flat=True)) == units


def test_scale_one_is_a_thousand_to_two_thousand_units_with_owners_and_public_areas():
    summary = seed_demo(scale=1, now=timezone.now())
    assert 1000 <= summary.units <= 2000
    assert summary.owners > 0 and summary.ownerships >= summary.owners
    assert PublicArea.objects.filter(name="地下车库 B2").exists()
    assert PublicArea.objects.filter(name="大堂", building__isnull=False).exists()
    assert set(Unit.objects.values_list("layout", flat=True)) <= set(demo_data.LAYOUTS)


def test_projects_are_in_real_cities_close_to_their_centres():
    seed_demo(scale=1, now=timezone.now())
    centres = {city.name: (city.latitude, city.longitude) for city in demo_data.CITIES}
    for project in Project.objects.all():
        lat, lon = centres[project.city]
        assert abs(project.latitude - lat) <= Decimal("0.1") and abs(project.longitude - lon) <= Decimal("0.1")
        assert project.address.startswith(("浙江省", "上海市", "四川省"))


def test_every_owner_phone_is_a_valid_unique_mobile_number():
    seed_demo(scale=1, now=timezone.now())
    phones = list(Owner.objects.values_list("phone", flat=True))
    assert len(phones) == len(set(phones))
    assert all(normalize_phone(phone) == phone for phone in phones)
    assert all(len(h) == 64 for h in Owner.objects.values_list("id_number_hash", flat=True))


def test_every_demo_technician_has_a_phone_of_their_own():
    # The owner's text message about an assignment gives the technician's number.
    seed_demo(scale=1, now=timezone.now())
    phones = list(User.objects.filter(role_rows__role=Role.TECHNICIAN).values_list("phone", flat=True))
    assert len(phones) == 10 and all(normalize_phone(phone) == phone for phone in phones)
    assert len(set(phones)) == len(phones) and not set(phones) & set(Owner.objects.values_list("phone", flat=True))


def test_every_role_has_a_demo_login_with_the_shared_password():
    seed_demo(scale=1, now=timezone.now())
    for login in DEMO_LOGINS:
        user = authenticate(username=login.username, password=login.password)
        assert user is not None, login.username
        assert user.role_rows.filter(role=login.role).exists()
    assert {login.role for login in DEMO_LOGINS} == set(Role.values)
    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    assert all(login.password == DEMO_PASSWORD for login in DEMO_LOGINS)


def test_teams_and_on_duty_technicians_are_placed_near_their_projects():
    seed_demo(scale=1, now=timezone.now())
    assert set(Team.objects.values_list("code", flat=True)) == set(TEAM_CODES)
    profiles = TechnicianProfile.objects.select_related("user")
    assert profiles.count() == 10
    for profile in profiles:
        team = profile.user.teams.get()
        spec = next(t for t in TEAMS if t.code == team.code)
        # Every technician brings their team's skills, at the levels the routing rules ask for.
        assert profile.on_duty and spec.skills and all(profile.skills[s] >= 2 for s in spec.skills)
        assert profile.last_position_at is not None
        nearest = min(abs(profile.base_latitude - p.latitude) + abs(profile.base_longitude - p.longitude)
                      for p in team.projects.all())
        assert nearest <= Decimal("0.1")
        assert authenticate(username=profile.user.username, password=DEMO_PASSWORD) is not None


def test_the_plan_is_deterministic_and_a_larger_scale_extends_a_smaller_one():
    one, again, two = plan_projects(1), plan_projects(1), plan_projects(2)
    assert [(p.code, p.name, len(p.units)) for p in one] == [(p.code, p.name, len(p.units)) for p in again]
    assert [p.code for p in two[:len(one)]] == [p.code for p in one]
    assert sum(len(p.units) for p in two) >= 2000


def test_the_command_reports_what_the_database_holds():
    out = StringIO()
    call_command("seed_demo", "--scale", "1", stdout=out)
    assert "demo data (scale 1)" in out.getvalue()
    assert f"{Unit.objects.count()} units" in out.getvalue()
