# The sync stamp triggers again, after the migrations that came after 0002: on SQLite, adding a column
# rebuilds the table (workorders 0006 rebuilt workorders_comment) and the rebuilt table has no triggers, so
# its rows kept stamp 0 and a pushed comment edited by the office no longer answered 409. Creating them is
# idempotent (DROP IF EXISTS, then CREATE). tests/mobile_sync/test_stamp_triggers.py checks every synced
# table, so a later rebuild shows up there.
import importlib

from django.db import migrations

stamps = importlib.import_module("mobile_sync.migrations.0002_sync_stamp_triggers")


class Migration(migrations.Migration):
    dependencies = [
        ("mobile_sync", "0003_record_sets_as_text"),
        ("accounts", "0003_owner_portal"),
        ("workorders", "0006_owner_portal"),
    ]

    operations = [migrations.RunPython(stamps.create, migrations.RunPython.noop)]
