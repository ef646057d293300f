"""The manual-authorization queue in the admin: the orders waiting for a decision, oldest first.

Rows are read-only; approving and denying go through the services, one by one from the order
page or in bulk from here (a large selection as a background job with a progress page).
A page of the queue costs the same few queries however long the queue is: the partial index
`order_waiting_oldest` serves the list, and the paginator counts nothing (`kit.admin_lists.LookaheadPaginator`).
"""

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html, format_html_join

from accounts.admin_base import ReadOnlyAccountAdmin
from accounts.roles import DECIDE_ORDER
from authorization.models import DenyReason
from exports.admin import ExportableAdmin
from exports.tables import CsvTable, percent
from kit.admin_display import badge, money, signed_percent
from kit.admin_lists import LookaheadPaging, perm_name

from . import bulk
from .models import BulkDecision, Order, WaitingOrder
from .selectors import awaiting_decision_by, bulk_decision_of, waiting_orders

# The admin index counts waiting orders up to here ("10,000+"), and those for the user up to MINE_CAP:
# enough to say how much waits, never a count of the whole queue.
COUNT_CAP = 10_000
MINE_CAP = 1_000


# Shared with the order page ---------------------------------------------------------------------


def human_duration(delta: timedelta) -> str:
    """Say how long in the largest two units: "2 d 4 h", "3 h 12 min", "45 min"."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return "less than a minute"
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def reservation_expired(order: Order, now=None) -> bool:
    """The stock reservation ran out: released by the sweep, or past its lockTTL and about to be."""
    if order.reservation_expired:
        return True
    now = now or timezone.now()
    return (
        order.reservation_released_at is None
        and order.reservation_expires_at is not None
        and order.reservation_expires_at <= now
    )


def reservation_left(order: Order, now=None):
    """Show the time left on the stock reservation, or a flag once it ran out."""
    now = now or timezone.now()
    if reservation_expired(order, now):
        return badge("canceled", "expired")
    if order.reservation_released_at is not None or order.reservation_expires_at is None:
        return "-"
    return f"{human_duration(order.reservation_expires_at - now)} left"


def approval_task_of(order: Order):
    try:
        return order.approval_task
    except ObjectDoesNotExist:
        return None


def approver_level_text(task) -> str:
    """Say who the order waits for: "2 of 2: bo@acme.example", or that nobody was asked yet."""
    if task is None:
        return "-"
    if task.level < 0 or not task.approvers:
        return "nobody notified yet"
    return f"{task.level + 1} of {len(task.approvers)}: {task.current_approver}"


def notified_emails(task) -> list[str]:
    """Return everyone notified about the order, first notified first."""
    emails = []
    for entry in (task.notified if task else []) or []:
        if entry.get("email") and entry["email"] not in emails:
            emails.append(entry["email"])
    return emails


def notified_at(entry: dict) -> str:
    """Show when a notification entry was sent, in the admin's time zone."""
    sent = parse_datetime(entry.get("at") or "")
    return f"{timezone.localtime(sent):%Y-%m-%d %H:%M}" if sent else ""


def band_range(band: dict | None) -> str:
    if not band:
        return "-"
    return f"{band['from']}–{band['to']} %"


class DenyForm(forms.Form):
    """A denial's reason, from a fixed list, and a note; both go to the connector."""

    reason_code = forms.ChoiceField(label="Reason", choices=[("", "---------"), *DenyReason.choices])
    note = forms.CharField(
        label="Note",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Why the order is denied; the connector is told.",
    )


# Filters ----------------------------------------------------------------------------------------


