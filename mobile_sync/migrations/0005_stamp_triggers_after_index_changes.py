# The sync stamp triggers again after workorders 0008: on SQLite, changing a field's index rebuilds the
# table (workorders_workorder here), and the rebuilt table has no triggers (see 0004).
import importlib

from django.db import migrations

stamps = importlib.import_module("mobile_sync.migrations.0002_sync_stamp_triggers")


class Migration(migrations.Migration):
    dependencies = [
        ("mobile_sync", "0004_stamp_triggers_again"),
        ("workorders", "0008_drop_redundant_fk_indexes"),
    ]

    operations = [migrations.RunPython(stamps.create, migrations.RunPython.noop)]
