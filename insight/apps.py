from django.apps import AppConfig


class InsightConfig(AppConfig):
    name = "insight"
    verbose_name = "Insight"

    def ready(self):
        from authorization.rule_admin import PriceDivergenceRuleAdmin

        from . import replay

        # The rule editor replays a draft over the decisions insight keeps (docs/architecture.md).
        PriceDivergenceRuleAdmin.replay = replay
