"""The analytics context's own tables: one fact row per work order and the monthly roll-ups the
hotspot pages read. Computed from the core's tables (read only), never written by anyone else.

Ids of the core's rows carry no database constraint (the facts' place columns are foreign keys with
``db_constraint=False`` only so that a list can join the names in its one query; the roll-ups hold
plain ids): the tables may be rebuilt at any time and never block a delete in the core.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class OrderFact(models.Model):
    """One work order as the analyses see it: its place, category, people, outcome and durations."""

    order_id = models.UUIDField(primary_key=True)
    number = models.CharField(_("number"), max_length=20)
    project = models.ForeignKey("properties.Project", on_delete=models.DO_NOTHING, db_constraint=False,
                                db_index=False, related_name="+", verbose_name=_("project"))
    building = models.ForeignKey("properties.Building", on_delete=models.DO_NOTHING, db_constraint=False,
                                 db_index=False, null=True, related_name="+", verbose_name=_("building"))
    unit = models.ForeignKey("properties.Unit", on_delete=models.DO_NOTHING, db_constraint=False,
                             db_index=False, null=True, related_name="+", verbose_name=_("unit"))
    floor = models.SmallIntegerField(_("floor"), null=True)
    position = models.SmallIntegerField(_("position on the floor"), null=True)
    layout = models.CharField(_("layout"), max_length=50, blank=True)
    category_code = models.CharField(_("category"), max_length=50)
    top_category = models.CharField(_("top-level category"), max_length=50)
    priority = models.CharField(_("priority"), max_length=2)
    team_id = models.UUIDField(_("team"), null=True)
    technician_id = models.UUIDField(_("technician"), null=True)
    state = models.CharField(_("state"), max_length=20)
    created_at = models.DateTimeField(_("created at"))
    created_date = models.DateField(_("created on (business date)"))
    month = models.DateField(_("month"))  # the first day of created_date's month
    # A defect counted by the hotspot pages: every order but the cancelled and the rejected.
    counted = models.BooleanField(_("counted"))
    completed = models.BooleanField(_("completed"))
    reopen_count = models.PositiveSmallIntegerField(_("reopened"), default=0)
    visit_count = models.PositiveSmallIntegerField(_("visits"), default=0)
    first_time_fix = models.BooleanField(_("first-time fix"), null=True)
    resolution_business_seconds = models.BigIntegerField(_("resolution (business seconds)"), null=True)
    response_on_time = models.BooleanField(_("response on time"), null=True)
    arrival_on_time = models.BooleanField(_("arrival on time"), null=True)
    resolution_on_time = models.BooleanField(_("resolution on time"), null=True)
    grab_offered = models.BooleanField(_("offered to a grab pool"), default=False)
    grab_taken = models.BooleanField(_("taken from a grab pool"), default=False)
    warranty = models.CharField(_("warranty"), max_length=10)
    estimate_yuan = models.DecimalField(_("estimate (¥)"), max_digits=12, decimal_places=2, null=True)
    actual_cost_yuan = models.DecimalField(_("actual (¥)"), max_digits=12, decimal_places=2, null=True)
    paid_income_yuan = models.DecimalField(_("paid-service income (¥)"), max_digits=12, decimal_places=2,
                                           default=0)
    rating_timeliness = models.PositiveSmallIntegerField(null=True)
    rating_attitude = models.PositiveSmallIntegerField(null=True)
    rating_quality = models.PositiveSmallIntegerField(null=True)
    rating_comment = models.TextField(blank=True)
    months_since_handover = models.IntegerField(_("months since handover"), null=True)
    # Who built what failed: the contractor the registry names for the building and the warranty
    # component of the order's top category (BuildingComponentContractor); null when none is named.
    contractor_id = models.UUIDField(_("contractor"), null=True)
    # The contractor owes the cost back: in warranty, reported within the contractor's own period
    # (from the building's completion acceptance, workflows.warranty), and a contractor is named.
    contractor_owes = models.BooleanField(_("contractor owes back"), default=False)
    refreshed_at = models.DateTimeField(_("refreshed at"))

    class Meta:
        verbose_name = _("order fact")
        verbose_name_plural = _("order facts")
        indexes = [
            # Drill-down lists: a slice, newest first, keyset on (created_at, order_id).
            models.Index(fields=["project_id", "created_at", "order_id"], name="an_fact_project_created"),
            models.Index(fields=["unit_id", "created_at"], name="an_fact_unit_created"),
            models.Index(fields=["building_id", "month"], name="an_fact_building_month"),
            models.Index(fields=["month", "project_id"], name="an_fact_month_project"),
            models.Index(fields=["created_at", "order_id"], name="an_fact_created"),
            # The backlog: open orders by age, a small slice of the facts.
            models.Index(fields=["created_at"], name="an_fact_open_created",
                         condition=~Q(state__in=["completed", "closed", "cancelled", "rejected"])),
        ]

    def __str__(self) -> str:
        return self.number


class MonthlyProjectCategory(models.Model):
    """Counted orders per month × project × category (the ranking, its trend and the Pareto)."""

    month = models.DateField()
    project_id = models.UUIDField()
    category_code = models.CharField(max_length=50)
    orders = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)
    actual_cost_yuan = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("monthly project × category roll-up")
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(fields=["month", "project_id", "category_code"], name="an_mpc_key"),
            models.CheckConstraint(condition=Q(orders__gt=0), name="an_mpc_orders_positive"),
        ]
        indexes = [models.Index(fields=["project_id", "month"], name="an_mpc_project_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.project_id} {self.category_code}: {self.orders}"


class MonthlyUnitCategory(models.Model):
    """Counted orders per month × unit × category, with the unit's place (the building heatmap)."""

    month = models.DateField()
    unit_id = models.UUIDField()
    category_code = models.CharField(max_length=50)
    project_id = models.UUIDField()
    building_id = models.UUIDField()
    floor = models.SmallIntegerField()
    position = models.SmallIntegerField()
    orders = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("monthly unit × category roll-up")
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(fields=["month", "unit_id", "category_code"], name="an_muc_key"),
            models.CheckConstraint(condition=Q(orders__gt=0), name="an_muc_orders_positive"),
        ]
        indexes = [models.Index(fields=["building_id", "month"], name="an_muc_building_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.unit_id} {self.category_code}: {self.orders}"


class RefreshState(models.Model):
    """The one row that serialises refreshes and remembers how far the incremental one has read."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    # Sync stamp from which the next incremental refresh reads changed orders and timeline events.
    watermark = models.BigIntegerField(default=0)
    refreshed_at = models.DateTimeField(null=True)
    rebuilt_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("analytics refresh state")
        verbose_name_plural = verbose_name
        constraints = [models.CheckConstraint(condition=Q(id=1), name="an_refresh_state_singleton")]

    def __str__(self) -> str:
        return f"watermark {self.watermark}"


class MonthlyServiceRollup(models.Model):
    """The service and cost pages' sums per month × project × category × team × technician: every KPI
    there is a ratio of two of these sums (a mean is a sum over a count), so any slice of months,
    projects, categories or teams adds rows up to exactly the numbers a GROUP BY over the facts gives.
    Percentiles are not sums: they are read from the facts (``percentile_disc`` on PostgreSQL).
    One row per key (team and technician may be null, so the key is kept by the writer, which
    replaces whole month × project slices under the refresh lock, rather than by a constraint)."""

    month = models.DateField()
    project_id = models.UUIDField()
    category_code = models.CharField(max_length=50)
    top_category = models.CharField(max_length=50)
    team_id = models.UUIDField(null=True)
    technician_id = models.UUIDField(null=True)
    orders = models.PositiveIntegerField(default=0)
    n_completed = models.PositiveIntegerField(default=0)
    ftf = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)
    response_met = models.PositiveIntegerField(default=0)
    response_known = models.PositiveIntegerField(default=0)
    arrival_met = models.PositiveIntegerField(default=0)
    arrival_known = models.PositiveIntegerField(default=0)
    resolution_met = models.PositiveIntegerField(default=0)
    resolution_known = models.PositiveIntegerField(default=0)
    resolution_n = models.PositiveIntegerField(default=0)
    resolution_seconds = models.BigIntegerField(default=0)
    offered = models.PositiveIntegerField(default=0)
    taken = models.PositiveIntegerField(default=0)
    estimate = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    actual = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    in_warranty = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    contractor_owed = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    out_warranty = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    income = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    timeliness_sum = models.PositiveIntegerField(default=0)
    timeliness_n = models.PositiveIntegerField(default=0)
    attitude_sum = models.PositiveIntegerField(default=0)
    attitude_n = models.PositiveIntegerField(default=0)
    quality_sum = models.PositiveIntegerField(default=0)
    quality_n = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("monthly service roll-up")
        verbose_name_plural = verbose_name
        constraints = [
            models.CheckConstraint(condition=Q(orders__gt=0), name="an_msr_orders_positive"),
        ]
        indexes = [models.Index(fields=["month", "project_id"], name="an_msr_month_project")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.project_id} {self.category_code} {self.team_id}: {self.orders}"


class MonthlyContractorCategory(models.Model):
    """Counted orders and their costs per month × project × category × contractor (the contractor
    breakdown, and the hotspot pages under a contractor filter). ``contractor_id`` is null for the
    orders whose building and component name no contractor; the writer keeps the key (it replaces
    whole month × project slices under the refresh lock), as for the service roll-up."""

    month = models.DateField()
    project_id = models.UUIDField()
    category_code = models.CharField(max_length=50)
    contractor_id = models.UUIDField(null=True)
    orders = models.PositiveIntegerField(default=0)
    actual = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    in_warranty = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    contractor_owed = models.DecimalField(max_digits=16, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("monthly contractor roll-up")
        verbose_name_plural = verbose_name
        constraints = [models.CheckConstraint(condition=Q(orders__gt=0), name="an_mcc_orders_positive")]
        indexes = [models.Index(fields=["month", "project_id"], name="an_mcc_month_project")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.project_id} {self.category_code} {self.contractor_id}: {self.orders}"
