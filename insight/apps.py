from django.apps import AppConfig


class InsightConfig(AppConfig):
    name = "insight"
    verbose_name = "Insight"

    def ready(self):
        from django.db.models.signals import post_save

        from orders.models import OrderEvent

        from .services import order_event_seen

        post_save.connect(order_event_seen, sender=OrderEvent, dispatch_uid="insight_queue_follows_status")
