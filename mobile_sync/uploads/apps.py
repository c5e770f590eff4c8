from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UploadsConfig(AppConfig):
    name = "mobile_sync.uploads"
    label = "mobile_sync_uploads"
    verbose_name = _("Resumable uploads")
