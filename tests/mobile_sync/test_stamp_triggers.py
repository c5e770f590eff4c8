"""Every synced table is stamped by its trigger: a pull's cursors and a push's conflict checks rely on it."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection

stamps = importlib.import_module("mobile_sync.migrations.0002_sync_stamp_triggers")


@pytest.mark.django_db
def test_every_synced_table_has_its_stamp_triggers():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
            expected = {f"{table}_sync_stamp" for table in stamps.TABLES}
        else:
            # A migration that rebuilds a table on SQLite (adding a column does) leaves it without triggers.
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            expected = {f"{table}_sync_stamp_{kind}" for table in stamps.TABLES for kind in ("ins", "upd")}
        present = {row[0] for row in cursor.fetchall()}
    assert expected <= present, sorted(expected - present)
