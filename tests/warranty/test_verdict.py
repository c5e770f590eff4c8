from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from backend.workorders.intake.warranty import warranty_verdict
from tests.factories import user_with_roles

HAND, ACC = date(2024, 6, 1), date(2024, 1, 10)


def test_a_shop_gets_only_the_contractors_remaining_period() -> None:
    shop = warranty_verdict(top_category="fit-out", handover_date=HAND, today=date(2026, 3, 1), public_area=False,
                            acceptance_date=ACC, residential=False)
    assert shop.verdict == "out" and shop.params["chain"] == "contractor" and shop.params["ends"] == "2026-01-10"


def test_a_home_with_a_developer_extension_is_still_in_warranty() -> None:
    home = warranty_verdict(top_category="fit-out", handover_date=HAND, today=date(2026, 3, 1), public_area=False,
                            acceptance_date=ACC, extensions={"fit_out": 24})
    assert home.verdict == "in" and home.params["chain"] == "owner" and home.params["ends"] == "2027-06-01"


def test_public_areas_stay_with_the_developer() -> None:
    assert warranty_verdict(top_category="fit-out", handover_date=None, today=HAND, public_area=True).verdict == "in"


def test_an_unmapped_category_is_unknown_and_says_so() -> None:
    verdict = warranty_verdict(top_category="landscaping", handover_date=HAND, today=HAND, public_area=False,
                               acceptance_date=ACC)
    assert verdict.verdict == "unknown" and verdict.code == "warranty.unmapped"


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/admin/properties/contractor/", "/admin/warranty/ownerextension/",
                                 "/admin/warranty/warrantyclock/", "/admin/properties/building/add/"])
def test_the_warranty_admin_pages_open_for_an_administrator(url: str) -> None:
    client = Client()
    client.force_login(user_with_roles("administrator", is_staff=True, is_superuser=True))
    assert client.get(url).status_code == 200
