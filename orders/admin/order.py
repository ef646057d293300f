"""Orders in the admin: read-only, in the user's accounts.

Statuses change only through services; the page's buttons are in `order_actions`.
"""

from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.db.models import Prefetch, prefetch_related_objects
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.absences import chain_turns
from accounts.admin_base import ReadOnlyAccountAdmin
from accounts.roles import HANDLE_ORDERS
from authorization.decision import Outcome
from authorization.decision_words import outcome_label, reason_label, route_label
from exports.admin import ExportableAdmin
from kit.admin_dates import DateHierarchyFromRange
from kit.admin_display import badge, signed_percent
from kit.admin_lists import LookaheadPaging
from kit.numbers import percent

from ..approvals import may_decide
from ..explained import explanation_words
from ..models import Order
from ..selectors import (
    approval_notices_waiting,
    next_order_to_decide,
    order_approval_task,
    order_events,
    order_explanations,
    order_intake_records,
    order_items_queryset,
    order_notifications,
)
from ..statuses import OrderStatus
from .display import (
    approver_level_text,
    band_action,
    band_range,
    deadline_shown,
    decision_words,
    event_actor,
    event_note,
    order_money,
    reservation_expired,
    reservation_left,
    short_moment,
)
from .forms import DenyForm
from .order_actions import OrderActions
from .queue_columns import order_and_origin, paid_over_seller
from .queue_filters import ConnectorFilter, StatusFilter, Titled
from .tables import OrderTable


class OutcomeFilter(Titled, admin.SimpleListFilter):
    """The outcomes the decision knows, rather than every value found in a table that never stops growing."""

    title = _("outcome")
    parameter_name = "outcome"
    # An order is never held: a held submission makes none.
    outcomes = [outcome for outcome in Outcome if outcome is not Outcome.HELD]

    def lookups(self, request, model_admin):
        return [(outcome.value, capfirst(outcome_label(outcome))) for outcome in self.outcomes]

    def queryset(self, request, queryset):
        return queryset.filter(outcome=self.value()) if self.value() else queryset


