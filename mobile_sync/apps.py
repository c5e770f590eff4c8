from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MobileSyncConfig(AppConfig):
    name = "mobile_sync"
    label = "mobile_sync"
    verbose_name = _("Mobile sync")
