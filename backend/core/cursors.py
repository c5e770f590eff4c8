"""Cursors over the sync stamps that never skip a row committed late (see docs/sync-protocol.md):
the sync pull's, and the analytics refresh's, which reads the orders changed since its last run.

Every write to a synced table is stamped by a trigger. ``safe_cursor()`` is taken at the start of a
pull: on PostgreSQL the xmin of the current snapshot (every transaction below it has ended, so its
rows are visible now; one still running has an id >= xmin and its rows are fetched again by the next
pull, however late it commits); on SQLite, whose writers are serialised, the write counter + 1. A
pull sends rows with ``sync_stamp >= last_pulled_at``. The cursor never goes backwards.
"""

from __future__ import annotations

from django.db import connection


def safe_cursor() -> int:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
        else:
            cursor.execute("SELECT value + 1 FROM anxin_sync_clock WHERE id = 1")
        row = cursor.fetchone()
    return int(row[0])
