"""The director's pages: numbers, the drill-down behind each (same count), the heatmap cells, the XLSX
export (the same numbers, opened with openpyxl), the scope of a manager and the refusals."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.test import Client

from backend.accounts.roles import Role
from backend.analytics.models import OrderFact
from backend.analytics.services import refresh_changed
from backend.workorders.states import State
from tests.analytics.world import FIX, make_world, report, walk
from tests.factories import ProjectFactory, TeamFactory, user_with_roles

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=SH)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world():
    """Project 0: a leaking riser (position 01 on every floor, 6 orders) and one other; project 1: one order."""
    w = make_world()
    stack = [u for u in w.units if u.building.project_id == w.projects[0].id and u.number.endswith("01")]
    for i, unit in enumerate(stack * 2):
        order = report(w, unit=unit, at=NOW - timedelta(days=3 + i), category="water-supply")
        if i % 2 == 0:
            walk(w, order, FIX, NOW - timedelta(days=3 + i))
    report(w, unit=[u for u in w.units if u.building.project_id == w.projects[0].id][1], at=NOW - timedelta(days=2),
           category="tiles")
    other = [u for u in w.units if u.building.project_id == w.projects[1].id][0]
    report(w, unit=other, at=NOW - timedelta(days=2))
    cancelled = report(w, unit=other, at=NOW - timedelta(days=2))
    walk(w, cancelled, [State.CANCELLED], NOW - timedelta(days=2))
    refresh_changed(now=NOW)
    return w


def count_behind(client: Client, href: str) -> int:
    page = client.get(href.replace("&amp;", "&"))
    assert page.status_code == 200
    return int(re.search(r'<span id="total">(\d+)</span>', page.content.decode()).group(1))


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_the_project_with_the_hotspot_ranks_first_per_100_units_and_its_count_drills_down(world):
    client = client_for(world.director)
    page = client.get("/analytics/?period=quarter").content.decode()
    rows = re.findall(r'<tr data-project="([0-9a-f-]+)">', page)
    assert rows[0] == str(world.projects[0].id)
    # 7 counted orders over 6 handed-over units: 116.7 per 100 units; the other project 1 over 6: 16.7
    assert "116.7" in page and "16.7" in page
    links = re.findall(r'href="(/analytics/orders\?[^"]+)" data-count="(\d+)"', page)
    assert links
    for href, count in links:
        assert count_behind(client, href) == int(count), href


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_the_building_heatmap_shows_the_vertical_stack_and_each_cell_opens_its_orders(world):
    client = client_for(world.director)
    building = world.units[0].building
    page = client.get(f"/analytics/buildings/{building.id}?period=quarter").content.decode()
    assert re.search(r'<td>01</td><td class="num"><a [^>]+data-count="6">6</a>', page)  # the riser
    hottest = re.search(r'id="hottest" href="([^"]+)" data-count="(\d+)"', page)
    assert hottest and count_behind(client, hottest.group(1)) == int(hottest.group(2)) == 2
    listing = client.get(hottest.group(1).replace("&amp;", "&")).content.decode()
    order_link = re.search(r'href="(/console/orders/[0-9a-f-]+)"', listing).group(1)
    assert client.get(order_link).status_code == 200  # the director reaches the ticket


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_the_pareto_goes_down_the_category_tree_and_its_bars_drill_down(world):
    client = client_for(world.director)
    top = client.get("/analytics/?period=quarter").content.decode()
    assert "给水管道" not in re.search(r'<table class="grid" id="pareto">.*?</table>', top, re.S).group(0)
    below = client.get("/analytics/?period=quarter&parent=plumbing-electrical").content.decode()
    table = re.search(r'<table class="grid" id="pareto">.*?</table>', below, re.S).group(0)
    assert "给水管道" in table
    for href, count in re.findall(r'href="(/analytics/orders\?[^"]+)" data-count="(\d+)"', table):
        assert count_behind(client, href) == int(count)


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_the_xlsx_export_holds_the_numbers_of_the_page_and_states_its_filters(world):
    client = client_for(world.director)
    response = client.get("/analytics/export/projects.xlsx?period=quarter")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0][:5] == ("楼盘", "城市", "工单数", "已交付户数", "每百户报修")  # Chinese headers by default
    assert rows[1][0] == world.projects[0].name and rows[1][2] == 7 and rows[1][4] == 116.7
    filters = list(book.worksheets[1].iter_rows(values_only=True))
    assert any("2026-09 – 2026-11" in str(v) for row in filters for v in row)
    orders = client.get("/analytics/export/orders.xlsx?period=quarter&project=" + str(world.projects[0].id))
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(orders.streaming_content)), read_only=True).worksheets[0]
    assert sum(1 for _ in sheet.iter_rows(min_row=2)) == 7


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_a_manager_sees_only_the_projects_of_their_teams(world):
    outsider = user_with_roles(Role.ENGINEERING_MANAGER)
    team = TeamFactory(supervisor=outsider)
    team.projects.add(world.projects[1])
    client = client_for(outsider)
    page = client.get("/analytics/?period=quarter").content.decode()
    assert re.findall(r'<tr data-project="([0-9a-f-]+)">', page) == [str(world.projects[1].id)]
    assert client.get(f"/analytics/projects/{world.projects[0].id}").status_code == 404
    assert count_behind(client, f"/analytics/orders?period=quarter&project={world.projects[0].id}") == 0
    assert client.get(f"/analytics/projects/{ProjectFactory().id}").status_code == 404


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_other_roles_get_403_and_bad_filters_a_field_error_in_chinese(world):
    facts = OrderFact.objects.count()
    for role in (Role.TECHNICIAN, Role.CUSTOMER_SERVICE, Role.DISPATCHER, Role.FINANCE, Role.SALES):
        assert client_for(user_with_roles(role)).get("/analytics/").status_code == 403
    client = client_for(world.director)
    for query in ("period=decade", "month=2026-13", "month=1800-01", "project=nope", "period=custom",
                  "period=custom&start=2027-01&month=2026-01", "cohort=x", "category=nope", "floor=abc"):
        response = client.get(f"/analytics/?{query}")
        assert response.status_code == 422, query
        assert "部分字段有误" in response.content.decode(), query
    assert client.get("/analytics/orders?cursor=garbage").status_code == 422
    assert client.get("/analytics/export/nothing.xlsx").status_code == 404
    assert OrderFact.objects.count() == facts


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_the_drill_down_pages_by_keyset_without_overlap(world):
    client = client_for(world.director)
    from django.http import QueryDict

    from backend.analytics import selectors
    from backend.analytics.filters import Filters

    filters = Filters.from_query(QueryDict("period=quarter"), now=NOW)
    seen, cursor = [], ""
    while True:
        page = selectors.drilldown_page(actor=world.director, filters=filters, cursor=cursor, size=3)
        seen += [r["order_id"] for r in page.rows]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert len(seen) == len(set(seen)) == page.total == 8  # 7 in project 0, 1 in project 1 (the cancelled one not counted)
    html = client.get("/analytics/orders?period=quarter").content.decode()
    assert html.count("<tr data-order=") == 8


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_the_pages_read_in_english_too(world):
    from django.conf import settings

    client = client_for(world.director)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/analytics/?period=quarter").content.decode()
    assert "Projects by defects per 100 handed-over units" in page and "Water supply" in page
    response = client.get("/analytics/export/projects.xlsx?period=quarter")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).worksheets[0]
    assert next(sheet.iter_rows(values_only=True))[:3] == ("Project", "City", "Orders")


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_the_service_and_cost_pages_show_the_kpis_of_the_period(world):
    client = client_for(world.director)
    service = client.get("/analytics/service?period=quarter").content.decode()
    # 8 counted orders, 3 completed in one visit each: first-time fix 100 %, reopen 0 %
    assert re.search(r'<a href="/analytics/orders\?[^"]*"><b>8</b>', service)
    assert re.search(r'data-kpi="ftf"><b>100.0%</b>', service)
    assert re.search(r'data-kpi="reopen"><b>0.0%</b>', service)
    assert client.get("/analytics/cost?period=quarter").status_code == 200


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_every_number_of_every_page_opens_a_list_of_as_many_orders(world):
    client = client_for(world.director)
    building = world.units[0].building
    pages = ["/analytics/?period=quarter&parent=plumbing-electrical", f"/analytics/projects/{world.projects[0].id}?period=quarter",
             f"/analytics/buildings/{building.id}?period=quarter", "/analytics/service?period=quarter",
             "/analytics/cost?period=quarter"]
    checked = 0
    for url in pages:
        page = client.get(url).content.decode()
        for href, count in re.findall(r'href="(/analytics/orders\?[^"]+)" data-count="(\d+)"', page):
            assert count_behind(client, href) == int(count), (url, href)
            checked += 1
    assert checked >= 15
