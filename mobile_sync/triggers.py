"""The stamp triggers of the synced tables, installed after every ``migrate`` and checked by a system check.

Every write to a synced table must be stamped (docs/sync-protocol.md): a pull compares each row's stamp with
the version the device holds, and a push's conflict check relies on it too. On SQLite a migration that
rebuilds a table (adding a column, changing an index) drops its triggers with the old table; instead of one
"triggers again" migration per rebuild (mobile_sync 0004–0006, kept because they are applied in the field),
``install`` runs after every ``migrate`` (``post_migrate``) and creates whatever is missing, idempotently.
The check ``mobile_sync.E001`` fails when a synced table that exists lacks a trigger.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core import checks
from django.db import DEFAULT_DB_ALIAS, connections

TABLES = (
    "properties_project", "properties_unit", "accounts_technicianprofile", "workorders_workorder",
    "workorders_timelineevent", "workorders_comment", "workorders_partusage", "workorders_attachment",
    "mobile_sync_syncevent",
)
PG_FUNCTION = """
    CREATE OR REPLACE FUNCTION anxin_sync_stamp() RETURNS trigger AS $$
    BEGIN
        NEW.sync_stamp := pg_current_xact_id()::text::bigint;
        RETURN NEW;
    END $$ LANGUAGE plpgsql"""


def expected(vendor: str) -> dict[str, str]:
    """{trigger name: table} for every synced table."""
    if vendor == "postgresql":
        return {f"{table}_sync_stamp": table for table in TABLES}
    return {f"{table}_sync_stamp_{kind}": table for table in TABLES for kind in ("ins", "upd")}


def present(connection: Any) -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {row[0] for row in cursor.fetchall()}


def missing(connection: Any) -> list[str]:
    """Triggers absent from synced tables that exist (a table not created yet needs none)."""
    tables = set(connection.introspection.table_names())
    have = present(connection)
    return sorted(name for name, table in expected(connection.vendor).items() if table in tables and name not in have)


def install(connection: Any) -> list[str]:
    """Creates the missing triggers (and SQLite's write counter); returns the ones it created."""
    if connection.vendor not in ("postgresql", "sqlite"):
        raise RuntimeError(f"offline sync needs stamp triggers for {connection.vendor}")
    absent = missing(connection)
    if not absent:
        return []
    names = expected(connection.vendor)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(PG_FUNCTION)
        else:
            cursor.execute("CREATE TABLE IF NOT EXISTS anxin_sync_clock "
                           "(id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL)")
            cursor.execute("INSERT OR IGNORE INTO anxin_sync_clock (id, value) VALUES (1, 0)")
        for name in absent:
            table = names[name]
            if connection.vendor == "postgresql":
                cursor.execute(f"CREATE TRIGGER {name} BEFORE INSERT OR UPDATE ON {table} "
                               "FOR EACH ROW EXECUTE FUNCTION anxin_sync_stamp()")
                continue
            # Table names come from TABLES above, never from input.
            bump = ("UPDATE anxin_sync_clock SET value = value + 1 WHERE id = 1; "  # noqa: S608
                    f"UPDATE {table} SET sync_stamp = (SELECT value FROM anxin_sync_clock WHERE id = 1) "
                    "WHERE rowid = NEW.rowid;")
            # SQLite does not fire triggers from a trigger's own UPDATE (recursive_triggers is off).
            event = "INSERT" if name.endswith("_ins") else "UPDATE"
            cursor.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {bump} END")
    return absent


def install_after_migrate(sender: Any, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """``post_migrate``: every migrate run (and every test database flush) ends with every trigger in place."""
    install(connections[using])


@checks.register(checks.Tags.database)
def check_stamp_triggers(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for alias in databases or []:
        connection = connections[alias]
        if connection.vendor not in ("postgresql", "sqlite") or _migrating() or _migrations_pending(connection):
            continue  # the migrate that runs (or applies them) installs the triggers afterwards
        absent = missing(connection)
        if absent:
            errors.append(checks.Error(
                f"Synced tables lack their sync stamp triggers: {', '.join(absent)}",
                hint="Run `manage.py migrate` (it installs them after every run); until then pulls miss changes.",
                id="mobile_sync.E001"))
    return errors


def _migrating() -> bool:
    """``manage.py migrate`` runs the database checks before it migrates: this check must not stop the one
    command that repairs what it reports. (``call_command("migrate")`` skips checks by default.)"""
    return len(sys.argv) > 1 and sys.argv[1] == "migrate"


def _migrations_pending(connection: Any) -> bool:
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))
