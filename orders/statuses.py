"""Order statuses and the one table of allowed transitions (PRODUCT.md §7)."""

from django.db import models


class OrderStatus(models.TextChoices):
    WAITING_FOR_MANUAL_AUTHORIZATION = "waiting-for-manual-authorization", "Waiting for manual authorization"
    PAYMENT_PENDING = "payment-pending", "Payment pending"
    READY_FOR_HANDLING = "ready-for-handling", "Ready for handling"
    HANDLING = "handling", "Handling"
    INVOICED = "invoiced", "Invoiced"
    CANCELED = "canceled", "Canceled"


S = OrderStatus

# Where an order may go from each status. An order starts in one of INITIAL_STATUSES.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.WAITING_FOR_MANUAL_AUTHORIZATION: frozenset({S.PAYMENT_PENDING, S.READY_FOR_HANDLING, S.CANCELED}),
    S.PAYMENT_PENDING: frozenset({S.READY_FOR_HANDLING, S.CANCELED}),
    S.READY_FOR_HANDLING: frozenset({S.HANDLING, S.CANCELED}),
    S.HANDLING: frozenset({S.INVOICED, S.CANCELED}),
    S.INVOICED: frozenset(),
    S.CANCELED: frozenset(),
}

INITIAL_STATUSES = frozenset({S.WAITING_FOR_MANUAL_AUTHORIZATION, S.PAYMENT_PENDING, S.READY_FOR_HANDLING})

# Statuses in which the order holds a stock reservation that lockTTL limits.
RESERVATION_TTL_STATUSES = frozenset({S.WAITING_FOR_MANUAL_AUTHORIZATION, S.PAYMENT_PENDING})


def can_transition(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, frozenset())


def status_after_authorization(*, marketplace_approved: bool) -> str:
    """Return where an authorized order goes: on to handling once the marketplace has approved it."""
    return S.READY_FOR_HANDLING if marketplace_approved else S.PAYMENT_PENDING


class IntakeStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSING = "processing", "Processing"
    INTEGRATED = "integrated", "Integrated"
    REJECTED = "rejected", "Rejected"
    HELD = "held", "Held"
    FAILED = "failed", "Failed (will retry)"


class Flow(models.TextChoices):
    PLACE_ORDER = "PlaceOrder", "Place order"
    APPROVE_ORDER = "ApproveOrder", "Approve order"
