"""On a fresh install the shipped YAML (workflows/definitions/) is version 1."""

from django.db import migrations
from django.utils import timezone


def shipped_as_version_one(apps, schema_editor):
    from workflows.loader import load_definitions

    RuleVersion = apps.get_model("rulesets", "RuleVersion")
    if RuleVersion.objects.exists():
        return
    shipped = load_definitions()
    RuleVersion.objects.create(number=1, content_hash=shipped.version, sources=dict(shipped.sources),
                               note="shipped defaults (workflows/definitions/)", published_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [("rulesets", "0001_initial")]
    operations = [migrations.RunPython(shipped_as_version_one, migrations.RunPython.noop)]
