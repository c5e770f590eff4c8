from __future__ import annotations

import uuid
from datetime import date

import pytest

from backend.accounts.roles import Role
from backend.core.errors import NotFound, PermissionDenied
from backend.properties.errors import InvalidIdNumber, InvalidOwnershipDates, InvalidPhone
from backend.properties.identity import hash_id_number
from backend.properties.models import Owner, Ownership
from backend.properties.services import owner_upsert, ownership_end, ownership_start
from tests.authz.framework import database_snapshot
from tests.factories import OwnershipFactory, UnitFactory, user_with_roles
from tests.properties.files import ID_NUMBERS

pytestmark = pytest.mark.django_db


@pytest.fixture
def handover():
    return user_with_roles(Role.HANDOVER_OFFICER)


def test_an_owner_is_registered_with_a_normalised_phone_and_only_the_id_hash(handover):
    owner = owner_upsert(actor=handover, name=" 王芳 ", phone="138 1234 5678", id_number=ID_NUMBERS[0].lower())
    assert (owner.name, owner.phone) == ("王芳", "+8613812345678")
    assert owner.id_number_hash == hash_id_number(ID_NUMBERS[0])


def test_the_same_phone_in_another_spelling_updates_the_same_owner_and_keeps_the_hash(handover):
    first = owner_upsert(actor=handover, name="王芳", phone="13812345678", id_number=ID_NUMBERS[0])
    again = owner_upsert(actor=handover, name="王 芳", phone="+86-138-1234-5678")
    assert again.id == first.id and Owner.objects.count() == 1
    assert again.name == "王 芳" and again.id_number_hash == hash_id_number(ID_NUMBERS[0])


@pytest.mark.parametrize(("kwargs", "error"), [
    ({"phone": "12345"}, InvalidPhone),
    ({"phone": "13812345678", "id_number": "110105194912310021"}, InvalidIdNumber),
])
def test_invalid_personal_data_is_refused_and_nothing_is_saved(handover, kwargs, error):
    with pytest.raises(error):
        owner_upsert(actor=handover, name="王芳", **kwargs)
    assert not Owner.objects.exists()


def test_a_technician_cannot_register_owners_and_nothing_changes():
    technician = user_with_roles(Role.TECHNICIAN)
    before = database_snapshot()
    with pytest.raises(PermissionDenied):
        owner_upsert(actor=technician, name="王芳", phone="13812345678")
    assert database_snapshot() == before


def test_an_ownership_is_recorded_once_per_owner_unit_and_start_date(handover):
    unit = UnitFactory()
    owner = owner_upsert(actor=handover, name="王芳", phone="13812345678")
    first = ownership_start(actor=handover, owner_id=owner.id, unit_id=unit.id, start_date=date(2024, 7, 1),
                            is_primary_contact=True)
    again = ownership_start(actor=handover, owner_id=owner.id, unit_id=unit.id, start_date=date(2024, 7, 1),
                            is_primary_contact=True)
    assert first.id == again.id and Ownership.objects.count() == 1


def test_an_ownership_cannot_end_before_it_starts(handover):
    ownership = OwnershipFactory(start_date=date(2024, 7, 1))
    with pytest.raises(InvalidOwnershipDates):
        ownership_end(actor=handover, ownership_id=ownership.id, end_date=date(2024, 6, 30))
    ownership.refresh_from_db()
    assert ownership.end_date is None


def test_ending_an_ownership_records_the_end_date(handover):
    ownership = OwnershipFactory(start_date=date(2024, 7, 1))
    ownership_end(actor=handover, ownership_id=ownership.id, end_date=date(2025, 3, 1))
    ownership.refresh_from_db()
    assert ownership.end_date == date(2025, 3, 1)


def test_an_ownership_of_an_unknown_unit_or_owner_is_not_found(handover):
    owner = owner_upsert(actor=handover, name="王芳", phone="13812345678")
    with pytest.raises(NotFound):
        ownership_start(actor=handover, owner_id=owner.id, unit_id=uuid.uuid4(), start_date=date(2024, 7, 1))
    with pytest.raises(NotFound):
        ownership_start(actor=handover, owner_id=uuid.uuid4(), unit_id=UnitFactory().id, start_date=date(2024, 7, 1))
    assert not Ownership.objects.exists()
