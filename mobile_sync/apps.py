from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class MobileSyncConfig(AppConfig):
    name = "mobile_sync"
    label = "mobile_sync"
    verbose_name = _("Mobile sync")

    def ready(self) -> None:
        # Wiring only: the stamp triggers are (re)installed after every migrate, and checked (mobile_sync.E001).
        from mobile_sync import triggers

        post_migrate.connect(triggers.install_after_migrate, sender=self,
                             dispatch_uid="mobile_sync.install_stamp_triggers")
