"""What an account's people and connectors can see of it, as one value to compare before and after.

"Harmless" (a request sent again, one refused, one from somewhere it may not reach) means this is
unchanged: orders with their status, outcome and decision, their events, the stock, the feed, the
hook's deliveries, the notifications, the rule, the catalog and the team: of one account, or of
every account where a request could have stored something anywhere (a refused one). Take it
once the work the request queued has run (`mkp.capture(execute=True)`), or "unchanged" only
says nothing ran.
`changed` names the parts that differ, for a repeat that rightly answers again (a second SOI002).
"""

from accounts.models import Membership
from authorization.models import ApprovalTask, AuthorizationBand, RuleRevision
from catalog.models import PickupPoint, ShippingPolicy, Sku, Stock
from connectors.models import FeedConfig, FeedItem, HookConfig, HookDelivery, Notification
from insight.models import DecisionRecord
from orders.models import IntakeRecord, Order, OrderEvent
from tests.support.on_commit import assert_settled

# Each part: its model, the path from a row to its account, and the fields a reader sees of it.
PARTS = {
    "orders": (
        Order,
        "account",
        (
            "main_order_id",
            "status",
            "outcome",
            "decision_route",
            "decision_reason",
            "marketplace_approved",
            "approval_requested_at",
            "reservation_expired",
            "reservation_released_at",
        ),
    ),
    "decisions": (
        ApprovalTask,
        "account",
        (
            "order__main_order_id",
            "decision",
            "decided_by__email",
            "reason_code",
            "note",
            "level",
            "next_notification_at",
        ),
    ),
    "decision records": (DecisionRecord, "account", ("marketplace_order_id", "outcome", "route")),
    "events": (
        OrderEvent,
        "order__account",
        ("order__main_order_id", "kind", "from_status", "to_status", "actor_label", "note"),
    ),
    "submissions": (IntakeRecord, "account", ("marketplace_order_id", "flow", "status", "code")),
    "stock": (Stock, "account", ("sku__sku_id", "warehouse__warehouse_id", "quantity", "reserved")),
    "feeds": (FeedConfig, "account", ("connector__name", "statuses", "visibility_timeout_seconds")),
    "feed": (FeedItem, "feed__account", ("event_uid", "handle", "body", "visible_after", "receive_count")),
    "hooks": (HookConfig, "account", ("connector__name", "url", "statuses")),
    "hook deliveries": (HookDelivery, "account", ("event_uid", "state", "attempt_count")),
    "notifications": (
        Notification,
        "account",
        ("marketplace_order_id", "flow", "code", "state", "attempt_count"),
    ),
    "rule": (
        AuthorizationBand,
        "rule__account",
        ("lower_percent", "upper_percent", "action", "approvers", "escalate_after_minutes"),
    ),
    "rule revisions": (RuleRevision, "account", ("change", "bands_after")),
    "skus": (Sku, "account", ("sku_id", "name", "price_cents", "active", "sales_channels")),
    "shipping policies": (
        ShippingPolicy,
        "account",
        ("policy_id", "delivery_channel", "freight_cents", "estimate", "active"),
    ),
    "pickup points": (PickupPoint, "account", ("point_id", "name", "warehouse_id")),
    "team": (Membership, "account", ("user__email", "role")),
}


def observed(account=None) -> dict[str, list[tuple]]:
    """Everything of `account` (of every account when None) a user or its connectors read, each
    part in the order it was written."""
    assert_settled()
    return {
        part: list(
            model.objects.filter(**({path: account} if account is not None else {}))
            .order_by("pk")
            .values_list(*fields)
        )
        for part, (model, path, fields) in PARTS.items()
    }


def changed(before: dict, after: dict) -> set[str]:
    """The parts of two `observed` values that differ."""
    return {part for part in before if before[part] != after[part]}
