"""Marketing QR codes: every scan logged, a lead from the code carries its attribution, campaigns count
leads, signings and the cost per signing."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from backend.crm import selectors
from backend.crm.models import ChannelPartner, CodeScan, Customer, MarketingCode
from tests.authz.framework import database_snapshot
from tests.crm.world import office

pytestmark = pytest.mark.django_db


def _code(o, **kw):
    return MarketingCode.objects.create(project=o.project, token=kw.pop("token", "spring-2026"), campaign="春季看房团",
                                        cost_fen=kw.pop("cost_fen", 1_000_000), created_at=timezone.now(), **kw)


def test_a_scan_is_logged_and_the_lead_goes_to_the_codes_consultant_with_the_codes_partner():
    o = office()
    partner = ChannelPartner.objects.create(project=o.project, name="地推团队")
    code = _code(o, consultant=o.bob, partner=partner)
    visitor = Client()
    page = visitor.get("/crm/m/spring-2026?at=地铁站")
    assert page.status_code == 200 and o.project.name in page.content.decode()
    scan = CodeScan.objects.get(code=code)
    assert scan.place == "地铁站" and len(scan.ip_hash) == 64 and "127.0.0.1" not in scan.ip_hash
    done = visitor.post("/crm/m/spring-2026", {"name": "刘女士", "phone": "13900000123", "consent": "on"})
    assert done.status_code == 200
    customer = Customer.objects.get(phone="+8613900000123")
    assert customer.holder_id == o.bob.id
    source = customer.sources.get()
    assert (source.channel, source.code_id, source.partner_id) == ("qr", code.id, partner.id)
    stats = selectors.campaigns(actor=o.manager, project_id=o.project.id)
    assert stats == [{"id": code.id, "campaign": "春季看房团", "token": "spring-2026", "scans": 1, "leads": 1,
                      "signings": 0, "cost_fen": 1_000_000, "cost_per_signing_fen": None}]


def test_an_unknown_code_is_404_and_a_lead_without_consent_is_refused_and_nothing_is_saved():
    o = office()
    _code(o)
    assert Client().get("/crm/m/nope").status_code == 404
    before = database_snapshot()
    response = Client().post("/crm/m/spring-2026", {"name": "刘女士", "phone": "13900000123"})
    assert response.status_code == 422
    assert database_snapshot() == before
