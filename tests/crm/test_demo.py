"""The demo office: the sales login finds customers in every stage, a public pool and a sales board."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from backend.accounts.models import User
from backend.crm.demo import sales_project, seed_crm
from backend.crm.models import Customer, UnitSale
from backend.properties.demo import seed_demo

pytestmark = pytest.mark.django_db


def test_the_demo_gives_the_sales_login_customers_a_pool_and_a_funnel_and_runs_once():
    now = timezone.now()
    seed_demo(scale=1, now=now)
    created = seed_crm(now=now)
    assert created > 30
    assert seed_crm(now=now) == 0
    project = sales_project()
    sales = User.objects.get(username="sales")
    stages = set(Customer.objects.filter(project=project).values_list("stage", flat=True))
    assert {"lead", "contacted", "showing", "intent", "subscribed", "signed", "lost"} <= stages
    assert Customer.objects.filter(holder=sales).exists()
    assert Customer.objects.filter(project=project, holder__isnull=True).exists()
    assert UnitSale.objects.filter(status="signed").exists() and UnitSale.objects.filter(status="reserved").exists()
    client = Client()
    client.force_login(sales)
    page = client.get("/crm/").content.decode()
    assert "data-customer" in page
    assert client.get(f"/crm/dashboard?project={project.id}").status_code == 200
