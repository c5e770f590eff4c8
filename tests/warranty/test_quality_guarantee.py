"""The 住宅质量保证书 PDF of a unit: it opens, and it states each component's periods under both chains,
the contract's extension and the end that applies."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.test import Client

from backend.accounts.roles import Role
from backend.core.errors import NotFound, PermissionDenied
from backend.properties.models import UnitUse
from backend.warranty.documents import quality_guarantee_pdf, quality_guarantee_pdf_for_owner
from backend.warranty.models import OwnerExtension
from tests.factories import BuildingFactory, OwnershipFactory, UnitFactory, user_with_roles
from tests.warranty.pdf_text import check_structure, shown_text

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)


def _unit(**unit: object):
    building = BuildingFactory(completion_acceptance_date=date(2016, 1, 1), name="3栋")
    OwnerExtension.objects.create(project=building.project, component="fit_out", extra_months=24,
                                  contract_ref="补充协议第3条")
    return UnitFactory(building=building, number="1201", handover_date=date(2017, 1, 1), **unit)


def _lines(text: str) -> str:
    return text.replace("\n", "")


def test_the_pdf_opens_and_states_both_chains_and_the_end_that_applies():
    unit = _unit()
    pdf = quality_guarantee_pdf(actor=user_with_roles(Role.HANDOVER_OFFICER), unit_id=unit.id, now=NOW)
    assert check_structure(pdf) >= 1
    text = shown_text(pdf)
    flat = _lines(text)
    assert "住宅质量保证书" in flat and "1201" in flat and "3栋" in flat
    assert "2017-01-01" in text and "2016-01-01" in text  # handover and acceptance dates
    # Roof waterproofing (the example): the owner's 3 years end 2020-01-01, the contractor's
    # 5 years 2021-01-01 — the unit is covered until the later.
    roof = flat[flat.index("屋面防水"):]
    assert roof.index("3年") < roof.index("2020-01-01") < roof.index("5年") < roof.index("2021-01-01")
    # Fit-out: 1 year from the handover + the contract's 24 months (2020-01-01) beats the contractor's
    # two years from acceptance (2018-01-01); the extension names its contract.
    fit_out = flat[flat.index("装修工程"):]
    assert "24个月" in fit_out and "补充协议第3条" in fit_out
    assert fit_out.index("2020-01-01") < fit_out.index("2018-01-01")
    assert fit_out.index("2018-01-01") < fit_out.rindex("2020-01-01")
    assert "自交付之日" in flat  # the deciding chain is named


def test_a_missing_acceptance_date_is_printed_as_unknown_not_guessed():
    unit = UnitFactory(building=BuildingFactory(completion_acceptance_date=None), handover_date=date(2025, 5, 1))
    text = _lines(shown_text(quality_guarantee_pdf(actor=user_with_roles(Role.CUSTOMER_SERVICE), unit_id=unit.id,
                                                   now=NOW)))
    assert "缺少竣工验收合格日期" in text


def test_a_non_residential_unit_is_covered_for_the_contractors_period():
    unit = _unit(use=UnitUse.SHOP)
    flat = _lines(shown_text(quality_guarantee_pdf(actor=user_with_roles(Role.ADMINISTRATOR), unit_id=unit.id,
                                                   now=NOW)))
    roof = flat[flat.index("屋面防水"):]
    assert "非住宅" in flat
    assert roof.index("2021-01-01") < roof.index("承包")  # the contractor's end decides


def test_staff_download_it_and_other_roles_may_not():
    unit = _unit()
    client = Client()
    client.force_login(user_with_roles(Role.HANDOVER_OFFICER))
    response = client.get(f"/api/v1/warranty/units/{unit.id}/quality-guarantee.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "2021-01-01" in shown_text(response.content)
    with pytest.raises(PermissionDenied):
        quality_guarantee_pdf(actor=user_with_roles(Role.TECHNICIAN), unit_id=unit.id, now=NOW)


def test_the_owner_gets_the_document_of_their_own_unit_only():
    unit = _unit()
    mine = OwnershipFactory(unit=unit, start_date=date(2017, 1, 1))
    assert "2021-01-01" in shown_text(quality_guarantee_pdf_for_owner(owner_id=mine.owner_id, unit_id=unit.id,
                                                                      now=NOW))
    other = OwnershipFactory(start_date=date(2017, 1, 1))
    with pytest.raises(NotFound):
        quality_guarantee_pdf_for_owner(owner_id=other.owner_id, unit_id=unit.id, now=NOW)
    with pytest.raises(NotFound):  # a former owner
        gone = OwnershipFactory(unit=unit, start_date=date(2017, 1, 1), end_date=date(2020, 1, 1))
        quality_guarantee_pdf_for_owner(owner_id=gone.owner_id, unit_id=unit.id, now=NOW)
