from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflows import warranty as rules

ACC = date(2024, 1, 10)
HAND = date(2024, 6, 1)


@pytest.mark.parametrize(("component", "contractor_end", "owner_end"), [
    ("foundation_structure", date(2074, 1, 10), date(2074, 6, 1)),
    ("roof_waterproofing", date(2029, 1, 10), date(2027, 6, 1)),
    ("wet_room_waterproofing", date(2029, 1, 10), date(2025, 6, 1)),
    ("wall_leakage", date(2029, 1, 10), date(2025, 6, 1)),
    ("electrical_lines", date(2026, 1, 10), date(2024, 12, 1)),
    ("plumbing_pipes", date(2026, 1, 10), date(2024, 8, 1)),
    ("sanitary_ware", date(2026, 1, 10), date(2025, 6, 1)),
    ("fit_out", date(2026, 1, 10), date(2025, 6, 1)),
    ("doors_windows", date(2026, 1, 10), date(2025, 6, 1)),
])
def test_statute_tables_both_chains(component: str, contractor_end: date, owner_end: date) -> None:
    ends = rules.decide(component=component, residential=True, handover=HAND, acceptance=ACC)
    assert (ends.contractor_end, ends.owner_end) == (contractor_end, owner_end)
    assert ends.decided_end == max(contractor_end, owner_end)
    non_res = rules.decide(component=component, residential=False, handover=HAND, acceptance=ACC)
    assert non_res.decided_end == contractor_end and non_res.chain == "contractor"


def test_two_heating_seasons_end_at_the_end_of_the_second_season_per_region() -> None:
    north = rules.decide(component="heating", residential=True, handover=HAND, acceptance=ACC, region="north")
    # Season 2023/24 is under way on 10 Jan 2024 (counts as the first); the second ends 15 Mar 2025.
    assert north.contractor_end == date(2025, 3, 15)
    default = rules.decide(component="heating", residential=True, handover=HAND, acceptance=ACC)
    assert default.contractor_end == date(2025, 2, 28)


def test_leap_day_start_ends_on_28_february() -> None:
    assert rules.add_years(date(2024, 2, 29), 5) == date(2029, 2, 28)


def test_missing_acceptance_date_is_unknown_not_a_guess() -> None:
    ends = rules.decide(component="fit_out", residential=True, handover=HAND, acceptance=None)
    assert ends.decided_end is None and ends.rule == "warranty.acceptance_missing"


def test_unmapped_component_is_visible() -> None:
    assert rules.decide(component="nope", residential=True, handover=HAND, acceptance=ACC).rule == "warranty.unmapped"


def test_developer_extension_lengthens_the_owner_chain() -> None:
    ends = rules.decide(component="fit_out", residential=True, handover=HAND, acceptance=ACC, owner_extra_months=24)
    assert ends.owner_end == date(2027, 6, 1) and ends.chain == "owner"


@given(acc=st.dates(date(2000, 1, 1), date(2040, 1, 1)), gap=st.integers(0, 2000),
       component=st.sampled_from(sorted(rules.COMPONENTS)), region=st.sampled_from(["north", "default"]))
def test_residential_verdict_never_ends_before_either_minimum(acc: date, gap: int, component: str,
                                                              region: str) -> None:
    hand = acc + timedelta(days=gap)
    ends = rules.decide(component=component, residential=True, handover=hand, acceptance=acc, region=region)
    assert ends.decided_end is not None and ends.owner_end and ends.contractor_end
    assert ends.decided_end >= ends.owner_end and ends.decided_end >= ends.contractor_end
