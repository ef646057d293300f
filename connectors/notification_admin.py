"""The notification log in the admin: every message owed to a connector, every attempt, and resend.

Read-only for every member of the account. A failed notification may be sent again, from its
first try, by a user who manages the account's connectors (Owner, OMS Full): see
`connectors/outbound_admin.py`, shared with hook deliveries.
"""

from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kit.admin_dates import DateHierarchyFromRange

from .codes import MEANINGS, code_text, flow_name
from .models import Notification, NotificationAttempt
from .notifications import notification_resend
from .outbound_admin import NO_LONGER_FAILED, AttemptInline, OutboxAdmin


class ContractCodeFilter(admin.SimpleListFilter):
    """Filter a list by the contract's code of its rows (intake records, notifications).

    Django's filter of a field's values (`list_filter = ["code"]`) reads them with a DISTINCT over
    the whole table on every view of the list; this offers the contract's codes instead.
    """

    title = _("code")
    parameter_name = "code"

    def lookups(self, request, model_admin):
        return [(code, f"{code} · {meaning}") for code, meaning in MEANINGS.items()]

    def queryset(self, request, queryset):
        return queryset.filter(code=self.value()) if self.value() else queryset


class NotificationAttemptInline(AttemptInline):
    model = NotificationAttempt
    parent_view_perm = "connectors.view_notification"


@admin.register(Notification)
class NotificationAdmin(DateHierarchyFromRange, OutboxAdmin):
    list_display = [
        "created_at",
        "connector",
        "order_link",
        "code_shown",
        "flow_shown",
        "state_badge",
        "attempt_count",
        "last_status",
        "next_attempt",
    ]
    list_filter = ["state", ContractCodeFilter, "connector"]
    search_fields = ["^marketplace_order_id", "^order__main_order_id"]
    search_help_text = _("The beginning of the marketplace's order id or of the order's id.")
    date_hierarchy = "created_at"
    list_select_related = ["connector", "order"]
    inlines = [NotificationAttemptInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("state_badge", "code_shown", "flow_shown"),
                    ("connector", "order_link", "intake_link", "marketplace_order_id"),
                    ("created_at", "delivered_at", "next_attempt"),
                    ("attempt_count", "last_status"),
                    "last_error",
                ]
            },
        ),
        (_("Request"), {"fields": ["target_url", "idempotency_key", "body_pretty"]}),
    ]
    readonly_fields = flatten_fieldsets(fieldsets)

    @admin.display(description=_("Code"), ordering="code")
    def code_shown(self, notification):
        return code_text(notification.code)

    @admin.display(description=_("Flow"), ordering="flow")
    def flow_shown(self, notification):
        return flow_name(notification.flow)

    @admin.display(description=_("Order"), ordering="order__main_order_id")
    def order_link(self, notification):
        if notification.order_id is None:
            return notification.marketplace_order_id or "-"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:orders_order_change", args=[notification.order_id]),
            notification.order.main_order_id,
        )

    @admin.display(description=_("Connection order"))
    def intake_link(self, notification):
        if notification.intake_id is None:
            return "-"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:orders_intakerecord_change", args=[notification.intake_id]),
            gettext("The submission it answers"),
        )

    @admin.display(description=_("URL"))
    def target_url(self, notification):
        return notification.url

    # Resending

    def label(self, notification) -> str:
        return gettext("%(code)s for %(order)s") % {
            "code": notification.code,
            "order": notification.marketplace_order_id or notification.pk,
        }

    def target(self, notification) -> str:
        return str(notification.connector)

    def resend_row(self, notification) -> str | None:
        return None if notification_resend(notification=notification) else NO_LONGER_FAILED
