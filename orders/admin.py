"""Orders and connection orders in the admin: read-only, in the user's accounts.

Statuses change only through services. What is done from here: reprocessing a held, rejected
or failed connection order ("Reprocess", "Ignore divergence and reprocess"), which Owner and
OMS Full may do (`orders.reprocess_intake`); approving or denying a held order, which only the
approvers of the band that held it may do (`may_decide`); and starting to handle and
invoicing an order, for Owner and OMS Full (`orders.handle_order`).
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import NoReverseMatch, path, reverse
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext

from accounts.admin_base import ReadOnlyAccountAdmin
from accounts.roles import HANDLE_ORDERS, REPROCESS_INTAKE
from authorization.approvals import DecisionForbidden, may_decide, order_approve, order_deny
from authorization.decision import Outcome
from authorization.models import DenyReason
from connectors.notification_admin import ContractCodeFilter
from exports.admin import ExportableAdmin
from exports.tables import CsvTable, percent
from kit.admin_display import (
    badge,
    decider,
    moment,
    money,
    pretty_json,
    shorten,
    signed_percent,
)
from kit.admin_lists import DateHierarchyFromRange, LookaheadPaging
from kit.errors import DomainError, admin_refusal

from .models import IntakeRecord, Order
from .queue_admin import (
    DenyForm,
    approval_task_of,
    approver_level_text,
    band_range,
    reservation_expired,
    reservation_left,
)
from .selectors import (
    intake_notifications,
    order_approval_task,
    order_events,
    order_intake_records,
    order_items_queryset,
    order_notifications,
)
from .services import (
    Actor,
    intake_reprocess,
    order_invoice,
    order_start_handling,
)
from .statuses import IntakeStatus, OrderStatus

REPROCESSABLE = frozenset({IntakeStatus.HELD, IntakeStatus.REJECTED, IntakeStatus.FAILED})


def admin_link(viewname: str, pk, text):
    return format_html('<a href="{}">{}</a>', reverse(viewname, args=[pk]), text)


def rule_editor_url(account) -> str:
    """Return the admin page where the account's price divergence rule is edited."""
    try:
        return reverse("admin:authorization_pricedivergencerule_editor", kwargs={"account_id": account.pk})
    except NoReverseMatch:
        return "/admin/authorization/pricedivergencerule/"


