"""The manual-authorization queue in the admin: the orders waiting for a decision, oldest first.

Rows are read-only; approving and denying go through the services, one by one from the order
page or in bulk from here (a large selection as a background job with a progress page).
A page of the queue costs the same few queries however long the queue is: the partial index
`order_waiting_oldest` serves the list, and the paginator counts nothing (`kit.admin_lists.LookaheadPaginator`).
"""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import prefetch_related_objects
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.admin_base import ReadOnlyAccountAdmin
from accounts.roles import DECIDE_ORDER
from exports.admin import ExportableAdmin
from kit.admin_lists import LookaheadPaging, perm_name

from .. import bulk
from ..explained import explanation_short
from ..models import BulkDecision, Order, WaitingOrder
from ..selectors import bulk_decision_of, order_explanations, waiting_orders
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
    signed_percent,
    words,
)
from .forms import DenyForm
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
class WaitingOrderAdmin(ExportableAdmin, LookaheadPaging, ReadOnlyAccountAdmin):
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
    actions = ["approve_selected", "deny_selected"]
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

    def has_decide_permission(self, request):
        return request.user.has_perm(DECIDE_ORDER)

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

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("bulk/<int:job_id>/", view(self.bulk_progress_view), name="orders_waitingorder_bulk"),
            path(
                "bulk/<int:job_id>/progress.json",
                view(self.bulk_progress_json),
                name="orders_waitingorder_bulk_json",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """A queued order opens on its order page, where it is decided."""
        order = self.get_object(request, object_id)
        if order is None:
            raise Http404(gettext("No such order in the queue."))
        return redirect(reverse("admin:orders_order_change", args=[order.pk]))

    def changelist_view(self, request, extra_context=None):
        if (
            request.method == "POST"
            and request.POST.get("action") in ("approve_selected", "deny_selected")
            and not self.has_decide_permission(request)
        ):
            messages.error(
                request, gettext("You may read the queue but not decide orders: your role does not approve.")
            )
            return redirect(request.get_full_path())
        extra_context = {**(extra_context or {}), "title": gettext("Waiting for manual authorization")}
        return super().changelist_view(request, extra_context)

    # Bulk decisions

    def selected_ids(self, request, queryset) -> list[int]:
        """Return the ids the user ticked, including orders decided meanwhile: those are reported too."""
        if request.POST.get("select_across") == "1":
            return list(queryset.values_list("pk", flat=True)[: bulk.SELECTION_MAX + 1])
        ids = []
        for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
            if value.isdigit() and int(value) not in ids:
                ids.append(int(value))
        return ids

    @admin.action(description=_("Approve the selected orders"), permissions=["decide"])
    def approve_selected(self, request, queryset):
        return self.decide_selection(
            request, self.selected_ids(request, queryset), BulkDecision.Action.APPROVE
        )

    @admin.action(description=_("Deny the selected orders…"), permissions=["decide"])
    def deny_selected(self, request, queryset):
        ids = self.selected_ids(request, queryset)
        form = DenyForm(request.POST if "confirm" in request.POST else None)
        if form.is_bound and form.is_valid():
            return self.decide_selection(
                request,
                ids,
                BulkDecision.Action.DENY,
                reason_code=form.cleaned_data["reason_code"],
                note=form.cleaned_data["note"],
            )
        orders = list(waiting_orders(user=request.user).filter(pk__in=ids[:200]))
        return TemplateResponse(
            request,
            "admin/orders/waitingorder/deny_selected.html",
            {
                **self.admin_site.each_context(request),
                "title": gettext("Deny the selected orders"),
                "opts": self.opts,
                "form": form,
                "orders": orders,
                "selected_ids": ids,
                "select_across": request.POST.get("select_across") == "1",
                "total": len(ids),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )

    def decide_selection(self, request, ids, action, *, reason_code="", note=""):
        if len(ids) > bulk.SELECTION_MAX:
            messages.error(
                request,
                gettext("Select at most %(most)s orders at once.")
                % {"most": formats.number_format(bulk.SELECTION_MAX, force_grouping=True)},
            )
            return None
        if len(ids) > bulk.inline_max():
            job = bulk.bulk_decision_start(
                user=request.user, order_ids=ids, action=action, reason_code=reason_code, note=note
            )
            if action == BulkDecision.Action.APPROVE:
                started = gettext("%(count)s orders are being approved in the background:")
            else:
                started = gettext("%(count)s orders are being denied in the background:")
            messages.info(
                request,
                format_html(
                    '{} <a href="{}">{}</a>.',
                    started % {"count": len(ids)},
                    reverse("admin:orders_waitingorder_bulk", args=[job.pk]),
                    gettext("follow the progress"),
                ),
            )
            return None
        results = bulk.orders_approve_or_deny(
            user=request.user, order_ids=ids, action=action, reason_code=reason_code, note=note
        )
        for result in results:
            messages.add_message(request, messages.SUCCESS if result.ok else messages.ERROR, result.message)
        decided = sum(result.ok for result in results)
        if action == BulkDecision.Action.APPROVE:
            summary = gettext("%(decided)s of %(count)s selected orders approved.")
        else:
            summary = gettext("%(decided)s of %(count)s selected orders denied.")
        messages.info(request, summary % {"decided": decided, "count": len(results)})
        return None

    def bulk_progress_view(self, request, job_id):
        job = bulk_decision_of(user=request.user, job_id=job_id)
        if job is None:
            raise Http404(gettext("No such bulk decision of yours."))
        return TemplateResponse(
            request,
            "admin/orders/waitingorder/bulk_progress.html",
            {
                **self.admin_site.each_context(request),
                "title": bulk_title(job),
                "opts": self.opts,
                "job": job,
                "progress": bulk_progress(job),
            },
        )

    def bulk_progress_json(self, request, job_id):
        job = bulk_decision_of(user=request.user, job_id=job_id)
        if job is None:
            raise Http404(gettext("No such bulk decision of yours."))
        try:
            since = max(int(request.GET.get("since", 0)), 0)
        except ValueError:
            since = 0
        return JsonResponse(bulk_progress(job, since=since))


def bulk_title(job: BulkDecision) -> str:
    if job.action == BulkDecision.Action.APPROVE:
        return ngettext("Approve %(count)s order", "Approve %(count)s orders", job.total) % {
            "count": job.total
        }
    return ngettext("Deny %(count)s order", "Deny %(count)s orders", job.total) % {"count": job.total}


def bulk_progress(job: BulkDecision, since: int = 0) -> dict:
    results = job.results or []
    return {
        "state": job.state,
        "stateLabel": job.get_state_display(),
        "total": job.total,
        "done": job.done,
        "decided": sum(1 for result in results if result.get("ok")),
        "refused": sum(1 for result in results if not result.get("ok")),
        "results": [
            {
                **result,
                "url": reverse("admin:orders_order_change", args=[result["order"]])
                if result.get("main_order_id")
                else "",
            }
            for result in results[since:]
        ],
    }
