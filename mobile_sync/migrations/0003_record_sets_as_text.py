# Record sets become JSON text written by orjson (RecordSetField) instead of jsonb: nothing queries inside
# them, and jsonb's parsing and pglz compression of three 10 000-entry sets were the largest part of saving
# what a device holds after a first pull. On PostgreSQL 14+ built with lz4 the column is compressed with
# lz4, several times faster than pglz for these sets; a server without lz4 keeps its default.
from django.db import migrations

import mobile_sync.models

LZ4 = """
DO $$
BEGIN
    IF current_setting('server_version_num')::int >= 140000 THEN
        BEGIN
            ALTER TABLE mobile_sync_devicetable ALTER COLUMN records SET COMPRESSION {method};
        EXCEPTION WHEN feature_not_supported THEN
            RAISE NOTICE 'lz4 is not available: record sets keep the default compression';
        END;
    END IF;
END $$"""


def compression(method):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(LZ4.format(method=method))
    return run


class Migration(migrations.Migration):
    dependencies = [("mobile_sync", "0002_sync_stamp_triggers")]

    operations = [
        migrations.AlterField(
            model_name="devicetable",
            name="records",
            field=mobile_sync.models.RecordSetField(default=dict, verbose_name="records held"),
        ),
        migrations.RunPython(compression("lz4"), compression("default")),
    ]
