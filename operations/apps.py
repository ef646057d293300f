from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    name = "operations"
    verbose_name = _("Operations")

    def ready(self):
        from . import (
            heartbeats,  # noqa: F401 - its receivers stamp what the Celery processes tell
            metrics,  # noqa: F401 - its receivers count what the apps below publish
        )
