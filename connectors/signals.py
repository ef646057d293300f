"""What the connectors' outbox publishes for the apps above it to follow: they connect in their
AppConfig.ready(). Sent inside the transaction that kept the tries."""

from django.dispatch import Signal

# Tries to deliver outbox rows were kept (`connectors.outbound.record`, `record_many`); sent with
# `channel` ("notification", "hook") and `outcomes`, one of "delivered", "retry", "failed" a try.
deliveries_attempted = Signal()
