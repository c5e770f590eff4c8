# Database triggers that stamp every write to a synced table with the writing transaction's position.
#
# PostgreSQL: the transaction id (pg_current_xact_id). A pull's cursor is the xmin of its snapshot:
# every transaction below it has finished, so a row it wrote is visible to the pull; a transaction
# still running when the pull starts has an id >= xmin, so its rows are fetched by the next pull even
# if they commit late. SQLite (embedded mode) serialises writers: a global counter bumped on every
# write gives stamps in commit order, and the cursor is the counter + 1.
from django.db import migrations

TABLES = [
    "properties_project", "properties_unit", "accounts_technicianprofile", "workorders_workorder",
    "workorders_timelineevent", "workorders_comment", "workorders_partusage", "workorders_attachment",
    "mobile_sync_syncevent",
]


def create(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("""
                CREATE OR REPLACE FUNCTION anxin_sync_stamp() RETURNS trigger AS $$
                BEGIN
                    NEW.sync_stamp := pg_current_xact_id()::text::bigint;
                    RETURN NEW;
                END $$ LANGUAGE plpgsql""")
            for table in TABLES:
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_sync_stamp ON {table}")
                cursor.execute(f"CREATE TRIGGER {table}_sync_stamp BEFORE INSERT OR UPDATE ON {table} "
                               "FOR EACH ROW EXECUTE FUNCTION anxin_sync_stamp()")
        elif connection.vendor == "sqlite":
            cursor.execute("CREATE TABLE IF NOT EXISTS anxin_sync_clock "
                           "(id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL)")
            cursor.execute("INSERT OR IGNORE INTO anxin_sync_clock (id, value) VALUES (1, 0)")
            for table in TABLES:
                bump = ("UPDATE anxin_sync_clock SET value = value + 1 WHERE id = 1; "
                        f"UPDATE {table} SET sync_stamp = (SELECT value FROM anxin_sync_clock WHERE id = 1) "
                        "WHERE rowid = NEW.rowid;")
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_sync_stamp_ins")
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_sync_stamp_upd")
                cursor.execute(f"CREATE TRIGGER {table}_sync_stamp_ins AFTER INSERT ON {table} BEGIN {bump} END")
                # SQLite does not fire triggers from a trigger's own UPDATE (recursive_triggers is off).
                cursor.execute(f"CREATE TRIGGER {table}_sync_stamp_upd AFTER UPDATE ON {table} BEGIN {bump} END")
        else:
            raise RuntimeError(f"offline sync needs stamp triggers for {connection.vendor}")


def drop(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for table in TABLES:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_sync_stamp ON {table}")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_sync_stamp_ins")
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_sync_stamp_upd")


class Migration(migrations.Migration):
    dependencies = [
        ("mobile_sync", "0001_initial"),
        ("accounts", "0002_sync_ids"),
        ("properties", "0003_sync_ids"),
        ("workorders", "0005_sync_ids"),
    ]

    operations = [migrations.RunPython(create, drop)]