@admin.register(Order)
class OrderAdmin(
    OrderActions, ExportableAdmin, DateHierarchyFromRange, LookaheadPaging, ReadOnlyAccountAdmin
):
    count_nouns = ("order", "orders")
    count_words = (_("%(count)s order"), _("%(count)s orders"), _("More than %(count)s orders"))

    class Media:
        css = {"all": ["orders/admin.css", "orders/queue.css"]}

    # Two facts a column where they belong together, so the list fits a laptop beside the sidebar.
    list_display = ["order_link", "status_badge", "values", "divergence", "outcome_words", "created"]
    list_display_links = None
    list_filter = [("status", StatusFilter), ("connector", ConnectorFilter), OutcomeFilter]
    search_fields = ["^main_order_id", "^marketplace_order_id", "=customer_email"]
    search_help_text = _("Order number or marketplace order (beginning), or the customer's e-mail.")
    date_hierarchy = "created_at"
    list_select_related = ["connector", "account"]
    export_table = OrderTable()
    fieldsets = [
        (
            _("Order"),
            {
                "fields": [
                    ("main_order_id", "marketplace_order_id", "franchise_order_id"),
                    ("connector", "status_badge", "marketplace_approved", "approval_requested"),
                    ("customer", "created", "updated"),
                ]
            },
        ),
        (
            _("Money"),
            {
                "fields": [
                    ("payment_value", "interest_value", "tax_value", "marketplace_freight_value"),
                    ("paid_value", "seller_value", "divergence", "allowance_rate"),
                ]
            },
        ),
        (
            _("Decision"),
            {"fields": [("outcome_words", "route_display", "decision_why"), "band_display", "rule_table"]},
        ),
        (
            _("Stock reservation"),
            {
                "fields": [
                    "reservation_state",
                    ("reservation_expires", "reservation_released", "reservation_expired"),
                ]
            },
        ),
    ]
    readonly_fields = flatten_fieldsets(fieldsets)

    @admin.display(description=_("Order number"), ordering="main_order_id")
    def order_link(self, order):
        return order_and_origin(order, reverse("admin:orders_order_change", args=[order.pk]))

    @admin.display(description=_("Paid / seller"), ordering="paid_value_cents")
    def values(self, order):
        return paid_over_seller(order)

    @admin.display(description=_("Status"), ordering="status")
    def status_badge(self, order):
        return badge(order.status, order.get_status_display())

    @admin.display(description=_("Paid value"), ordering="paid_value_cents")
    def paid_value(self, order):
        return order_money(order, order.paid_value_cents)

    @admin.display(description=_("Seller value"), ordering="seller_value_cents")
    def seller_value(self, order):
        return order_money(order, order.seller_value_cents)

    @admin.display(description=_("Divergence"), ordering="divergence_percent")
    def divergence(self, order):
        return signed_percent(order.divergence_percent)

    @admin.display(description=_("Payment value"))
    def payment_value(self, order):
        return order_money(order, order.payment_value_cents)

    @admin.display(description=_("Interest"))
    def interest_value(self, order):
        return order_money(order, order.interest_cents)

    @admin.display(description=_("Taxes"))
    def tax_value(self, order):
        return order_money(order, order.tax_cents)

    @admin.display(description=_("Freight charged by the marketplace"))
    def marketplace_freight_value(self, order):
        return order_money(order, order.marketplace_freight_cents)

    @admin.display(description=_("Customer"))
    def customer(self, order):
        if not order.customer_email:
            return order.customer_name or "-"
        return f"{order.customer_name} <{order.customer_email}>".strip()

    @admin.display(description=_("Outcome"), ordering="outcome")
    def outcome_words(self, order):
        return decision_words(outcome_label, order.outcome)

    @admin.display(description=_("Created"), ordering="created_at")
    def created(self, order):
        return short_moment(order.created_at)

    @admin.display(description=_("Approval asked for"))
    def approval_requested(self, order):
        return short_moment(order.approval_requested_at)

    @admin.display(description=_("Updated"))
    def updated(self, order):
        return short_moment(order.updated_at)

    @admin.display(description=_("Reservation expires"))
    def reservation_expires(self, order):
        return short_moment(order.reservation_expires_at)

    @admin.display(description=_("Reservation released"))
    def reservation_released(self, order):
        return short_moment(order.reservation_released_at)

    @admin.display(description=_("Route"))
    def route_display(self, order):
        # An order whose divergence was ignored took no route; the page names the override there.
        if order.decision_route:
            return decision_words(route_label, order.decision_route)
        return decision_words(reason_label, order.decision_reason)

    @admin.display(description=_("Reason"))
    def decision_why(self, order):
        return decision_words(reason_label, order.decision_reason)

    @admin.display(description=_("Band, as it was"))
    def band_display(self, order):
        return band_text(order.band) if order.band else gettext("None: no band decided.")

    @admin.display(description=_("Rule, as it was"))
    def rule_table(self, order):
        if not order.rule_snapshot:
            return gettext("The account had no rule.")
        rows = format_html_join(
            "",
            '<tr><td class="oa-number">{}</td><td class="oa-number">{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    percent(band["from"], 2),
                    percent(band["to"], 2),
                    band_action(band["action"]),
                    ", ".join(band.get("approvers") or []) or "-",
                )
                for band in order.rule_snapshot
            ),
        )
        return format_html(
            '<table class="oa-table"><thead><tr><th class="oa-number">{}</th><th class="oa-number">{}</th>'
            "<th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>",
            gettext("From"),
            gettext("To"),
            gettext("Action"),
            gettext("Approvers"),
            rows,
        )

    @admin.display(description=_("Reservation"))
    def reservation_state(self, order):
        if reservation_expired(order):
            return format_html(
                "{} {}",
                reservation_left(order),
                gettext("The stock reservation ran out; approving the order reserves stock again."),
            )
        if order.reservation_released_at is not None:
            return gettext("Released.")
        return reservation_left(order)

    def get_object(self, request, object_id, from_field=None):
        # Read once a request: the page's details ask for the order, then Django's form does.
        kept = getattr(request, "_order_shown", None)
        if kept is not None and from_field is None and str(kept.pk) == str(object_id):
            return kept
        order = super().get_object(request, object_id, from_field)
        request._order_shown = order
        return order

    def change_view(self, request, object_id, form_url="", extra_context=None):
        order = self.get_object(request, unquote(object_id))
        if order is not None:
            extra_context = {**(extra_context or {}), **self.detail_context(order, request)}
        return super().change_view(request, object_id, form_url, extra_context)

    def detail_context(self, order, request=None) -> dict:
        """What the order page shows besides its fields: items and totals, events, notifications,
        submissions, the approval task, and the actions the user may take."""
        # The items are fetched onto the order, where its explanation reads them too.
        prefetch_related_objects([order], Prefetch("items", queryset=order_items_queryset()))
        items = list(order.items.all())
        explanation = order_explanations([order])[order.pk]
        task = order_approval_task(order=order)
        events = list(order_events(order=order))
        for event in events:
            event.note_text = event_note(event, order)
            event.actor_text = event_actor(event)
        context = {
            "order": order,
            "items": items,
            "totals": item_totals(order, items),
            "events": events,
            "currency": order.account.currency,
            "explanation": explanation_words(explanation, order.account.currency),
            "notifications": list(order_notifications(order=order)),
            "intake_records": list(order_intake_records(order=order)),
            "approval_task": task,
            # Who is away and who takes their turn, while the order waits for a decision.
            "approval_chain": chain_turns(
                account_id=task.account_id, emails=task.approvers, at=timezone.now()
            )
            if task is not None and not task.decision
            else None,
            "approval_level": approver_level_text(task),
            "deadline": deadline_shown(order, task),
            "approval_notified": [
                {**entry, "at": parse_moment(entry.get("at"))} for entry in (task.notified if task else [])
            ],
            "approval_waiting_notices": approval_notices_waiting(task=task),
        }
        if request is not None:
            waiting = order.status == OrderStatus.WAITING_FOR_MANUAL_AUTHORIZATION
            deny_form = DenyForm()
            # "d" focuses the reason (static/orders/shortcuts.js); said so to screen readers.
            deny_form.fields["reason_code"].widget.attrs["aria-keyshortcuts"] = "d"
            context.update(
                {
                    "may_decide": waiting and may_decide(user=request.user, order=order),
                    "deny_form": deny_form,
                    "approve_url": reverse("admin:orders_order_approve", args=[order.pk]),
                    "deny_url": reverse("admin:orders_order_deny", args=[order.pk]),
                    "queue_url": reverse("admin:orders_waitingorder_changelist"),
                    "next_order": next_order_to_decide(user=request.user, order=order),
                    "previous_order": next_order_to_decide(user=request.user, order=order, previous=True),
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
    """A band in words: "5,00–10,00 % Hold for manual authorization (approvers: bo@acme.example)"."""
    text = f"{band_range(band)} {band_action(band['action'])}"
    if band.get("approvers"):
        text += " " + gettext("(approvers: %(emails)s)") % {"emails": ", ".join(band["approvers"])}
    return text
