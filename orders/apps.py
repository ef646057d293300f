from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self):
        from authorization.signals import rule_saved

        from .tasks import held_until_rule_go_on

        rule_saved.connect(held_until_rule_go_on, dispatch_uid="orders.held_until_rule_go_on")
