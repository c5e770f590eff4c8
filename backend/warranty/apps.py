from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WarrantyConfig(AppConfig):
    name = "backend.warranty"
    label = "warranty"
    verbose_name = _("Warranty")
