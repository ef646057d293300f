"""The notification log in the admin: every message owed to a connector, every attempt, and resend.

Read-only for every member of the account. A failed notification may be sent again, from its
first try, by a user who manages the account's connectors (Owner, OMS Full).
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html

from authorization.roles import MANAGE_CONNECTORS
from orders.admin_display import ReadOnlyAccountAdmin, badge, moment, pretty_json

from .models import Notification, NotificationAttempt
from .notifications import notification_resend


class NotificationAttemptInline(admin.TabularInline):
    model = NotificationAttempt
    fields = readonly_fields = ["attempted", "status", "duration", "error"]
    extra = 0
    can_delete = False
    verbose_name_plural = "Attempts"

    @admin.display(description="Time")
    def attempted(self, attempt):
        return moment(attempt.attempted_at)

    @admin.display(description="HTTP status")
    def status(self, attempt):
        return attempt.http_status or "-"

    @admin.display(description="Duration (ms)")
    def duration(self, attempt):
        return attempt.duration_ms

    def has_view_permission(self, request, obj=None):
        # Attempts are part of the notification: whoever sees it sees them.
        if obj is None:
            return request.user.has_perm("connectors.view_notification")
        return request.user.has_perm("connectors.view_notification", obj)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAccountAdmin):
    list_display = [
        "created_at",
        "connector",
        "order_link",
        "code",
        "flow",
        "state_badge",
        "attempt_count",
        "last_status",
        "next_attempt",
    ]
    list_filter = ["state", "code", "connector"]
    search_fields = ["^marketplace_order_id", "^order__main_order_id"]
    search_help_text = "Marketplace order id or mainOrderId (beginning)."
    date_hierarchy = "created_at"
    list_select_related = ["connector", "order"]
    actions = ["resend"]
    inlines = [NotificationAttemptInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("state_badge", "code", "flow"),
                    ("connector", "order_link", "intake_link", "marketplace_order_id"),
                    ("created_at", "delivered_at", "next_attempt"),
                    ("attempt_count", "last_status"),
                    "last_error",
                ]
            },
        ),
        ("Request", {"fields": ["target_url", "idempotency_key", "body_pretty"]}),
    ]
    readonly_fields = flatten_fieldsets(fieldsets)

    @admin.display(description="State", ordering="state")
    def state_badge(self, notification):
        return badge(notification.state, notification.get_state_display())

    @admin.display(description="Order", ordering="order__main_order_id")
    def order_link(self, notification):
        if notification.order_id is None:
            return notification.marketplace_order_id or "-"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:orders_order_change", args=[notification.order_id]),
            notification.order.main_order_id,
        )

    @admin.display(description="Connection order")
    def intake_link(self, notification):
        if notification.intake_id is None:
            return "-"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:orders_intakerecord_change", args=[notification.intake_id]),
            "The submission it answers",
        )

    @admin.display(description="Next attempt", ordering="next_attempt_at")
    def next_attempt(self, notification):
        if notification.state != Notification.State.PENDING:
            return "-"
        return moment(notification.next_attempt_at)

    @admin.display(description="URL")
    def target_url(self, notification):
        return notification.url

    @admin.display(description="Body")
    def body_pretty(self, notification):
        return pretty_json(notification.body)

    # Resending

    def has_resend_permission(self, request, obj=None):
        if obj is None:
            return request.user.has_perm(MANAGE_CONNECTORS)
        return request.user.has_perm(MANAGE_CONNECTORS, obj)

    @admin.action(description="Resend", permissions=["resend"])
    def resend(self, request, queryset):
        self.resend_notifications(request, queryset.select_related("connector"))

    def resend_notifications(self, request, notifications) -> None:
        """Resend each failed notification the user may, and say in a message what became of each."""
        for notification in notifications:
            label = f"{notification.code} for {notification.marketplace_order_id or notification.pk}"
            if not self.has_resend_permission(request, notification):
                messages.error(request, f"{label}: only an Owner or OMS Full user may resend it.")
                continue
            if not notification_resend(notification=notification):
                messages.warning(
                    request,
                    f"{label}: not resent, it is {notification.get_state_display().lower()}; "
                    "only failed notifications are.",
                )
                continue
            self.log_change(request, notification, "Resent.")
            notification.refresh_from_db()
            if notification.state == Notification.State.DELIVERED:
                messages.success(request, f"{label}: resent, delivered to {notification.connector}.")
            elif notification.state == Notification.State.FAILED:
                messages.error(request, f"{label}: resent, failed again: {notification.last_error}")
            else:
                messages.success(request, f"{label}: queued to be sent again to {notification.connector}.")

    def get_urls(self):
        return [
            path(
                "<path:object_id>/resend/",
                self.admin_site.admin_view(self.resend_view),
                name="connectors_notification_resend",
            ),
            *super().get_urls(),
        ]

    def resend_view(self, request, object_id):
        """The detail page's button: resend one failed notification."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        notification = self.get_object(request, unquote(object_id))
        if notification is None:
            raise Http404("No such notification.")
        if not self.has_resend_permission(request, notification):
            raise PermissionDenied
        self.resend_notifications(request, [notification])
        return redirect(reverse("admin:connectors_notification_change", args=[notification.pk]))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        notification = self.get_object(request, unquote(object_id))
        if notification is not None:
            extra_context = {
                **(extra_context or {}),
                "may_resend": notification.state == Notification.State.FAILED
                and self.has_resend_permission(request, notification),
                "resend_url": reverse("admin:connectors_notification_resend", args=[notification.pk]),
            }
        return super().change_view(request, object_id, form_url, extra_context)