class NeedsMyDecisionFilter(admin.SimpleListFilter):
    title = "needs my decision"
    parameter_name = "mine"

    def lookups(self, request, model_admin):
        return [("yes", "Needs my decision")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return awaiting_decision_by(queryset, user=request.user)
        return queryset


class AgeFilter(admin.SimpleListFilter):
    title = "time waiting"
    parameter_name = "age"
    BOUNDS = {
        "lt1h": (None, timedelta(hours=1)),
        "1h-4h": (timedelta(hours=1), timedelta(hours=4)),
        "4h-1d": (timedelta(hours=4), timedelta(days=1)),
        "gt1d": (timedelta(days=1), None),
        "gt3d": (timedelta(days=3), None),
    }

    def lookups(self, request, model_admin):
        return [
            ("lt1h", "Less than 1 hour"),
            ("1h-4h", "1 to 4 hours"),
            ("4h-1d", "4 hours to 1 day"),
            ("gt1d", "More than 1 day"),
            ("gt3d", "More than 3 days"),
        ]

    def queryset(self, request, queryset):
        if self.value() not in self.BOUNDS:
            return queryset
        least, most = self.BOUNDS[self.value()]
        now = timezone.now()
        if least is not None:
            queryset = queryset.filter(created_at__lte=now - least)
        if most is not None:
            queryset = queryset.filter(created_at__gt=now - most)
        return queryset


class ReservationFilter(admin.SimpleListFilter):
    title = "stock reservation"
    parameter_name = "reservation"

    def lookups(self, request, model_admin):
        return [("expired", "Expired"), ("held", "Held")]

    def queryset(self, request, queryset):
        expired = Q(reservation_expired=True) | Q(
            reservation_released_at__isnull=True, reservation_expires_at__lte=timezone.now()
        )
        if self.value() == "expired":
            return queryset.filter(expired)
        if self.value() == "held":
            return queryset.exclude(expired)
        return queryset


class DivergenceRangeFilter(admin.ListFilter):
    """Orders whose divergence, either sign, lies between two percentages (both ends included)."""

    title = "divergence (%, either sign)"
    template = "admin/orders/waitingorder/range_filter.html"
    parameters = ("divergence_from", "divergence_to")

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.raw, self.bounds = {}, {}
        for name in self.parameters:
            if name in params:
                value = params.pop(name)
                value = value[-1] if isinstance(value, list) else value
                self.raw[name] = value
                self.used_parameters[name] = value
                try:
                    number = Decimal(str(value).replace(",", ".").strip().rstrip("%"))
                except InvalidOperation:
                    raise IncorrectLookupParameters(f"{name} is not a number") from None
                if number.is_finite():
                    self.bounds[name] = abs(number)

    def has_output(self):
        return True

    def expected_parameters(self):
        return list(self.parameters)

    def queryset(self, request, queryset):
        least, most = self.bounds.get("divergence_from"), self.bounds.get("divergence_to")
        if least is not None:
            queryset = queryset.filter(Q(divergence_percent__gte=least) | Q(divergence_percent__lte=-least))
        if most is not None:
            queryset = queryset.filter(divergence_percent__lte=most, divergence_percent__gte=-most)
        return queryset

    def choices(self, changelist):
        kept = [
            (name, value)
            for name, value in changelist.params.items()
            if name not in self.parameters and name != "p"
        ]
        yield {
            "kept": kept,
            "from": self.raw.get("divergence_from", ""),
            "to": self.raw.get("divergence_to", ""),
            "clear": changelist.get_query_string(remove=[*self.parameters, "p"]),
            "active": bool(self.raw),
        }


# The queue's CSV --------------------------------------------------------------------------------


class QueueTable(CsvTable):
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
            band_range(order.band),
            " ".join((order.band or {}).get("approvers") or []),
            approver_level_text(task),
            " ".join(notified_emails(task)),
            clock.stamp(order.reservation_expires_at, order.account),
            reservation,
        ]


# The queue --------------------------------------------------------------------------------------


