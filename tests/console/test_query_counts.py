"""The queue, the workspace and the board read a fixed number of queries, whatever the number of rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backend.workorders.actors import Actor
from backend.workorders.services import comment_add, order_intake
from tests.factories import UnitFactory
from tests.workorders.world import two_sides

pytestmark = pytest.mark.django_db


def _more_orders(side, n: int) -> None:
    for i in range(n):
        unit = UnitFactory(building__project=side.project)
        order = order_intake(actor=Actor(user=side.agent), channel="phone", category_code="drainage",
                             description=f"下水道堵塞 {i}", contact_name="王先生", contact_phone="13800138001",
                             now=timezone.now(), unit_id=unit.id).order
        comment_add(actor=side.agent, order_id=order.id, body="已回电", owner_visible=False, now=timezone.now())


def _count(client: Client, url: str) -> int:
    client.get(url)  # warm the per-process caches (rule definitions, translations)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return len(ctx.captured_queries)


@pytest.mark.parametrize("path", ["/console/queue", "/console/queue?priority=P3&q=下水道", "/console/board",
                                  "/console/"])
def test_page_queries_do_not_grow_with_the_rows(path):
    a, _b = two_sides()
    client = Client()
    client.force_login(a.dispatcher)
    few = _count(client, path)
    _more_orders(a, 8)
    many = _count(client, path)
    assert many == few, f"{path}: {few} queries with 1 order, {many} with 9"
    assert few <= 25


def test_workspace_queries_do_not_grow_with_the_timeline_and_notes():
    a, _b = two_sides()
    client = Client()
    client.force_login(a.dispatcher)
    url = f"/console/orders/{a.order.id}"
    few = _count(client, url)
    for i in range(8):
        comment_add(actor=a.agent, order_id=a.order.id, body=f"备注 {i}", owner_visible=i % 2 == 0, now=timezone.now())
    many = _count(client, url)
    assert many == few and few <= 30, (few, many)
