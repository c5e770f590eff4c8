from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OwnerPortalConfig(AppConfig):
    name = "owner_portal"
    label = "owner_portal"
    verbose_name = _("Owner portal")
