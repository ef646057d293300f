from django.apps import AppConfig


class ConnectorApiConfig(AppConfig):
    name = "connector_api"
    verbose_name = "Connector API"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from accounts.models import Account
        from connectors.models import Connector
        from connectors.status_changes import order_events_publish
        from orders.signals import order_events_saved

        from .authentication import credentials_changed

        # Every status change reaches its connector's feed and hook, in the transaction that
        # writes its event: connectors stand below orders and cannot follow them themselves.
        order_events_saved.connect(order_events_publish, dispatch_uid="connectors.order_events_publish")

        # A token rotated, a connector deactivated or an account renamed: every process reads
        # the credentials it accepted earlier again.
        for model in (Connector, Account):
            for signal in (post_save, post_delete):
                signal.connect(
                    credentials_changed, sender=model, dispatch_uid=f"credentials_{model.__name__}"
                )
