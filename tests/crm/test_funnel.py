"""The dashboard's funnel: reached, conversion, win rate, cycle and the weighted forecast, per scope."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from backend.crm import selectors, services
from backend.crm.models import Customer
from backend.crm.selectors import funnel_from_counts
from tests.crm.world import WEDNESDAY, office

pytestmark = pytest.mark.django_db


def test_numbers_from_counts():
    result = funnel_from_counts(per_stage={"lead": 5, "showing": 3, "signed": 2, "lost": 4},
                                lost_from={"contacted": 4}, cycle_seconds=86400 * 30,
                                forecast_rows=[(date(2026, 4, 1), "intent", 1_000_000), (date(2026, 4, 1), "lead", 100)])
    reached = {r["stage"]: r["reached"] for r in result["stages"]}
    assert reached == {"lead": 14, "contacted": 9, "showing": 5, "intent": 2, "subscribed": 2, "signed": 2}
    assert result["stages"][0]["conversion"] == round(9 / 14, 4)
    assert result["stages"][2]["win_rate"] == 0.4
    assert result["cycle_days"] == 30.0
    assert result["forecast"] == [{"month": "2026-04", "weighted_fen": 500_000 + 5}]


def test_a_consultant_sees_their_funnel_and_the_manager_the_projects():
    o = office()
    for n, user in enumerate([o.alice, o.alice, o.bob]):
        c = services.lead_create(actor=user, project_id=o.project.id, name=f"客{n}", phone=f"1390000030{n}",
                                 channel="walk_in", consent=True, now=WEDNESDAY).customer
        Customer.objects.filter(id=c.id).update(expected_close_date=date(2026, 5, 3), expected_amount_fen=200_000_000)
    services.follow_up_log(actor=o.alice, customer_id=Customer.objects.filter(holder=o.alice).first().id,
                           kind="showing", note="带看", now=WEDNESDAY + timedelta(hours=1))
    mine = selectors.funnel(actor=o.alice, project_id=o.project.id, now=WEDNESDAY)
    assert mine["stages"][0]["reached"] == 2
    project = selectors.funnel(actor=o.manager, project_id=o.project.id, now=WEDNESDAY)
    assert project["stages"][0]["reached"] == 3 and project["stages"][2]["reached"] == 1
    assert project["forecast"] == [{"month": "2026-05", "weighted_fen": 2 * 10_000_000 + 50_000_000}]
