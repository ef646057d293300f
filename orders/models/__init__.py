"""The orders app's models: the intake records, the orders with their items and events, and
the approvers' bulk decisions and e-mailed links. Import them from here."""

from .decisions import BulkDecision, DecisionLink
from .intake import IntakeRecord
from .order import Order, OrderEvent, OrderItem, WaitingOrder

__all__ = [
    "BulkDecision",
    "DecisionLink",
    "IntakeRecord",
    "Order",
    "OrderEvent",
    "OrderItem",
    "WaitingOrder",
]
