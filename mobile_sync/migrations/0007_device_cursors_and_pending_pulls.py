# Device state per issued cursor (docs/sync-protocol.md): a pull keeps what it sent as a pending delta under its
# new cursor, and the device's record sets move to it only when the device presents that cursor back. Devices
# in the field keep their record sets; their first pull after this migration is computed from them, as before.
# The deltas are compressed like the record sets (0003): lz4 where the server has it.

import django.db.models.deletion
from django.db import migrations, models

import mobile_sync.models

LZ4 = """
DO $$
BEGIN
    IF current_setting('server_version_num')::int >= 140000 THEN
        BEGIN
            ALTER TABLE mobile_sync_devicepull ALTER COLUMN delta SET COMPRESSION lz4;
        EXCEPTION WHEN feature_not_supported THEN
            RAISE NOTICE 'lz4 is not available: pull deltas keep the default compression';
        END;
    END IF;
END $$"""


def lz4(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(LZ4)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_owner_portal'),
        ('mobile_sync', '0006_stamp_triggers_after_contact_language'),
    ]

    operations = [
        migrations.CreateModel(
            name='DeviceCursor',
            fields=[
                ('device', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to='accounts.devicetoken', verbose_name='device')),
                ('confirmed', models.BigIntegerField(null=True, verbose_name='confirmed cursor')),
                ('issued', models.BigIntegerField(null=True, verbose_name='last issued cursor')),
                ('conflicts', models.JSONField(blank=True, default=list, verbose_name='records of the last conflict')),
            ],
            options={
                'verbose_name': 'device cursor',
                'verbose_name_plural': 'device cursors',
            },
        ),
        migrations.CreateModel(
            name='DevicePull',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('cursor', models.BigIntegerField(verbose_name='cursor')),
                ('replace', models.BooleanField(default=False, verbose_name='replaces the record sets')),
                ('delta', mobile_sync.models.RecordSetField(default=dict, verbose_name='changes sent')),
                ('created_at', models.DateTimeField(verbose_name='created at')),
                ('device', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.devicetoken', verbose_name='device')),
            ],
            options={
                'verbose_name': 'unconfirmed pull',
                'verbose_name_plural': 'unconfirmed pulls',
                'constraints': [models.UniqueConstraint(fields=('device', 'cursor'), name='uniq_device_pull_cursor')],
            },
        ),
        migrations.RunPython(lz4, migrations.RunPython.noop),
    ]
