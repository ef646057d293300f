"""Orders in the admin: read-only, in the user's accounts.

Statuses change only through services; the page's buttons are in `order_actions`.
"""

from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html, format_html_join

from accounts.admin_base import ReadOnlyAccountAdmin
from accounts.roles import HANDLE_ORDERS
from authorization.decision import Outcome
from exports.admin import ExportableAdmin
from kit.admin_display import badge, money, signed_percent
from kit.admin_lists import DateHierarchyFromRange, LookaheadPaging

from ..approvals import may_decide
from ..models import Order
from ..selectors import (
    order_approval_task,
    order_events,
    order_intake_records,
    order_items_queryset,
    order_notifications,
)
from ..statuses import OrderStatus
from .display import approver_level_text, reservation_expired, reservation_left
from .forms import DenyForm
from .order_actions import OrderActions
from .tables import OrderTable


class OutcomeFilter(admin.SimpleListFilter):
    """The outcomes the decision knows, rather than every value found in a table that never stops growing."""

    title = "outcome"
    parameter_name = "outcome"
    # An order is never held: a held submission makes none.
    outcomes = [outcome for outcome in Outcome if outcome is not Outcome.HELD]

    def lookups(self, request, model_admin):
        return [(outcome.value, outcome.value) for outcome in self.outcomes]

    def queryset(self, request, queryset):
        return queryset.filter(outcome=self.value()) if self.value() else queryset


