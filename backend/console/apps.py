from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "backend.console"
    label = "console"
    verbose_name = "Staff console"
    default_auto_field = "django.db.models.BigAutoField"
