"""Orders sent back to the queue before the state machine ended their assignment kept it open: end
those at the order's last change, so that an open assignment always names the order's technician."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def end_stale(apps, schema_editor):
    Assignment = apps.get_model("workorders", "Assignment")
    WorkOrder = apps.get_model("workorders", "WorkOrder")
    stale = Assignment.objects.filter(ended_at__isnull=True, order__technician__isnull=True)
    stale.update(ended_at=Subquery(WorkOrder.objects.filter(id=OuterRef("order_id")).values("updated_at")[:1]))


class Migration(migrations.Migration):
    dependencies = [("workorders", "0012_approval_stand_in")]
    operations = [migrations.RunPython(end_stale, migrations.RunPython.noop)]
