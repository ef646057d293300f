from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self):
        from accounts.absences import absence_uncovered
        from authorization.signals import rule_saved

        from .absences import orders_left_without_approver
        from .tasks import held_until_rule_go_on

        rule_saved.connect(held_until_rule_go_on, dispatch_uid="orders.held_until_rule_go_on")
        absence_uncovered.connect(
            orders_left_without_approver, dispatch_uid="orders.orders_left_without_approver"
        )
