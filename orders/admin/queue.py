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
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.admin_base import ReadOnlyAccountAdmin
from exports.admin import ExportableAdmin
from kit.admin_lists import LookaheadPaging, perm_name

from ..absences import on_behalf_of
from ..approvals import may_decide
from ..models import Order, WaitingOrder
from ..selectors import order_explanations, waiting_orders
from .display import approval_task_of
from .queue_bulk import BulkDecisions
from .queue_columns import QueueColumns
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
class WaitingOrderAdmin(QueueColumns, BulkDecisions, ExportableAdmin, LookaheadPaging, ReadOnlyAccountAdmin):
    list_display = ["main_order_link", "values", "divergence", "why", "waiting", "approver_level"]
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
                # The band's approvers are on the order and the user's roles read once a request.
                order.may_decide = may_decide(user=request.user, order=order)
                # A substitute's rows say whose turn they take.
                order.covering_for = order.may_decide and on_behalf_of(
                    user=request.user, order=order, task=approval_task_of(order)
                )
            # An empty page says whether the filters hide orders: one query, only when it is empty.
            changelist.filters_hide_orders = (
                not orders
                and bool(changelist.has_active_filters or changelist.query or changelist.page_num > 1)
                and self.get_queryset(request).exists()
            )
        return changelist

    def get_list_display(self, request):
        # Whoever may decide no order has no column of buttons.
        columns = super().get_list_display(request)
        return [*columns, "decide"] if self.has_decide_permission(request) else columns

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
