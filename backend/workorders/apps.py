from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkOrdersConfig(AppConfig):
    name = "backend.workorders"
    label = "workorders"
    verbose_name = _("Work orders")

    def ready(self) -> None:
        from backend.core.selectors import HEALTH_WARNING_PROVIDERS
        from backend.workorders.health import definitions_warnings

        if definitions_warnings not in HEALTH_WARNING_PROVIDERS:
            HEALTH_WARNING_PROVIDERS.append(definitions_warnings)
