"""Property tests of the import: whatever valid rows a file holds, it round-trips and re-imports as a no-op."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from backend.properties.imports import import_file
from backend.properties.models import Unit
from tests.factories import BuildingFactory
from tests.properties.files import UNIT_HEADER, csv_bytes, xlsx_bytes

unit_rows = st.lists(
    st.tuples(
        st.text(alphabet="0123456789ABC-", min_size=1, max_size=8).filter(lambda s: s.strip()),
        st.integers(min_value=-3, max_value=18).filter(lambda f: f != 0),
        st.sampled_from(["", "两室一厅", "三室两厅", "复式 A"]),
        st.one_of(st.none(), st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999.99"), places=2)),
        st.sampled_from(["not_delivered", "scheduled", "delivered", "已交付", "未交付"]),
    ),
    min_size=1, max_size=15, unique_by=lambda row: row[0],
)
STATUS = {"已交付": "delivered", "未交付": "not_delivered"}


class UnitImportProperties(TestCase):
    @settings(max_examples=25, deadline=None)
    @given(rows=unit_rows, as_xlsx=st.booleans())
    def test_any_valid_units_file_round_trips_and_re_imports_without_changes(self, rows, as_xlsx):
        BuildingFactory(project__code="hz-a", code="3", floors=18)
        table = [UNIT_HEADER] + [["hz-a", "3", number, floor, layout, "" if area is None else str(area), status, ""]
                                 for number, floor, layout, area, status in rows]
        content, name = (xlsx_bytes(table), "u.xlsx") if as_xlsx else (csv_bytes(table), "u.csv")

        first = import_file(kind="units", filename=name, content=content)
        second = import_file(kind="units", filename=name, content=content)

        assert first.models["unit"]["created"] == len(rows)
        assert second.models["unit"] == {"created": 0, "updated": 0, "unchanged": len(rows)}
        stored = {u.number: u for u in Unit.objects.all()}
        for number, floor, layout, area, status in rows:
            unit = stored[number.strip()]
            assert (unit.floor, unit.layout, unit.area_m2) == (floor, layout, area)
            assert unit.handover_status == STATUS.get(status, status)
