from __future__ import annotations

from datetime import date

import pytest

from backend.properties.models import UnitUse
from backend.warranty.models import WarrantyClock
from backend.warranty.selectors import unit_warranty_terms
from backend.warranty.services import warranty_clocks_start
from tests.factories import BuildingFactory, UnitFactory
from workflows.warranty import COMPONENTS

pytestmark = pytest.mark.django_db


def test_handover_starts_one_clock_per_component_and_refreshes_on_repeat() -> None:
    unit = UnitFactory(building=BuildingFactory(completion_acceptance_date=date(2024, 1, 10)))
    assert warranty_clocks_start(unit_id=unit.pk, handover_date=date(2024, 6, 1)) == len(COMPONENTS)
    warranty_clocks_start(unit_id=unit.pk, handover_date=date(2024, 7, 1))
    assert WarrantyClock.objects.filter(unit=unit).count() == len(COMPONENTS)
    fit_out = WarrantyClock.objects.get(unit=unit, component="fit_out")
    assert fit_out.decided_end == date(2026, 1, 10) and fit_out.chain == "contractor"


def test_terms_without_acceptance_date_are_unknown() -> None:
    unit = UnitFactory(use=UnitUse.SHOP)
    terms = unit_warranty_terms(unit_id=unit.pk, handover_date=date(2024, 6, 1))
    assert {t.chain for t in terms} == {"unknown"}
    assert all(t.decided_end is None for t in terms)
