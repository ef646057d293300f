"""The CSV exports of the order list and of the manual-authorization queue."""

from django.db.models import prefetch_related_objects

from exports.tables import CsvTable, percent
from kit.admin_display import decider

from ..explained import explanation_text
from ..selectors import order_explanations
from .display import (
    approval_task_of,
    approver_level_text,
    band_range,
    human_duration,
    notified_emails,
    reservation_expired,
)

# What an order's explanation reads of it besides its items.
EXPLAINED_FIELDS = ("marketplace_freight_cents", "tax_cents", "interest_cents")


class Explained:
    """A table of orders whose lines say why each diverges: the batch's items and earlier prices
    are read together."""

    def prepare(self, rows):
        prefetch_related_objects(rows, "items")
        explanations = order_explanations(rows)
        for order in rows:
            order.explanation = explanations[order.pk]

    @staticmethod
    def explained(order) -> str:
        return explanation_text(order.explanation, order.account.currency)


class OrderTable(Explained, CsvTable):
    """The order list's CSV: each order, its values, the rule's decision and the approver's."""

    columns = (
        "account",
        "main_order_id",
        "marketplace_order_id",
        "franchise_order_id",
        "connector",
        "affiliate_id",
        "status",
        "marketplace_approved",
        "created_at ({zone})",
        "customer_name",
        "customer_email",
        "paid_value_cents",
        "seller_value_cents",
        "divergence_percent",
        "divergence_explained",
        "outcome",
        "decision_reason",
        "band",
        "approvers",
        "manual_decision",
        "decided_by",
        "on_behalf_of",
        "decided_at ({zone})",
        "deny_reason",
        "decision_note",
    )
    fields = (
        "account__name",
        "account__time_zone",
        "main_order_id",
        "marketplace_order_id",
        "franchise_order_id",
        "connector__name",
        "connector__affiliate_id",
        "status",
        "marketplace_approved",
        "created_at",
        "customer_name",
        "customer_email",
        "paid_value_cents",
        "seller_value_cents",
        "divergence_percent",
        *EXPLAINED_FIELDS,
        "outcome",
        "decision_route",
        "decision_reason",
        "band",
        "approval_task__decision",
        "approval_task__decided_by__email",
        "approval_task__decided_by__username",
        "approval_task__on_behalf_of",
        "approval_task__decided_at",
        "approval_task__reason_code",
        "approval_task__note",
    )
    nouns = ("order", "orders")
    file_stem = "orders"

    def lines(self, order, clock):
        task = approval_task_of(order)
        decided = task is not None and bool(task.decision)
        yield [
            order.account.name,
            order.main_order_id,
            order.marketplace_order_id,
            order.franchise_order_id,
            order.connector.name,
            order.connector.affiliate_id,
            order.status,
            order.marketplace_approved,
            clock.stamp(order.created_at, order.account),
            order.customer_name,
            order.customer_email,
            order.paid_value_cents,
            order.seller_value_cents,
            percent(order.divergence_percent),
            self.explained(order),
            order.outcome,
            order.route_and_reason,
            band_range(order.band) if order.band else "",
            " ".join((order.band or {}).get("approvers") or []),
            task.decision if decided else "",
            decider(task) if decided else "",
            task.on_behalf_of if decided else "",
            clock.stamp(task.decided_at, order.account) if decided else "",
            task.reason_code if decided else "",
            task.note if decided else "",
        ]


class QueueTable(Explained, CsvTable):
    """The queue's CSV: what waits, for whom, notified when, and for how long."""

    columns = (
        "account",
        "main_order_id",
        "marketplace_order_id",
        "connector",
        "created_at ({zone})",
        "waiting",
        "paid_value_cents",
        "seller_value_cents",
        "divergence_percent",
        "divergence_explained",
        "band",
        "approvers",
        "approver_level",
        "notified",
        "reservation_expires_at ({zone})",
        "reservation",
    )
    fields = (
        "account__name",
        "account__time_zone",
        "main_order_id",
        "marketplace_order_id",
        "connector__name",
        "created_at",
        "paid_value_cents",
        "seller_value_cents",
        "divergence_percent",
        *EXPLAINED_FIELDS,
        "band",
        "approval_task__level",
        "approval_task__approvers",
        "approval_task__notified",
        "reservation_expires_at",
        "reservation_released_at",
        "reservation_expired",
    )
    nouns = ("order waiting", "orders waiting")
    file_stem = "waiting-for-manual-authorization"

    def lines(self, order, clock):
        now = clock.now
        task = approval_task_of(order)
        if reservation_expired(order, now):
            reservation = "expired"
        elif order.reservation_released_at is None and order.reservation_expires_at is not None:
            reservation = f"{human_duration(order.reservation_expires_at - now)} left"
        else:
            reservation = ""
        yield [
            order.account.name,
            order.main_order_id,
            order.marketplace_order_id,
            order.connector.name,
            clock.stamp(order.created_at, order.account),
            human_duration(now - order.created_at),
            order.paid_value_cents,
            order.seller_value_cents,
            percent(order.divergence_percent),
            self.explained(order),
            band_range(order.band),
            " ".join((order.band or {}).get("approvers") or []),
            approver_level_text(task),
            " ".join(notified_emails(task)),
            clock.stamp(order.reservation_expires_at, order.account),
            reservation,
        ]
