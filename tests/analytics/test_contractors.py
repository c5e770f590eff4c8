"""The contractor breakdown and the cost split against a case computed by hand: each order's
contractor is the one registered for its building and the warranty component of its category; an
in-warranty cost reported within the contractor's own period is the contractor's to pay back, any
other in-warranty cost the developer's."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client, RequestFactory

from backend.analytics.filters import Filters
from backend.analytics.models import OrderFact
from backend.analytics.selectors import (
    breakdowns,
    contractor_breakdown,
    cost_satisfaction,
    drilldown_page,
    project_ranking,
    rollups_differences,
    service_kpis,
)
from backend.analytics.services import refresh_changed, rollups_rebuild
from backend.core.errors import ValidationFailed
from backend.properties.models import Contractor
from tests.analytics.world import make_world, report, set_cost

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 2, 20, 12, 0, tzinfo=SH)


def filters(**query: str) -> Filters:
    return Filters.from_query(RequestFactory().get("/", {"period": "year", "month": "2026-02", **query}).GET, now=NOW)


@pytest.fixture
def case():
    """Accepted 2024-01-01, handed over 2025-03-01. Contractor periods (from acceptance): wet rooms
    5 y → 2029-01-01, pipes 2 y → 2026-01-01, fit-out 2 y → 2026-01-01; structure has no contractor
    registered. Orders (cost):
    A bathroom leak 2025-12-10 (¥1000): in warranty, within the waterproofer's period → 防水 owes 1000;
    B drain 2025-12-10 (¥300): in warranty (pipes to 2026-01-01) and within the plumber's → 管道 owes 300;
    C tiles 2026-02-10 (¥200): in warranty (the owner's year to 2026-03-01) but the fit-out contractor's
      period ended 2026-01-01 → the developer bears 200 (装修's order, owes 0);
    D wall crack 2025-12-10 (¥500): in warranty (design life), no contractor named → the developer bears 500;
    E drain 2026-02-10 (¥150): out of warranty (pipes ended 2026-01-01) → the owner pays, 管道's order.
    In warranty 2000 = contractors 1300 + developer 700; owner 150."""
    world = make_world(projects=1, acceptance=date(2024, 1, 1),
                       contractors={"wet_room_waterproofing": "防水公司", "plumbing_pipes": "管道公司",
                                    "fit_out": "装修公司"})
    units = world.units
    orders = {}
    for key, unit, category, day, cost in (
            ("A", units[0], "bathroom-leak", date(2025, 12, 10), "1000"),
            ("B", units[1], "drainage", date(2025, 12, 10), "300"),
            ("C", units[2], "tiles", date(2026, 2, 10), "200"),
            ("D", units[3], "wall-crack", date(2025, 12, 10), "500"),
            ("E", units[4], "drainage", date(2026, 2, 10), "150")):
        order = report(world, unit=unit, at=datetime(day.year, day.month, day.day, 10, 0, tzinfo=SH), category=category)
        set_cost(order, cost)
        orders[key] = order
    refresh_changed(now=NOW)
    world.by_key = orders
    return world


def ids(name: str) -> str:
    return str(Contractor.objects.get(name=name).id)


@pytest.mark.django_db
def test_each_order_carries_the_contractor_of_its_building_and_component_and_who_owes(case):
    facts = {f.order_id: f for f in OrderFact.objects.all()}
    got = {k: (facts[o.id].warranty, facts[o.id].contractor_id and str(facts[o.id].contractor_id),
               facts[o.id].contractor_owes) for k, o in case.by_key.items()}
    assert got == {"A": ("in", ids("防水公司"), True), "B": ("in", ids("管道公司"), True),
                   "C": ("in", ids("装修公司"), False), "D": ("in", None, False), "E": ("out", ids("管道公司"), False)}


@pytest.mark.django_db
def test_the_contractor_breakdown_and_the_cost_split_equal_the_hand_computed_case(case):
    rows = {r["name"]: (r["orders"], r["in_warranty"], r["contractor_owed"], r["developer_bears"])
            for r in contractor_breakdown(actor=case.director, filters=filters())}
    assert rows == {"防水公司": (1, Decimal("1000"), Decimal("1000"), Decimal("0")),
                    "管道公司": (2, Decimal("300"), Decimal("300"), Decimal("0")),
                    "装修公司": (1, Decimal("200"), Decimal("0"), Decimal("200")),
                    "（未登记承包单位）": (1, Decimal("500"), Decimal("0"), Decimal("500"))}
    cost = breakdowns(actor=case.director, filters=filters())["cost"]
    assert (cost["contractors"], cost["developer"], cost["owner"]) == (Decimal("1300"), Decimal("700"), Decimal("150"))
    overall = cost_satisfaction(actor=case.director, filters=filters())["overall"]
    assert (overall["in_warranty"], overall["contractor_owed"], overall["developer_bears"], overall["out_warranty"]) \
        == (Decimal("2000"), Decimal("1300"), Decimal("700"), Decimal("150"))
    # A period of days (the edges from the facts, the whole months from the roll-up) adds up the same.
    days = filters(period="custom", start="2025-12-05", end="2026-02-15")
    assert {r["name"]: r["contractor_owed"] for r in contractor_breakdown(actor=case.director, filters=days)} \
        == {"防水公司": Decimal("1000"), "管道公司": Decimal("300"), "装修公司": Decimal("0"), "（未登记承包单位）": Decimal("0")}
    assert rollups_differences(now=NOW) == []
    rollups_rebuild(now=NOW)
    assert rollups_differences(now=NOW) == []


@pytest.mark.django_db
def test_the_contractor_filter_narrows_every_page_and_the_list_counts_the_same(case):
    plumber = filters(contractor=ids("管道公司"))
    assert drilldown_page(actor=case.director, filters=plumber).total == 2
    assert drilldown_page(actor=case.director, filters=filters(contractor="none")).total == 1
    assert [r["orders"] for r in project_ranking(actor=case.director, filters=plumber)] == [2]
    assert service_kpis(actor=case.director, filters=plumber, now=NOW)["overall"]["orders"] == 2
    assert cost_satisfaction(actor=case.director, filters=plumber)["overall"]["out_warranty"] == Decimal("150")
    with pytest.raises(ValidationFailed):
        filters(contractor="not-an-id")


@pytest.mark.django_db
def test_the_hotspot_page_shows_the_breakdown_and_each_count_opens_that_many_orders(case):
    import re

    client = Client()
    client.force_login(case.director)
    page = client.get("/analytics/?period=year&month=2026-02", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "按承包单位" in page and "承包单位应返还" in page
    links = re.findall(r'href="(/analytics/orders\?[^"]*contractor=[^"]+)" data-count="(\d+)"', page)
    assert len(links) == 4
    for href, count in links:
        listed = client.get(href.replace("&amp;", "&")).content.decode()
        assert int(re.search(r'<span id="total">(\d+)</span>', listed).group(1)) == int(count)
    export = client.get(f"/analytics/export/orders.xlsx?period=year&month=2026-02&contractor={ids('管道公司')}")
    assert export.status_code == 200
    import io

    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content)), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 3 and {r[8] for r in rows[1:]} == {"管道公司"}
    assert any("管道公司" in str(v) for row in book.worksheets[1].iter_rows(values_only=True) for v in row)
