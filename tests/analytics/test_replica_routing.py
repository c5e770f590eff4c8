"""ANALYTICS_DATABASE_URL: the analytics pages' reads go to the replica alias, writes never do, and
nothing is routed while no replica is configured."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.conf import settings
from django.test import Client

from backend.analytics import routers, selectors, views
from backend.analytics.models import OrderFact
from backend.workorders.models import WorkOrder
from tests.factories import user_with_roles

WITH_REPLICA = {**settings.DATABASES, "analytics": {**settings.DATABASES["default"]}}


def test_reads_inside_an_analytics_page_go_to_the_replica_and_writes_to_the_primary(monkeypatch):
    router = routers.AnalyticsReadRouter()
    monkeypatch.setattr(routers, "settings", SimpleNamespace(DATABASES=WITH_REPLICA))
    assert router.db_for_read(OrderFact) is None  # outside a page
    with routers.analytics_reads():
        assert router.db_for_read(OrderFact) == "analytics"
        assert router.db_for_read(WorkOrder) == "analytics"  # the page reads one copy
        assert router.db_for_write(OrderFact) is None
    assert router.db_for_read(OrderFact) is None
    assert router.allow_migrate("analytics", "analytics") is False
    assert router.allow_migrate("default", "analytics") is None


def test_without_a_replica_nothing_is_routed():
    router = routers.AnalyticsReadRouter()
    with routers.analytics_reads():
        assert "analytics" not in settings.DATABASES
        assert router.db_for_read(OrderFact) is None


@pytest.mark.django_db
def test_the_pages_are_built_inside_the_replica_context(monkeypatch):
    seen = []
    real = selectors.project_ranking

    def spy(**kwargs):
        seen.append(routers._reading.get())
        return real(**kwargs)

    monkeypatch.setattr(views.selectors, "project_ranking", spy)
    client = Client()
    client.force_login(user_with_roles("engineering_director"))
    assert client.get("/analytics/").status_code == 200
    assert seen == [True]
    assert routers._reading.get() is False
