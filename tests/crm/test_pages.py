"""The CRM's pages render for their users with what the selectors return, and their forms call the services."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from backend.crm import services
from backend.crm.models import Customer, FollowUp, PaymentLine
from tests.crm.world import office

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_walk_in_to_signed_and_paid_through_the_pages():
    o = office()
    alice = _client(o.alice)
    response = alice.post("/crm/leads", {"project_id": o.project.id, "name": "孙八", "phone": "13900000088",
                                         "channel": "walk_in", "consent": "on"})
    assert response.status_code == 302
    customer = Customer.objects.get(phone="+8613900000088")
    act = f"/crm/customers/{customer.id}/act"
    assert alice.post(act, {"action": "follow_up", "kind": "showing", "note": "带看样板间"}).status_code == 302
    assert FollowUp.objects.filter(customer=customer).count() == 1
    assert alice.post(act, {"action": "reserve", "unit_id": o.units[0].id}).status_code == 302
    assert alice.post(act, {"action": "subscribe", "unit_id": o.units[0].id, "deposit_yuan": "50000"}).status_code == 302
    sub = customer.subscriptions.get()
    assert sub.deposit_fen == 5_000_000
    assert alice.post(act, {"action": "contract", "subscription_id": sub.id, "buyers": "孙八，孙九",
                            "discount_yuan": "30000.50", "payment_method": "full"}).status_code == 302
    contract = customer.contracts.get()
    assert contract.discount_fen == 3_000_050 and contract.status == "pending_approval"
    manager = _client(o.manager)
    assert "孙八" in manager.get("/crm/approvals").content.decode()
    assert manager.post(f"/crm/contracts/{contract.id}/decide", {"decision": "approve"}).status_code == 302
    assert alice.post(act, {"action": "sign", "contract_id": contract.id}).status_code == 302
    finance = _client(o.finance)
    page = finance.get(f"/crm/payments?project={o.project.id}")
    assert page.status_code == 200
    for line in PaymentLine.objects.filter(contract=contract):
        left = line.amount_fen - line.received_fen
        assert finance.post(f"/crm/payment-lines/{line.id}/pay",
                            {"amount_yuan": f"{left // 100}.{left % 100:02d}"}).status_code == 302
    ready = finance.get(f"/crm/handover?project={o.project.id}").content.decode()
    assert f'data-unit="{o.units[0].id}"' in ready
    body = alice.get(f"/crm/customers/{customer.id}").content.decode()
    assert "孙九" in body and 'data-status="signed"' in body


def test_every_page_renders_for_a_consultant_and_a_manager():
    o = office()
    services.lead_create(actor=o.alice, project_id=o.project.id, name="周一", phone="13900000077",
                         channel="walk_in", consent=True, now=timezone.now())
    for user in (o.alice, o.manager):
        client = _client(user)
        for url in ("/crm/", "/crm/pool", "/crm/grabs", "/crm/grabs/live", f"/crm/inventory/{o.building.id}",
                    "/crm/approvals", f"/crm/dashboard?project={o.project.id}", f"/crm/payments?project={o.project.id}",
                    f"/crm/handover?project={o.project.id}"):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
    assert _client(o.alice).get("/crm/inventory").status_code == 302


def test_an_amount_with_three_decimals_is_a_field_error_in_the_readers_language_and_nothing_changes():
    o = office()
    customer = services.lead_create(actor=o.alice, project_id=o.project.id, name="周二", phone="13900000066",
                                    channel="walk_in", consent=True, now=timezone.now()).customer
    response = _client(o.alice).post(f"/crm/customers/{customer.id}/act",
                                     {"action": "subscribe", "unit_id": o.units[0].id, "deposit_yuan": "1.005"},
                                     HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    assert not customer.subscriptions.exists()


def test_the_receivables_export_is_an_xlsx_file():
    o = office()
    response = _client(o.finance).get(f"/crm/payments?project={o.project.id}&format=xlsx")
    assert response.status_code == 200 and response.content[:2] == b"PK"


def test_the_sales_login_lands_on_my_customers():
    o = office()
    response = _client(o.alice).get("/")
    assert response.status_code == 302 and response["Location"] == "/crm/"


def test_the_manager_sees_the_team_and_transfers_in_bulk_and_a_consultant_is_refused():
    o = office()
    ids = [services.lead_create(actor=o.alice, project_id=o.project.id, name=f"客{i}", phone=f"1390000045{i}",
                                channel="walk_in", consent=True, now=timezone.now()).customer.id for i in range(2)]
    manager = _client(o.manager)
    page = manager.get(f"/crm/team?project={o.project.id}")
    assert page.status_code == 200 and f'data-consultant="{o.alice.id}"' in page.content.decode()
    response = manager.post("/crm/team/transfer", {"customer_ids": [str(i) for i in ids], "to_user_id": str(o.bob.id)})
    assert response.status_code == 302
    assert Customer.objects.filter(id__in=ids, holder=o.bob).count() == 2
    assert _client(o.alice).get(f"/crm/team?project={o.project.id}").status_code == 403


def test_an_administrator_configures_pool_rules_and_sees_customers_masked_read_only_in_the_admin():
    from backend.accounts.roles import Role
    from tests.factories import user_with_roles

    o = office()
    services.lead_create(actor=o.alice, project_id=o.project.id, name="吴三", phone="13900000033",
                         channel="walk_in", consent=True, now=timezone.now())
    boss = _client(user_with_roles(Role.ADMINISTRATOR, is_staff=True, is_superuser=True))
    assert boss.get(f"/admin/crm/poolsettings/{o.settings.id}/change/").status_code == 200
    listing = boss.get("/admin/crm/customer/").content.decode()
    assert "139****0033" in listing and "13900000033" not in listing
    assert boss.get("/admin/crm/customer/add/").status_code == 403