@admin.register(Order)
class OrderAdmin(
    OrderActions, ExportableAdmin, DateHierarchyFromRange, LookaheadPaging, ReadOnlyAccountAdmin
):
    count_nouns = ("order", "orders")

    class Media:
        css = {"all": ["orders/admin.css", "orders/queue.css"]}

    list_display = [
        "main_order_id",
        "marketplace_order_id",
        "connector",
        "status_badge",
        "paid_value",
        "seller_value",
        "divergence",
        "outcome",
        "created_at",
    ]
    list_filter = ["status", "connector", OutcomeFilter]
    search_fields = ["^main_order_id", "^marketplace_order_id", "=customer_email"]
    search_help_text = "mainOrderId or marketplace order id (beginning), or the customer's e-mail."
    date_hierarchy = "created_at"
    list_select_related = ["connector"]
    export_table = OrderTable()
    fieldsets = [
        (
            "Order",
            {
                "fields": [
                    ("main_order_id", "marketplace_order_id", "franchise_order_id"),
                    ("connector", "status_badge", "marketplace_approved", "approval_requested_at"),
                    ("customer", "created_at", "updated_at"),
                ]
            },
        ),
        (
            "Money",
            {
                "fields": [
                    ("payment_value", "interest_value", "tax_value", "marketplace_freight_value"),
                    ("paid_value", "seller_value", "divergence", "allowance_rate"),
                ]
            },
        ),
        (
            "Decision",
            {"fields": [("outcome", "route_display", "decision_why"), "band_display", "rule_table"]},
        ),
        (
            "Stock reservation",
            {
                "fields": [
                    "reservation_state",
                    ("reservation_expires_at", "reservation_released_at", "reservation_expired"),
                ]
            },
        ),
    ]
    readonly_fields = flatten_fieldsets(fieldsets)

    @admin.display(description="Status", ordering="status")
    def status_badge(self, order):
        return badge(order.status, order.get_status_display())

    @admin.display(description="Paid value", ordering="paid_value_cents")
    def paid_value(self, order):
        return money(order.paid_value_cents)

    @admin.display(description="Seller value", ordering="seller_value_cents")
    def seller_value(self, order):
        return money(order.seller_value_cents)

    @admin.display(description="Divergence", ordering="divergence_percent")
    def divergence(self, order):
        return signed_percent(order.divergence_percent)

    @admin.display(description="Payment value (marketplacePaymentValue)")
    def payment_value(self, order):
        return money(order.payment_value_cents)

    @admin.display(description="Interest")
    def interest_value(self, order):
        return money(order.interest_cents)

    @admin.display(description="Tax")
    def tax_value(self, order):
        return money(order.tax_cents)

    @admin.display(description="Marketplace freight (isFob)")
    def marketplace_freight_value(self, order):
        return money(order.marketplace_freight_cents)

    @admin.display(description="Customer")
    def customer(self, order):
        if not order.customer_email:
            return order.customer_name or "-"
        return f"{order.customer_name} <{order.customer_email}>".strip()

    @admin.display(description="Route")
    def route_display(self, order):
        # An order whose divergence was ignored took no route; the page names the override there.
        return order.decision_route or order.decision_reason or "-"

    @admin.display(description="Reason")
    def decision_why(self, order):
        return order.decision_reason or "-"

    @admin.display(description="Band, as it was")
    def band_display(self, order):
        return band_text(order.band) if order.band else "None: no band decided."

    @admin.display(description="Rule, as it was")
    def rule_table(self, order):
        if not order.rule_snapshot:
            return "The account had no rule."
        rows = format_html_join(
            "",
            '<tr><td class="oa-number">{}</td><td class="oa-number">{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    f"{band['from']} %",
                    f"{band['to']} %",
                    band["action"],
                    ", ".join(band.get("approvers") or []) or "-",
                )
                for band in order.rule_snapshot
            ),
        )
        return format_html(
            '<table class="oa-table"><thead><tr><th class="oa-number">From</th><th class="oa-number">To</th>'
            "<th>Action</th><th>Approvers</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )

    @admin.display(description="Reservation")
    def reservation_state(self, order):
        if reservation_expired(order):
            return format_html(
                "{} The stock reservation ran out; approving the order reserves stock again.",
                reservation_left(order),
            )
        if order.reservation_released_at is not None:
            return "Released."
        return reservation_left(order)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        order = self.get_object(request, unquote(object_id))
        if order is not None:
            extra_context = {**(extra_context or {}), **self.detail_context(order, request)}
        return super().change_view(request, object_id, form_url, extra_context)

    def detail_context(self, order, request=None) -> dict:
        """What the order page shows besides its fields: items and totals, events, notifications,
        submissions, the approval task, and the actions the user may take."""
        items = list(order_items_queryset().filter(order=order))
        task = order_approval_task(order=order)
        context = {
            "order": order,
            "items": items,
            "totals": item_totals(order, items),
            "events": list(order_events(order=order)),
            "notifications": list(order_notifications(order=order)),
            "intake_records": list(order_intake_records(order=order)),
            "approval_task": task,
            "approval_level": approver_level_text(task),
            "approval_notified": [
                {**entry, "at": parse_moment(entry.get("at"))} for entry in (task.notified if task else [])
            ],
        }
        if request is not None:
            waiting = order.status == OrderStatus.WAITING_FOR_MANUAL_AUTHORIZATION
            context.update(
                {
                    "may_decide": waiting and may_decide(user=request.user, order=order),
                    "deny_form": DenyForm(),
                    "approve_url": reverse("admin:orders_order_approve", args=[order.pk]),
                    "deny_url": reverse("admin:orders_order_deny", args=[order.pk]),
                    "queue_url": reverse("admin:orders_waitingorder_changelist"),
                    "may_handle": order.status in (OrderStatus.READY_FOR_HANDLING, OrderStatus.HANDLING)
                    and request.user.has_perm(HANDLE_ORDERS, order),
                    "start_handling_url": reverse("admin:orders_order_start_handling", args=[order.pk]),
                    "invoice_url": reverse("admin:orders_order_invoice", args=[order.pk]),
                }
            )
        return context


def item_totals(order, items) -> dict:
    """Sum the items' lines on both sides, as the divergence compares them."""
    return {
        "quantity": sum(item.quantity for item in items),
        "marketplace_goods_cents": sum(item.price_cents * item.quantity for item in items),
        "seller_goods_cents": sum(item.seller_price_cents * item.quantity for item in items),
        "marketplace_freight_cents": sum(item.freight_cents for item in items),
        "seller_freight_cents": sum(item.seller_freight_cents for item in items),
        "paid_value_cents": order.paid_value_cents,
        "seller_value_cents": order.seller_value_cents,
        "divergence_percent": order.divergence_percent,
    }


def parse_moment(value):
    """Read a time stored in JSON as ISO 8601, for the template to show in the admin's time zone."""
    return parse_datetime(value) if value else None


def band_text(band: dict) -> str:
    text = f"{band['from']}–{band['to']} % {band['action']}"
    if band.get("approvers"):
        text += f" (approvers: {', '.join(band['approvers'])})"
    return text
