"""What orders publish for the apps above them to follow: they connect in their AppConfig.ready().

Sent inside the transaction that wrote the change, so what a receiver writes commits or rolls back
with it.
"""

from django.dispatch import Signal

# Order events were written (`orders.services.order_events_save`); sent with `events`, the OrderEvents.
order_events_saved = Signal()
