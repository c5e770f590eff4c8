"""Warranty reasons and routing explanations are stored as codes and params and shown in the
reader's language; rows stored before the codes keep their English text."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation

from backend.properties.models import Building, Unit
from backend.workorders import reasons
from backend.workorders.actors import Actor
from backend.workorders.intake.warranty import warranty_verdict
from backend.workorders.models import WorkOrder
from backend.workorders.services import order_intake
from tests.factories import bearer_for, user_with_roles
from tests.workorders.world import two_sides

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
ENGLISH_WORDS = re.compile(r"\b(category|within|matched|skipped|candidate|warranty|ended|open orders|rule)\b")


def _intake(side, category="bathroom-leak"):
    return order_intake(actor=Actor(user=side.agent), channel="phone", category_code=category,
                        description="卫生间地面渗水", contact_name="王女士", contact_phone="13900139000",
                        now=NOW, unit_id=side.unit.id).order


def _detail(user, order, language="zh-hans"):
    response = Client().get(f"/api/v1/orders/{order.id}", HTTP_ACCEPT_LANGUAGE=language,
                            **bearer_for(user, device=f"reasons-{language}"))
    assert response.status_code == 200, response.content
    return response.json()


def test_the_warranty_reason_is_stored_as_a_code_and_read_in_the_readers_language():
    a, _b = two_sides()
    Unit.objects.filter(id=a.unit.id).update(handover_date=date(2020, 6, 1))
    Building.objects.filter(id=a.unit.building_id).update(completion_acceptance_date=date(2020, 1, 10))
    order = _intake(a)
    # Wet-room waterproofing: contractor 5 years from acceptance (80号令 art.7), owner 1 year from handover
    # (102号 art.6); a residential unit gets the later one (销售办法 art.33).
    assert order.warranty_verdict == "out"
    assert order.warranty_reasoning == {"code": "warranty.ended_chain", "params": {
        "category": "waterproofing", "component": "wet_room_waterproofing", "chain": "contractor",
        "rule": "art33.residential", "ends": "2025-01-10", "owner_end": "2021-06-01",
        "contractor_end": "2025-01-10"}}
    assert order.warranty_reason == "warranty for waterproofing ended 2025-01-10 (contractor chain decided)"
    assert _detail(a.dispatcher, order)["warranty_reason"] == \
        "防水渗漏保修已于2025-01-10届满（以承包单位保修期为准；业主保修期至2021-06-01，承包单位保修期至2025-01-10）"
    assert _detail(a.dispatcher, order, "en")["warranty_reason"] == \
        "Warranty for Leaks and waterproofing ended 2025-01-10 (the contractor's period decided; owner's period " \
        "ended 2021-06-01, contractor's 2025-01-10)"


def test_a_unit_without_acceptance_date_is_unknown_not_guessed():
    a, _b = two_sides()
    Unit.objects.filter(id=a.unit.id).update(handover_date=date(2020, 6, 1))
    Building.objects.filter(id=a.unit.building_id).update(completion_acceptance_date=None)
    order = _intake(a)
    assert order.warranty_verdict == "unknown"
    assert order.warranty_reasoning["code"] == "warranty.acceptance_missing"
    assert _detail(a.dispatcher, order)["warranty_reason"] == "未知——缺少竣工验收合格日期"


def test_an_order_stored_before_the_codes_shows_its_english_reason():
    a, _b = two_sides()
    WorkOrder.objects.filter(id=a.order.id).update(warranty_reasoning=None, warranty_reason="2-year warranty ended")
    assert _detail(a.dispatcher, a.order)["warranty_reason"] == "2-year warranty ended"


@pytest.mark.parametrize(("public_area", "handover"), [(True, None), (False, None), (False, date(2025, 1, 1))])
def test_every_warranty_verdict_has_a_translated_reason(public_area, handover):
    verdict = warranty_verdict(top_category="plumbing-electrical", handover_date=handover, today=NOW.date(),
                               public_area=public_area)
    with translation.override("zh-hans"):
        chinese = reasons.warranty_reason_text(reasoning=verdict.reasoning, fallback=verdict.reason)
    with translation.override("en"):
        english = reasons.warranty_reason_text(reasoning=verdict.reasoning, fallback=verdict.reason)
    assert chinese != english and not ENGLISH_WORDS.search(chinese), chinese
    assert english.lower().startswith(verdict.reason.lower()[:10]) or "Plumbing" in english


def test_the_routing_explanation_reads_in_chinese_with_names_and_in_english_on_request():
    a, _b = two_sides()
    order = _intake(a, category="drainage")
    lines = _detail(a.dispatcher, order)["routing_explanation_lines"]
    assert lines and any(line.startswith("规则 plumbing") and "匹配" in line for line in lines), lines
    assert any("不属于" in line for line in lines), lines  # rules skipped before the plumbing rule
    assert any(str(a.technician) in line for line in lines), lines  # candidates by name, not by id
    assert not any(ENGLISH_WORDS.search(line) for line in lines), lines
    english = _detail(a.dispatcher, order, "en")["routing_explanation_lines"]
    assert any("is not within" in line for line in english) and any("matched" in line for line in english)


def test_an_explanation_stored_before_params_existed_falls_back_to_its_text():
    old = {"rules": [{"rule_code": "gas", "rule_name": "燃气", "matched": False,
                      "reasons": [{"code": "rule.category", "text": "category 水电 is not within gas",
                                   "params": {"category": "drainage", "listed": ["gas"]}}]},
                     {"rule_code": "x", "rule_name": "未知", "matched": True,
                      "reasons": [{"code": "rule.something_new", "text": "something new", "params": {}}]}],
           "candidates": [{"candidate_id": "u1", "eligible": True, "rank": 1, "detail": "3 open orders"}],
           "notes": [], "summary": "..."}
    with translation.override("zh-hans"):
        lines = reasons.routing_explanation_lines(old, names={"u1": "李师傅"})
    # The condition is worded from its code (the rule did not match, so it failed); unknown codes keep their text.
    assert lines[0] == "规则 gas（燃气）：未匹配：类别“水电 / 排水堵塞”不属于燃气"
    assert lines[1] == "规则 x（未知）：匹配：something new"
    assert lines[2] == "候选人李师傅：第1位，3 open orders"


def test_every_code_the_engine_and_the_warranty_write_has_a_wording():
    sources = [*(ROOT / "workflows").glob("*.py"), ROOT / "backend" / "workorders" / "intake" / "warranty.py"]
    written = set()
    for path in sources:
        text = path.read_text(encoding="utf-8")
        written |= set(re.findall(r'Reason\(\s*"([a-z_.]+)"', text))
        written |= set(re.findall(r'check\([^,]+,\s*f?"(rule\.[a-z_{}]+)"', text))
        written |= set(re.findall(r'detail_code="([a-z_.]+)"', text))
        written |= set(re.findall(r'"(warranty\.[a-z_]+)"', text))
    written |= {f"rule.{name}" for name in ("project", "building", "channel", "within_hours", "outside_hours")}
    written = {code for code in written if "{" not in code}
    known = {*reasons.CONDITIONS, *reasons.MESSAGES, *reasons.WARRANTY_REASONS, "candidate.missing_skill",
             "rule.within_hours", "rule.outside_hours"}
    assert len(written) > 20, written
    assert written <= known, sorted(written - known)


def test_the_admin_shows_categories_and_reasons_by_name():
    a, _b = two_sides()
    Unit.objects.filter(id=a.unit.id).update(handover_date=date(2020, 6, 1))
    Building.objects.filter(id=a.unit.building_id).update(completion_acceptance_date=date(2020, 1, 10))
    order = _intake(a)
    admin = user_with_roles("administrator", is_staff=True, is_superuser=True)
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(admin)
    listing = client.get("/admin/workorders/workorder/").content.decode()
    assert "防水渗漏 / 卫生间渗漏" in listing
    assert client.get("/admin/workorders/workorder/?category=waterproofing").status_code == 200
    page = client.get(f"/admin/workorders/workorder/{order.id}/change/").content.decode()
    assert "防水渗漏保修已于2025-01-10届满" in page
    assert "规则 " in page and "5-year warranty" not in page and "is not within" not in page
