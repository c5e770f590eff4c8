# Adds the public short id (filled for existing rows) and the sync stamp of offline sync.
from django.db import migrations, models

import backend.core.ids

MODELS = ['project', 'unit']


def fill_sync_ids(apps, schema_editor):
    for name in MODELS:
        model = apps.get_model("properties", name)
        for pk in model.objects.filter(sync_id__isnull=True).values_list("pk", flat=True).iterator():
            model.objects.filter(pk=pk).update(sync_id=backend.core.ids.new_sync_id())


class Migration(migrations.Migration):
    dependencies = [("properties", "0002_project_service_phone")]

    operations = [
        migrations.AddField(model_name="project", name="sync_id",
                            field=models.CharField(max_length=16, null=True, editable=False, verbose_name="sync id")),
        migrations.AddField(model_name="project", name="sync_stamp",
                            field=models.BigIntegerField(default=0, editable=False, db_index=True,
                                                         verbose_name="sync stamp")),
        migrations.AddField(model_name="unit", name="sync_id",
                            field=models.CharField(max_length=16, null=True, editable=False, verbose_name="sync id")),
        migrations.AddField(model_name="unit", name="sync_stamp",
                            field=models.BigIntegerField(default=0, editable=False, db_index=True,
                                                         verbose_name="sync stamp")),
        migrations.RunPython(fill_sync_ids, migrations.RunPython.noop),
        migrations.AlterField(model_name="project", name="sync_id",
                              field=models.CharField(max_length=16, unique=True, default=backend.core.ids.new_sync_id,
                                                     editable=False, verbose_name="sync id")),
        migrations.AlterField(model_name="unit", name="sync_id",
                              field=models.CharField(max_length=16, unique=True, default=backend.core.ids.new_sync_id,
                                                     editable=False, verbose_name="sync id")),
    ]
