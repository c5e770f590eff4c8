"""The engineering director in a real Chromium at 1440×900: hotspots → the project with the planted
hotspot is first → its building → the elevation heatmap → a click on the hottest cell → that unit's
orders (as many as the cell said) → the ticket in the console's workspace; the building's XLSX export
opens with openpyxl and holds the same numbers. Screenshots for the README."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import openpyxl
import pytest
from django.utils import timezone

from backend.analytics.services import refresh_changed
from tests.analytics.world import FIX, make_world, report, walk
from tests.e2e.conftest import shot
from tests.e2e.test_console_journey import staff_page

pytestmark = pytest.mark.django_db(transaction=True)
WAIT = 20000


def test_the_director_goes_from_the_hotspot_ranking_to_the_ticket_in_a_few_clicks(browser, live_site):
    base, _live = live_site
    world = make_world(projects=3, floors=6, doors=3)
    now = timezone.now()
    hot = world.projects[1]
    units = [u for u in world.units if u.building.project_id == hot.id]
    riser = [u for u in units if u.number.endswith("02")]
    for i, unit in enumerate(riser + riser[-2:] + riser[-1:]):  # the riser; the top floors worst
        order = report(world, unit=unit, at=now - timedelta(days=5 + i), category="bathroom-leak")
        walk(world, order, FIX, now - timedelta(days=5 + i))
    for project in (world.projects[0], world.projects[2]):
        other = [u for u in world.units if u.building.project_id == project.id]
        for i in range(2):
            report(world, unit=other[i], at=now - timedelta(days=3 + i), category="tiles")
    refresh_changed(now=timezone.now())

    context, page = staff_page(browser, base, world.director)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{base}/console/")
        page.click("nav.side a[data-nav=analytics]")
        page.wait_for_selector("#ranking tbody tr", timeout=WAIT)
        first = page.locator("#ranking tbody tr").first
        assert first.get_attribute("data-project") == str(hot.id)
        page.wait_for_function("document.querySelector('#pareto-chart canvas') !== null", timeout=WAIT)
        shot(page, "analytics-hotspots")

        first.locator("td:nth-child(2) a").click()
        page.wait_for_selector("#buildings tbody tr", timeout=WAIT)
        page.locator("#buildings tbody tr").first.locator("td:first-child a").click()
        page.wait_for_function("document.querySelector('#heatmap-chart')?.anxinChart !== undefined", timeout=WAIT)
        hottest = page.locator("#hottest")
        expected = int(hottest.get_attribute("data-count"))
        number = hottest.inner_text().split("·")[0].strip()
        assert number.endswith("02") and expected == 3
        shot(page, "analytics-building-heatmap")

        # click the hottest cell on the chart itself
        point = page.evaluate("""(number) => {
            const chart = document.getElementById('heatmap-chart').anxinChart;
            const cell = chart.getOption().series[0].data.find((c) => c[3] === number);
            const [x, y] = chart.convertToPixel({ seriesIndex: 0 }, [cell[0], cell[1]]);
            const box = document.getElementById('heatmap-chart').getBoundingClientRect();
            return [box.left + x, box.top + y];
        }""", number)
        page.mouse.click(point[0], point[1])
        page.wait_for_selector("#orders tbody tr[data-order]", timeout=WAIT)
        assert int(page.inner_text("#total")) == expected
        assert page.locator("#orders tbody tr[data-order]").count() == expected
        shot(page, "analytics-drilldown")
        page.locator("#orders tbody tr[data-order] td:first-child a").first.click()
        page.wait_for_url(re.compile(r".*/console/orders/[0-9a-f-]+$"), timeout=WAIT)
        assert number in page.content()

        page.go_back()
        page.go_back()
        page.wait_for_selector("a[data-export=heatmap]", timeout=WAIT)
        with page.expect_download(timeout=WAIT) as download:
            page.click("a[data-export=heatmap]")
        book = openpyxl.load_workbook(io.BytesIO(open(download.value.path(), "rb").read()), read_only=True)
        rows = {row[0]: row[4] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)}
        assert rows[number] == expected
        assert sum(rows.values()) == len(riser) + 3

        page.click("nav.tabs a[data-tab=service]")
        page.wait_for_function("document.querySelector('#sla-chart canvas') !== null", timeout=WAIT)
        assert page.locator("#teams tbody tr").count() >= 1
        shot(page, "analytics-service")
        page.click("nav.tabs a[data-tab=cost]")
        page.wait_for_selector("#cost-kpis", timeout=WAIT)
        assert errors == [], errors
    finally:
        context.close()
