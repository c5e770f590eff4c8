"""factory-boy factories shared by every test package."""

from __future__ import annotations

from decimal import Decimal

import factory
from django.utils import timezone

from backend.accounts import services as account_services
from backend.accounts.models import Team, TechnicianProfile, User
from backend.properties.models import Building, Owner, Ownership, Project, PublicArea, QrToken, Unit
from backend.properties.qr import token_generate as qr_token_generate

DEFAULT_PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"员工{n}")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def roles(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        self.save()
        if extracted:
            account_services.user_set_roles(user=self, roles=extracted)


def user_with_roles(*roles: str, **kwargs: object) -> User:
    return UserFactory(roles=list(roles), **kwargs)


def bearer_for(user: User, device: str = "test-device") -> dict[str, str]:
    _token, raw = account_services.device_token_issue(user=user, name=device, now=timezone.now())
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    code = factory.Sequence(lambda n: f"p{n}")
    name = factory.Sequence(lambda n: f"安心花园{n}期")
    city = "杭州"
    address = "浙江省杭州市西湖区文三路 1 号"
    latitude = Decimal("30.274085")
    longitude = Decimal("120.155070")
    sla_calendar = "standard"


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Building

    project = factory.SubFactory(ProjectFactory)
    code = factory.Sequence(lambda n: f"B{n}")
    name = factory.Sequence(lambda n: f"{n}栋")
    floors = 18


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    building = factory.SubFactory(BuildingFactory)
    number = factory.Sequence(lambda n: f"{n:04d}")
    floor = 12
    layout = "三室两厅"
    area_m2 = Decimal("98.50")


class PublicAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PublicArea

    project = factory.SubFactory(ProjectFactory)
    code = factory.Sequence(lambda n: f"PA{n}")
    name = "地下车库 B2"


class OwnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Owner

    name = factory.Sequence(lambda n: f"业主{n}")
    phone = factory.Sequence(lambda n: f"+86138{n:08d}")


class OwnershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ownership

    owner = factory.SubFactory(OwnerFactory)
    unit = factory.SubFactory(UnitFactory)
    start_date = factory.LazyFunction(lambda: timezone.localdate())
    is_primary_contact = True


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    code = factory.Sequence(lambda n: f"team-{n}")
    name = factory.Sequence(lambda n: f"维修{n}组")


class TechnicianProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TechnicianProfile

    user = factory.SubFactory(UserFactory, roles=["technician"])
    skills = factory.LazyFunction(lambda: {"plumbing": 3})
    on_duty = True


class QrTokenFactory(factory.django.DjangoModelFactory):
    """An active token for a unit (pass ``public_area=..., unit=None`` for a public area)."""

    class Meta:
        model = QrToken

    token = factory.LazyFunction(lambda: qr_token_generate())
    unit = factory.SubFactory(UnitFactory)
    public_area = None
    created_at = factory.LazyFunction(timezone.now)


def registry_admin(**kwargs: object) -> User:
    return user_with_roles("administrator", **kwargs)
