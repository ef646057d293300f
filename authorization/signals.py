"""What authorization publishes for the apps above it to follow: they connect in their AppConfig.ready().

Sent inside the transaction that made the change, so a receiver writes in it too, or queues its
work on commit.
"""

from django.dispatch import Signal

# An account's rule was created or replaced; sent with `account`.
rule_saved = Signal()
