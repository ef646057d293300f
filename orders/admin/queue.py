"""The manual-authorization queue in the admin: the orders waiting for a decision, oldest first.

Rows are read-only; approving and denying go through the services, one by one from the order
page or in bulk from here (`queue_bulk`).
A page of the queue costs the same few queries however long the queue is: the partial index
`order_waiting_oldest` serves the list, and the paginator counts nothing (`kit.admin_lists.LookaheadPaginator`).
"""

from django.contrib import admin
from django.contrib.admin import helpers
from django.db.models import prefetch_related_objects
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.admin_base import ReadOnlyAccountAdmin
from exports.admin import ExportableAdmin
from kit.admin_display import signed_percent
from kit.admin_lists import LookaheadPaging, perm_name

from ..explained import explanation_short
from ..models import Order, WaitingOrder
from ..selectors import order_explanations, waiting_orders
from .display import (
    NOTIFIED_KINDS,
    approval_task_of,
    approver_level_text,
    band_range,
    human_duration,
    notified_at,
    order_money,
    reservation_left,
    short_moment,
    words,
)
from .queue_bulk import BulkDecisions
from .queue_filters import (
    AgeFilter,
    ConnectorFilter,
    DivergenceRangeFilter,
    NeedsMyDecisionFilter,
    ReservationFilter,
)
from .tables import QueueTable

# The admin index counts waiting orders up to here ("10,000+"), and those for the user up to MINE_CAP:
# enough to say how much waits, never a count of the whole queue.
COUNT_CAP = 10_000
MINE_CAP = 1_000


@admin.register(WaitingOrder)
class WaitingOrderAdmin(BulkDecisions, ExportableAdmin, LookaheadPaging, ReadOnlyAccountAdmin):
    list_display = [
        "main_order_link",
        "marketplace_id",
        "connector",
        "paid_value",
        "seller_value",
        "divergence",
        "why",
        "band_column",
        "waiting",
        "reservation",
        "approver_level",
        "notified",
    ]
    list_display_links = None
    list_filter = [
        NeedsMyDecisionFilter,
        ("connector", ConnectorFilter),
        DivergenceRangeFilter,
        AgeFilter,
        ReservationFilter,
    ]
    search_fields = ["^main_order_id", "^marketplace_order_id"]
    search_help_text = _("Order number or marketplace order (beginning).")
    ordering = ["created_at", "pk"]
    sortable_by = ["waiting"]  # oldest or newest first; the pages follow the index either way
    list_per_page = 50  # a worklist: what an approver gets through before looking again
    list_max_show_all = 0  # "show all" would load the whole queue
    count_nouns = ("order waiting", "orders waiting")
    count_words = (
        _("%(count)s order waiting"),
        _("%(count)s orders waiting"),
        _("More than %(count)s orders waiting"),
    )
    show_facets = admin.ShowFacets.NEVER  # a count per filter choice is a count of the whole queue
    change_list_template = "admin/orders/waitingorder/change_list.html"
    export_table = QueueTable()

    def get_queryset(self, request):
        return waiting_orders(user=request.user)

    def get_changelist_instance(self, request):
        """The page's orders, each with its divergence explained: their items and earlier prices
        in two queries for the whole page (none for an export, which reads no page)."""
        changelist = super().get_changelist_instance(request)
        if not getattr(request, "exporting", False):
            changelist.result_list = orders = list(changelist.result_list)
            prefetch_related_objects(orders, "items")
            explanations = order_explanations(orders)
            for order in orders:
                order.explanation = explanations[order.pk]
        return changelist

    def _allowed(self, request, action, obj):
        # The queue is a view of orders: the order permissions decide who sees it.
        perm = perm_name(Order._meta, action)
        return request.user.has_perm(perm) if obj is None else request.user.has_perm(perm, obj)

    def action_checkbox(self, obj):
        # Django's checkbox, written out: rendering a form widget per row is most of a page's time.
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            gettext("Select order %(order)s") % {"order": obj.main_order_id},
        )

    # Columns

    @admin.display(description=_("Order number"))
    def main_order_link(self, order):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:orders_order_change", args=[order.pk]), order.main_order_id
        )

    @admin.display(description=_("Marketplace order"))
    def marketplace_id(self, order):
        return order.marketplace_order_id

    @admin.display(description=_("Paid"))
    def paid_value(self, order):
        return order_money(order, order.paid_value_cents)

    @admin.display(description=_("Seller value"))
    def seller_value(self, order):
        return order_money(order, order.seller_value_cents)

    @admin.display(description=_("Divergence"))
    def divergence(self, order):
        return signed_percent(order.divergence_percent)

    @admin.display(description=_("Why"))
    def why(self, order):
        explanation = getattr(order, "explanation", None)
        return explanation_short(explanation, order.account.currency) if explanation else "-"

    @admin.display(description=_("Band"))
    def band_column(self, order):
        return band_range(order.band)

    @admin.display(description=_("Waiting"), ordering="created_at")
    def waiting(self, order):
        return format_html(
            '<span title="{}">{}</span>',
            gettext("since %(time)s") % {"time": short_moment(order.created_at)},
            human_duration(timezone.now() - order.created_at),
        )

    @admin.display(description=_("Reservation"))
    def reservation(self, order):
        return reservation_left(order)

    @admin.display(description=_("Approver"))
    def approver_level(self, order):
        return approver_level_text(approval_task_of(order))

    @admin.display(description=_("Notified"))
    def notified(self, order):
        task = approval_task_of(order)
        entries = (task.notified if task else []) or []
        if not entries:
            return "-"
        return format_html_join(
            ", ",
            '<span title="{} {}">{}</span>',
            (
                (words(NOTIFIED_KINDS, entry.get("kind", "")), notified_at(entry), entry.get("email", ""))
                for entry in entries
            ),
        )

    # Pages

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """A queued order opens on its order page, where it is decided."""
        order = self.get_object(request, object_id)
        if order is None:
            raise Http404(gettext("No such order in the queue."))
        return redirect(reverse("admin:orders_order_change", args=[order.pk]))

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "title": gettext("Waiting for manual authorization")}
        return super().changelist_view(request, extra_context)
