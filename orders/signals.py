"""What orders publish for the apps above them to follow: they connect in their AppConfig.ready().

Sent inside the transaction that wrote the change, so what a receiver writes commits or rolls back
with it.
"""

from dataclasses import dataclass

from django.dispatch import Signal

# Order events were written (`orders.events.order_events_save`); sent with `events`, the OrderEvents.
order_events_saved = Signal()

# Submissions were decided and their batch written (`orders/intake/write.py`); sent with `first`
# and `again`, the facts of each submission decided for the first time and of each decided again
# when reprocessed (`orders.intake.publish.record_facts`), `waiting`, the approval tasks of
# the new orders waiting for a person, and `refused`, the contract's code (EOI…) of each
# submission of the batch that was refused, decided or not.
submissions_decided = Signal()

# A connector's submission was stored (`orders.intake.receive.intake_receive`), a replay not;
# sent with `flow`, the submission's.
submission_received = Signal()


@dataclass(frozen=True)
class ItemFacts:
    """One item line as priced: what the SKU rollup counts."""

    sku_id: str
    quantity: int
    price_cents: int
    seller_price_cents: int
