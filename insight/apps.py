from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightConfig(AppConfig):
    name = "insight"
    verbose_name = _("Insight")

    def ready(self):
        from authorization.admin import PriceDivergenceRuleAdmin
        from orders.signals import order_events_saved, submissions_decided

        from . import replay_shown
        from .queue import queue_follow
        from .services import submissions_record

        order_events_saved.connect(queue_follow, dispatch_uid="insight.queue_follow")
        submissions_decided.connect(submissions_record, dispatch_uid="insight.submissions_record")

        # The rule editor replays a draft over the decisions insight keeps (docs/architecture.md).
        PriceDivergenceRuleAdmin.replay = replay_shown