@admin.register(IntakeRecord)
class IntakeRecordAdmin(DateHierarchyFromRange, ReadOnlyAccountAdmin):
    list_display = [
        "received_at",
        "connector",
        "marketplace_order_id",
        "flow",
        "status_badge",
        "code",
        "summary",
        "order_link",
        "notifications_link",
    ]
    list_display_links = ["received_at", "marketplace_order_id"]
    list_filter = ["status", "flow", "connector", ContractCodeFilter]
    search_fields = ["^marketplace_order_id", "^order__main_order_id"]
    search_help_text = "Marketplace order id or mainOrderId (beginning)."
    date_hierarchy = "received_at"
    list_select_related = ["connector", "order"]
    actions = ["reprocess", "reprocess_ignoring_divergence"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("status_badge", "code", "flow"),
                    ("connector", "marketplace_order_id", "order_link"),
                    ("received_at", "processed_at", "attempts"),
                    "last_error",
                    "reprocessed",
                ]
            },
        ),
        ("Errors", {"fields": ["errors_table"]}),
        ("Notifications", {"fields": ["notifications_table"]}),
        ("Body", {"fields": ["body_pretty"]}),
    ]
    readonly_fields = flatten_fieldsets(fieldsets)

    # Columns and fields

    @admin.display(description="Status", ordering="status")
    def status_badge(self, intake):
        return badge(intake.status, intake.get_status_display())

    @admin.display(description="Errors / held reason")
    def summary(self, intake):
        if intake.status == IntakeStatus.HELD:
            text = intake.held_reason
        elif intake.errors:
            text = "; ".join(error.get("description", "") for error in intake.errors)
        else:
            text = intake.last_error
        if not text:
            return "-"
        return format_html('<span title="{}">{}</span>', text, shorten(text, 120))

    @admin.display(description="Order", ordering="order__main_order_id")
    def order_link(self, intake):
        if intake.order_id is None:
            return "-"
        return admin_link("admin:orders_order_change", intake.order_id, intake.order.main_order_id)

    @admin.display(description="Notifications")
    def notifications_link(self, intake):
        if intake.status in (IntakeStatus.RECEIVED, IntakeStatus.PROCESSING):
            return "-"
        changelist = reverse("admin:connectors_notification_changelist")
        return format_html('<a href="{}?intake__id__exact={}">Notifications</a>', changelist, intake.pk)

    @admin.display(description="Reprocessed")
    def reprocessed(self, intake):
        if intake.reprocessed_at is None:
            return "-"
        who = intake.reprocessed_by.email if intake.reprocessed_by else "the system"
        how = " ignoring the divergence" if intake.ignore_divergence else ""
        return f"{moment(intake.reprocessed_at)} by {who}{how}"

    @admin.display(description="Errors")
    def errors_table(self, intake):
        if not intake.errors:
            return "-"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (error.get("code", ""), error.get("source", ""), error.get("description", ""))
                for error in intake.errors
            ),
        )
        return format_html(
            '<table class="oa-table"><thead><tr><th>Code</th><th>Source</th><th>Description</th></tr>'
            "</thead><tbody>{}</tbody></table>",
            rows,
        )

    @admin.display(description="Notifications of this submission")
    def notifications_table(self, intake):
        notifications = list(intake_notifications(intake=intake))
        if not notifications:
            return "None."
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    admin_link("admin:connectors_notification_change", notification.pk, notification.code),
                    notification.flow,
                    badge(notification.state, notification.get_state_display()),
                    notification.attempt_count,
                    moment(notification.created_at),
                )
                for notification in notifications
            ),
        )
        return format_html(
            '<table class="oa-table"><thead><tr><th>Code</th><th>Flow</th><th>State</th><th>Attempts</th>'
            "<th>Created</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )

    @admin.display(description="Body as received")
    def body_pretty(self, intake):
        return pretty_json(intake.body)

    # Reprocessing

    def has_reprocess_permission(self, request, obj=None):
        if obj is None:
            return request.user.has_perm(REPROCESS_INTAKE)
        return request.user.has_perm(REPROCESS_INTAKE, obj)

    @admin.action(description="Reprocess", permissions=["reprocess"])
    def reprocess(self, request, queryset):
        self.reprocess_records(request, queryset.select_related("connector"), ignore_divergence=False)

    @admin.action(description="Ignore divergence and reprocess", permissions=["reprocess"])
    def reprocess_ignoring_divergence(self, request, queryset):
        self.reprocess_records(request, queryset.select_related("connector"), ignore_divergence=True)

    def reprocess_records(self, request, records, *, ignore_divergence: bool) -> None:
        """Reprocess each record the user may, and say in a message what became of each."""
        actor = Actor.of_user(request.user)
        for intake in records:
            label = f"{intake.connector.affiliate_id} {intake.marketplace_order_id}"
            if not self.has_reprocess_permission(request, intake):
                messages.error(request, f"{label}: only an Owner or OMS Full user may reprocess it.")
                continue
            if intake.status not in REPROCESSABLE:
                messages.warning(
                    request,
                    f"{label}: not reprocessed, it is {intake.get_status_display().lower()}; "
                    "only held, rejected or failed connection orders are.",
                )
                continue
            if not intake_reprocess(intake=intake, actor=actor, ignore_divergence=ignore_divergence):
                messages.warning(request, f"{label}: not reprocessed, it moved on in the meantime.")
                continue
            self.log_change(
                request,
                intake,
                "Reprocessed ignoring the divergence." if ignore_divergence else "Reprocessed.",
            )
            # Not refresh_from_db(): the record may be gone already, its connector or account deleted.
            intake = IntakeRecord.objects.select_related("order").filter(pk=intake.pk).first()
            if intake is None:
                messages.warning(
                    request,
                    gettext("%(row)s: sent for reprocessing, but it was deleted meanwhile.") % {"row": label},
                )
                continue
            level, text = self.reprocess_outcome(intake, ignore_divergence=ignore_divergence)
            messages.add_message(request, level, f"{label}: {text}")

    def reprocess_outcome(self, intake, *, ignore_divergence: bool) -> tuple[int, str]:
        """Describe where a reprocessed record stands: done already, or queued for the worker."""
        how = " ignoring the divergence" if ignore_divergence else ""
        if intake.status == IntakeStatus.INTEGRATED:
            return messages.SUCCESS, f"reprocessed{how}, integrated as order {intake.order.main_order_id}."
        if intake.status == IntakeStatus.REJECTED:
            reason = "; ".join(error.get("description", "") for error in intake.errors)
            return messages.WARNING, f"reprocessed{how}, rejected again ({intake.code}): {reason}"
        if intake.status == IntakeStatus.HELD:
            return messages.WARNING, f"reprocessed{how}, held again: {intake.held_reason}"
        if intake.status == IntakeStatus.FAILED:
            return messages.ERROR, f"reprocessing{how} failed: {intake.last_error}"
        return messages.SUCCESS, f"sent for reprocessing{how}; its status here follows once it is processed."

    def get_urls(self):
        return [
            path(
                "<path:object_id>/reprocess/",
                self.admin_site.admin_view(self.reprocess_view),
                name="orders_intakerecord_reprocess",
            ),
            *super().get_urls(),
        ]

    def reprocess_view(self, request, object_id):
        """The detail page's buttons: reprocess one record, ignoring the divergence or not."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        intake = self.get_object(request, unquote(object_id))
        if intake is None:
            raise Http404("No such connection order.")
        if not self.has_reprocess_permission(request, intake):
            raise PermissionDenied
        self.reprocess_records(
            request, [intake], ignore_divergence=request.POST.get("ignore_divergence") == "1"
        )
        return redirect(reverse("admin:orders_intakerecord_change", args=[intake.pk]))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        intake = self.get_object(request, unquote(object_id))
        if intake is not None:
            extra_context = {
                **(extra_context or {}),
                "may_reprocess": intake.status in REPROCESSABLE
                and self.has_reprocess_permission(request, intake),
                "reprocess_url": reverse("admin:orders_intakerecord_reprocess", args=[intake.pk]),
                "rule_editor_url": rule_editor_url(intake.account) if intake.held_until_rule else None,
            }
        return super().change_view(request, object_id, form_url, extra_context)


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


class OrderTable(CsvTable):
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
        "outcome",
        "decision_reason",
        "band",
        "approvers",
        "manual_decision",
        "decided_by",
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
        "outcome",
        "decision_route",
        "decision_reason",
        "band",
        "approval_task__decision",
        "approval_task__decided_by__email",
        "approval_task__decided_by__username",
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
            order.outcome,
            order.route_and_reason,
            band_range(order.band) if order.band else "",
            " ".join((order.band or {}).get("approvers") or []),
            task.decision if decided else "",
            decider(task) if decided else "",
            clock.stamp(task.decided_at, order.account) if decided else "",
            task.reason_code if decided else "",
            task.note if decided else "",
        ]


@admin.register(Order)
class OrderAdmin(ExportableAdmin, DateHierarchyFromRange, LookaheadPaging, ReadOnlyAccountAdmin):
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

    # Approve, deny, handle, invoice

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/approve/", view(self.approve_view), name="orders_order_approve"),
            path("<path:object_id>/deny/", view(self.deny_view), name="orders_order_deny"),
            path(
                "<path:object_id>/start-handling/",
                view(self.start_handling_view),
                name="orders_order_start_handling",
            ),
            path("<path:object_id>/invoice/", view(self.invoice_view), name="orders_order_invoice"),
            *super().get_urls(),
        ]

    def posted_order(self, request, object_id):
        if request.method != "POST":
            return None, HttpResponseNotAllowed(["POST"])
        order = self.get_object(request, unquote(object_id))
        if order is None:
            raise Http404("No such order.")
        return order, redirect(reverse("admin:orders_order_change", args=[order.pk]))

    def say_forbidden(self, request, refused: DecisionForbidden) -> None:
        """The service's refusal, naming whom to ask."""
        messages.error(
            request,
            gettext("Only the approvers of the band that held order %(order)s may decide it (%(approvers)s).")
            % {"order": refused.order.main_order_id, "approvers": refused.approvers},
        )

    def approve_view(self, request, object_id):
        order, response = self.posted_order(request, object_id)
        if order is None:
            return response
        try:
            order_approve(order=order, approver=request.user, note=request.POST.get("note", "").strip())
        except DecisionForbidden as refused:
            self.say_forbidden(request, refused)
            return response
        except DomainError as refused:
            admin_refusal(request, refused)
            return response
        self.log_change(request, order, "Approved.")
        messages.success(
            request, f"Order {order.main_order_id} approved: it is now {order.get_status_display().lower()}."
        )
        return response

    def deny_view(self, request, object_id):
        order, response = self.posted_order(request, object_id)
        if order is None:
            return response
        if not may_decide(user=request.user, order=order):
            # Before the form: whoever may not decide is told so, not what the form lacks.
            self.say_forbidden(request, DecisionForbidden(order))
            return response
        form = DenyForm(request.POST)
        if not form.is_valid():
            problems = "; ".join(
                f"{form.fields[field].label}: {' '.join(errors)}" for field, errors in form.errors.items()
            )
            messages.error(request, f"Order {order.main_order_id} was not denied. {problems}")
            return response
        reason_code = form.cleaned_data["reason_code"]
        try:
            order_deny(
                order=order, approver=request.user, reason_code=reason_code, note=form.cleaned_data["note"]
            )
        except DecisionForbidden as refused:
            self.say_forbidden(request, refused)
            return response
        except DomainError as refused:
            admin_refusal(request, refused)
            return response
        self.log_change(request, order, "Denied.")
        messages.success(
            request,
            f"Order {order.main_order_id} denied ({DenyReason(reason_code).label}): it is canceled and its "
            "stock released.",
        )
        return response

    def refuse_handling(self, request, order) -> bool:
        if request.user.has_perm(HANDLE_ORDERS, order):
            return False
        messages.error(
            request, f"Only an Owner or OMS Full user may handle or invoice order {order.main_order_id}."
        )
        return True

    def start_handling_view(self, request, object_id):
        order, response = self.posted_order(request, object_id)
        if order is None or self.refuse_handling(request, order):
            return response
        try:
            order_start_handling(order=order, actor=Actor.of_user(request.user))
        except DomainError as refused:
            admin_refusal(request, refused)
            return response
        self.log_change(request, order, "Handling started.")
        messages.success(request, f"Order {order.main_order_id} is now being handled.")
        return response

    def invoice_view(self, request, object_id):
        order, response = self.posted_order(request, object_id)
        if order is None or self.refuse_handling(request, order):
            return response
        invoice_number = request.POST.get("invoice_number", "")
        try:
            order_invoice(order=order, actor=Actor.of_user(request.user), invoice_number=invoice_number)
        except DomainError as refused:
            admin_refusal(request, refused)
            return response
        self.log_change(request, order, f"Invoiced ({invoice_number.strip()}).")
        messages.success(request, f"Order {order.main_order_id} invoiced: invoice {invoice_number.strip()}.")
        return response


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
