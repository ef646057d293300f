"""What the connector contract's codes, flows and order statuses mean, in words for the people
reading the admin.

The contract's own messages (`contract.MESSAGES`) are what connectors receive, in English as the
contract has them; these say the same to a seller's staff, in their language, beside the code.
"""

from django.utils.translation import gettext_lazy as _

MEANINGS = {
    "SOI001": _("Order integrated"),
    "SOI002": _("Order approved"),
    "SOI003": _("Order queued for processing"),
    "EOI000": _("Unknown error while processing the order"),
    "EOI001": _("Error while processing the order: see its errors"),
    "EOI002": _("No shipping policy or stock available for this order"),
    "EOI003": _("Paid value differs from the seller's value"),
    "EOI004": _("The order's cart is invalid"),
    "EOI005": _("Some of the order's fields are invalid"),
    "EOI006": _("Internal error: the connector should send it again later"),
    "EOI007": _("Duplicate: the order already exists"),
    "EOI008": _("Cannot be approved: the order is not integrated yet"),
    "EOI009": _("Cannot be approved in the order's current status"),
    "EOI011": _("Price divergence: waits for the seller's manual authorization"),
}


def code_text(code: str | None) -> str:
    """A contract code with its meaning for people: "EOI007 · Duplicate: the order already exists";
    the code alone when the contract has no such code, "-" when there is none."""
    if not code:
        return "-"
    meaning = MEANINGS.get(code)
    return f"{code} · {meaning}" if meaning else code


# The contract's flows, as `Notification.flow` keeps them.
FLOWS = {
    "PlaceOrder": _("Place order"),
    "ApproveOrder": _("Approve order"),
    "Unknown": _("Unknown"),
}

# The order statuses a feed or hook filter may name (`filters.FILTER_STATUSES`), in words.
STATUSES = {
    "order-created": _("Order created"),
    "on-order-completed": _("Order completed"),
    "on-order-completed-ffm": _("Order completed (fulfillment)"),
    "payment-pending": _("Payment pending"),
    "waiting-for-order-authorization": _("Waiting for order authorization"),
    "approve-payment": _("Approving payment"),
    "payment-approved": _("Payment approved"),
    "request-cancel": _("Cancellation asked"),
    "waiting-for-seller-decision": _("Waiting for the seller's decision"),
    "waiting-ffmt-authorization": _("Waiting for fulfillment authorization"),
    "waiting-for-authorization": _("Waiting for authorization"),
    "waiting-for-manual-authorization": _("Waiting for manual authorization"),
    "authorize-fulfillment": _("Authorizing fulfillment"),
    "order-create-error": _("Order creation error"),
    "order-creation-error": _("Order creation failed"),
    "window-to-cancel": _("Window to cancel"),
    "window-to-change-seller": _("Window to change seller"),
    "waiting-for-mkt-authorization": _("Waiting for the marketplace's authorization"),
    "waiting-seller-handling": _("Waiting for the seller's handling"),
    "ready-for-handling": _("Ready for handling"),
    "start-handling": _("Handling started"),
    "handling": _("Handling"),
    "invoice-after-cancellation-deny": _("Invoiced after a refused cancellation"),
    "order-accepted": _("Order accepted"),
    "invoice": _("Being invoiced"),
    "invoiced": _("Invoiced"),
    "replaced": _("Replaced"),
    "cancellation-requested": _("Cancellation requested"),
    "cancel": _("Canceling"),
    "canceled": _("Canceled"),
}


def flow_name(flow: str) -> str:
    return str(FLOWS.get(flow, flow))


def status_name(status: str) -> str:
    """An order status in words; a status the contract does not name is shown as it is."""
    return str(STATUSES.get(status, status))
