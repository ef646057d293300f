from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConnectorsConfig(AppConfig):
    name = "connectors"
    verbose_name = _("Connectors")

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)
