"""``insert_statement`` stores rows exactly as ``bulk_create`` stores them, on every database."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.forms.models import model_to_dict
from django.utils import timezone

from backend.core.bulk import insert_statement
from backend.notifications.models import Delivery

pytestmark = pytest.mark.django_db


def _delivery(key: str) -> Delivery:
    now = timezone.now()
    return Delivery(target_kind="sms", target_id="+8613800000000", event_type="sms.send", idempotency_key=key,
                    payload={"text": "您好，师傅已出发", "amount": str(Decimal("12.50")), "nested": {"a": [1, 2]}},
                    status="pending", next_attempt_at=now + timedelta(seconds=3), created_at=now)


def _stored(key: str) -> dict:
    row = model_to_dict(Delivery.objects.get(idempotency_key=key))
    row.pop("idempotency_key")
    return row


def test_rows_inserted_by_the_statement_read_back_like_rows_from_bulk_create():
    by_statement, by_orm = _delivery("statement"), _delivery("orm")
    by_orm.next_attempt_at, by_orm.created_at = by_statement.next_attempt_at, by_statement.created_at
    with transaction.atomic():
        statement = insert_statement(Delivery, [by_statement], connection)
        with connection.cursor() as cursor:
            cursor.execute(statement.sql, statement.params)
        Delivery.objects.bulk_create([by_orm])
    assert _stored("statement") == _stored("orm")
    assert _stored("statement")["payload"]["text"] == "您好，师傅已出发"


def test_the_statement_takes_many_rows_and_callers_may_append_a_conflict_clause():
    rows = [_delivery(f"k{i}") for i in range(3)] + [_delivery("k0")]
    statement = insert_statement(Delivery, rows[:3], connection)
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, statement.params)
        again = insert_statement(Delivery, rows[3:], connection)
        cursor.execute(f"{again.sql} ON CONFLICT (target_kind, target_id, idempotency_key) DO NOTHING", again.params)
    assert Delivery.objects.filter(idempotency_key__startswith="k").count() == 3