@admin.register(WaitingOrder)
class WaitingOrderAdmin(ExportableAdmin, LookaheadPaging, ReadOnlyAccountAdmin):
    list_display = [
        "main_order_link",
        "marketplace_id",
        "connector",
        "paid_value",
        "seller_value",
        "divergence",
        "band_column",
        "waiting",
        "reservation",
        "approver_level",
        "notified",
    ]
    list_display_links = None
    list_filter = [NeedsMyDecisionFilter, "connector", DivergenceRangeFilter, AgeFilter, ReservationFilter]
    search_fields = ["^main_order_id", "^marketplace_order_id"]
    search_help_text = "mainOrderId or marketplace order id (beginning)."
    ordering = ["created_at", "pk"]
    sortable_by = ["waiting"]  # oldest or newest first; the pages follow the index either way
    list_per_page = 50  # a worklist: what an approver gets through before looking again
    list_max_show_all = 0  # "show all" would load the whole queue
    count_nouns = ("order waiting", "orders waiting")
    show_facets = admin.ShowFacets.NEVER  # a count per filter choice is a count of the whole queue
    actions = ["approve_selected", "deny_selected"]
    change_list_template = "admin/orders/waitingorder/change_list.html"
    export_table = QueueTable()

    def get_queryset(self, request):
        return waiting_orders(user=request.user)

    def _allowed(self, request, action, obj):
        # The queue is a view of orders: the order permissions decide who sees it.
        perm = perm_name(Order._meta, action)
        return request.user.has_perm(perm) if obj is None else request.user.has_perm(perm, obj)

    def has_decide_permission(self, request):
        return request.user.has_perm(DECIDE_ORDER)

    def action_checkbox(self, obj):
        # Django's checkbox, written out: rendering a form widget per row is most of a page's time.
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="Select order {}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            obj.main_order_id,
        )

    # Columns

    @admin.display(description="mainOrderId")
    def main_order_link(self, order):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:orders_order_change", args=[order.pk]), order.main_order_id
        )

    @admin.display(description="Marketplace id")
    def marketplace_id(self, order):
        return order.marketplace_order_id

    @admin.display(description="Paid")
    def paid_value(self, order):
        return money(order.paid_value_cents)

    @admin.display(description="Seller")
    def seller_value(self, order):
        return money(order.seller_value_cents)

    @admin.display(description="Divergence")
    def divergence(self, order):
        return signed_percent(order.divergence_percent)

    @admin.display(description="Band")
    def band_column(self, order):
        return band_range(order.band)

    @admin.display(description="Waiting", ordering="created_at")
    def waiting(self, order):
        return format_html(
            '<span title="since {}">{}</span>',
            f"{timezone.localtime(order.created_at):%Y-%m-%d %H:%M}",
            human_duration(timezone.now() - order.created_at),
        )

    @admin.display(description="Reservation")
    def reservation(self, order):
        return reservation_left(order)

    @admin.display(description="Approver")
    def approver_level(self, order):
        return approver_level_text(approval_task_of(order))

    @admin.display(description="Notified")
    def notified(self, order):
        task = approval_task_of(order)
        entries = (task.notified if task else []) or []
        if not entries:
            return "-"
        return format_html_join(
            ", ",
            '<span title="{} {}">{}</span>',
            ((entry.get("kind", ""), notified_at(entry), entry.get("email", "")) for entry in entries),
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
            raise Http404("No such order in the queue.")
        return redirect(reverse("admin:orders_order_change", args=[order.pk]))

    def changelist_view(self, request, extra_context=None):
        if (
            request.method == "POST"
            and request.POST.get("action") in ("approve_selected", "deny_selected")
            and not self.has_decide_permission(request)
        ):
            messages.error(
                request, "You may read the queue but not decide orders: your role does not approve."
            )
            return redirect(request.get_full_path())
        extra_context = {**(extra_context or {}), "title": "Waiting for manual authorization"}
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

    @admin.action(description="Approve the selected orders", permissions=["decide"])
    def approve_selected(self, request, queryset):
        return self.decide_selection(
            request, self.selected_ids(request, queryset), BulkDecision.Action.APPROVE
        )

    @admin.action(description="Deny the selected orders…", permissions=["decide"])
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
                "title": "Deny the selected orders",
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
            messages.error(request, f"Select at most {bulk.SELECTION_MAX:,} orders at once.")
            return None
        if len(ids) > bulk.inline_max():
            job = bulk.bulk_decision_start(
                user=request.user, order_ids=ids, action=action, reason_code=reason_code, note=note
            )
            verb = "approved" if action == BulkDecision.Action.APPROVE else "denied"
            messages.info(
                request,
                format_html(
                    '{} orders are being {} in the background: <a href="{}">follow the progress</a>.',
                    len(ids),
                    verb,
                    reverse("admin:orders_waitingorder_bulk", args=[job.pk]),
                ),
            )
            return None
        results = bulk.orders_approve_or_deny(
            user=request.user, order_ids=ids, action=action, reason_code=reason_code, note=note
        )
        for result in results:
            messages.add_message(request, messages.SUCCESS if result.ok else messages.ERROR, result.message)
        decided = sum(result.ok for result in results)
        verb = "approved" if action == BulkDecision.Action.APPROVE else "denied"
        messages.info(request, f"{decided} of {len(results)} selected orders {verb}.")
        return None

    def bulk_progress_view(self, request, job_id):
        job = bulk_decision_of(user=request.user, job_id=job_id)
        if job is None:
            raise Http404("No such bulk decision of yours.")
        return TemplateResponse(
            request,
            "admin/orders/waitingorder/bulk_progress.html",
            {
                **self.admin_site.each_context(request),
                "title": f"{job.get_action_display()} {job.total} orders",
                "opts": self.opts,
                "job": job,
                "progress": bulk_progress(job),
            },
        )

    def bulk_progress_json(self, request, job_id):
        job = bulk_decision_of(user=request.user, job_id=job_id)
        if job is None:
            raise Http404("No such bulk decision of yours.")
        try:
            since = max(int(request.GET.get("since", 0)), 0)
        except ValueError:
            since = 0
        return JsonResponse(bulk_progress(job, since=since))


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
