# The sync stamp triggers again after workorders 0009: on SQLite, adding a NOT NULL column rebuilds
# workorders_workorder, and the rebuilt table has no triggers (see 0004).
import importlib

from django.db import migrations

stamps = importlib.import_module("mobile_sync.migrations.0002_sync_stamp_triggers")


class Migration(migrations.Migration):
    dependencies = [
        ("mobile_sync", "0005_stamp_triggers_after_index_changes"),
        ("workorders", "0009_order_contact_language"),
    ]

    operations = [migrations.RunPython(stamps.create, migrations.RunPython.noop)]
