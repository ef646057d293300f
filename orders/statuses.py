"""Order statuses and the one table of allowed transitions (PRODUCT.md §7)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderStatus(models.TextChoices):
    WAITING_FOR_MANUAL_AUTHORIZATION = (
        "waiting-for-manual-authorization",
        _("Waiting for manual authorization"),
    )
    PAYMENT_PENDING = "payment-pending", _("Payment pending")
    READY_FOR_HANDLING = "ready-for-handling", _("Ready for handling")
    HANDLING = "handling", _("Handling")
    INVOICED = "invoiced", _("Invoiced")
    CANCELED = "canceled", _("Canceled")


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
    RECEIVED = "received", _("Received")
    PROCESSING = "processing", _("Processing")
    INTEGRATED = "integrated", _("Integrated")
    REJECTED = "rejected", _("Rejected")
    HELD = "held", _("Held")
    FAILED = "failed", _("Failed (will retry)")


class Flow(models.TextChoices):
    PLACE_ORDER = "PlaceOrder", _("Place order")
    APPROVE_ORDER = "ApproveOrder", _("Approve order")
