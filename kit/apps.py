from django.apps import AppConfig
from django.core.signals import request_finished

from .logs import log_context_clear


class KitConfig(AppConfig):
    name = "kit"
    verbose_name = "Kit"

    def ready(self):
        # After Django's own lines about the response, which come once the middleware returned.
        request_finished.connect(log_context_clear, dispatch_uid="kit.log_context_clear")
