"""Connectors' order feeds and hooks in the admin: their settings, and the hook's deliveries with resend.

Connectors configure feeds and hooks through the API; here every member of the account reads
them. A failed hook delivery may be sent again, from its first try and to the hook as it is
configured now, by a user who manages the account's connectors (Owner, OMS Full).
"""

from datetime import timedelta

from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from authorization.roles import MANAGE_CONNECTORS
from orders.admin_display import ReadOnlyAccountAdmin, badge, moment, pretty_json, shorten

from .feed import FILTER_STATUSES, feed_stats, hook_delivery_resend
from .models import FeedConfig, HookAttempt, HookConfig, HookDelivery


def statuses_text(statuses: list[str]) -> str:
    if set(FILTER_STATUSES) <= set(statuses):
        return "every status"
    return ", ".join(statuses)


@admin.register(FeedConfig)
class FeedConfigAdmin(ReadOnlyAccountAdmin):
    list_display = ["connector", "statuses_short", "visibility", "retention", "waiting", "updated_at"]
    list_select_related = ["connector", "account"]
    search_fields = ["connector__name", "connector__affiliate_id"]
    fieldsets = [
        (None, {"fields": ["connector", "statuses_long", ("visibility", "retention")]}),
        ("Queue", {"fields": [("waiting", "oldest"), ("created_at", "updated_at")]}),
    ]
    readonly_fields = flatten_fieldsets(fieldsets)

    @admin.display(description="Statuses")
    def statuses_short(self, feed):
        return shorten(statuses_text(feed.statuses), 60)

    @admin.display(description="Statuses")
    def statuses_long(self, feed):
        return statuses_text(feed.statuses)

    @admin.display(description="Items invisible after a read (s)")
    def visibility(self, feed):
        return feed.visibility_timeout_seconds

    @admin.display(description="Items kept uncommitted (s)")
    def retention(self, feed):
        return feed.retention_seconds

    @admin.display(description="Items waiting")
    def waiting(self, feed):
        return feed_stats(feed=feed).quantity

    @admin.display(description="Oldest item waiting since")
    def oldest(self, feed):
        stats = feed_stats(feed=feed)
        if not stats.quantity:
            return "-"
        return moment(timezone.now() - timedelta(seconds=stats.oldest_age_seconds))


@admin.register(HookConfig)
class HookConfigAdmin(ReadOnlyAccountAdmin):
    list_display = ["connector", "url", "statuses_short", "deliveries_link", "updated_at"]
    list_select_related = ["connector", "account"]
    search_fields = ["connector__name", "connector__affiliate_id", "url"]
    fieldsets = [
        (None, {"fields": ["connector", "url", "header_names", "statuses_long", "deliveries_link"]}),
        (None, {"fields": [("created_at", "updated_at")]}),
    ]
    readonly_fields = flatten_fieldsets(fieldsets)

    @admin.display(description="Statuses")
    def statuses_short(self, hook):
        return shorten(statuses_text(hook.statuses), 60)

    @admin.display(description="Statuses")
    def statuses_long(self, hook):
        return statuses_text(hook.statuses)

    @admin.display(description="Headers sent")
    def header_names(self, hook):
        names = sorted(hook.headers)
        return ", ".join(names) + " (values not shown)" if names else "-"

    @admin.display(description="Deliveries")
    def deliveries_link(self, hook):
        return format_html(
            '<a href="{}?connector__id__exact={}">Deliveries to this hook</a>',
            reverse("admin:connectors_hookdelivery_changelist"),
            hook.connector_id,
        )


class HookAttemptInline(admin.TabularInline):
    model = HookAttempt
    fields = readonly_fields = ["attempted", "status", "duration", "error", "url"]
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
        # Attempts are part of the delivery: whoever sees it sees them.
        if obj is None:
            return request.user.has_perm("connectors.view_hookdelivery")
        return request.user.has_perm("connectors.view_hookdelivery", obj)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(HookDelivery)
class HookDeliveryAdmin(ReadOnlyAccountAdmin):
    list_display = [
        "created_at",
        "connector",
        "order_link",
        "change",
        "state_badge",
        "attempt_count",
        "last_status",
        "next_attempt",
    ]
    list_filter = ["state", "connector"]
    search_fields = ["^order__main_order_id", "=event_uid"]
    search_help_text = "mainOrderId (beginning) or event id."
    date_hierarchy = "created_at"
    list_select_related = ["connector", "order"]
    actions = ["resend"]
    inlines = [HookAttemptInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("state_badge", "change"),
                    ("connector", "order_link", "event_uid"),
                    ("created_at", "delivered_at", "next_attempt"),
                    ("attempt_count", "last_status"),
                    "last_error",
                ]
            },
        ),
        ("Request", {"fields": ["url", "body_pretty"]}),
    ]
    readonly_fields = flatten_fieldsets(fieldsets)

    @admin.display(description="State", ordering="state")
    def state_badge(self, delivery):
        return badge(delivery.state, delivery.get_state_display())

    @admin.display(description="Status change")
    def change(self, delivery):
        last = delivery.body.get("LastState") or "new"
        return f"{last} → {delivery.body.get('State')}"

    @admin.display(description="Order", ordering="order__main_order_id")
    def order_link(self, delivery):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:orders_order_change", args=[delivery.order_id]),
            delivery.order.main_order_id,
        )

    @admin.display(description="Next attempt", ordering="next_attempt_at")
    def next_attempt(self, delivery):
        if delivery.state != HookDelivery.State.PENDING:
            return "-"
        return moment(delivery.next_attempt_at)

    @admin.display(description="Body")
    def body_pretty(self, delivery):
        return pretty_json(delivery.body)

    # Resending

    def has_resend_permission(self, request, obj=None):
        if obj is None:
            return request.user.has_perm(MANAGE_CONNECTORS)
        return request.user.has_perm(MANAGE_CONNECTORS, obj)

    @admin.action(description="Resend", permissions=["resend"])
    def resend(self, request, queryset):
        self.resend_deliveries(request, queryset.select_related("connector", "order"))

    def resend_deliveries(self, request, deliveries) -> None:
        """Resend each failed delivery the user may, and say in a message what became of each."""
        for delivery in deliveries:
            label = f"{delivery.order.main_order_id} {delivery.body.get('State')}"
            if not self.has_resend_permission(request, delivery):
                messages.error(request, f"{label}: only an Owner or OMS Full user may resend it.")
                continue
            if delivery.state != HookDelivery.State.FAILED:
                messages.warning(
                    request,
                    f"{label}: not resent, it is {delivery.get_state_display().lower()}; "
                    "only failed deliveries are.",
                )
                continue
            if not hook_delivery_resend(delivery=delivery):
                messages.warning(request, f"{label}: not resent, {delivery.connector} has no hook any more.")
                continue
            self.log_change(request, delivery, "Resent.")
            delivery.refresh_from_db()
            if delivery.state == HookDelivery.State.DELIVERED:
                messages.success(request, f"{label}: resent, delivered to {delivery.url}.")
            elif delivery.state == HookDelivery.State.FAILED:
                messages.error(request, f"{label}: resent, failed again: {delivery.last_error}")
            else:
                messages.success(request, f"{label}: queued to be sent again to {delivery.url}.")

    def get_urls(self):
        return [
            path(
                "<path:object_id>/resend/",
                self.admin_site.admin_view(self.resend_view),
                name="connectors_hookdelivery_resend",
            ),
            *super().get_urls(),
        ]

    def resend_view(self, request, object_id):
        """The detail page's button: resend one failed delivery."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        delivery = self.get_object(request, unquote(object_id))
        if delivery is None:
            raise Http404("No such hook delivery.")
        if not self.has_resend_permission(request, delivery):
            raise PermissionDenied
        self.resend_deliveries(request, [delivery])
        return redirect(reverse("admin:connectors_hookdelivery_change", args=[delivery.pk]))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        delivery = self.get_object(request, unquote(object_id))
        if delivery is not None:
            extra_context = {
                **(extra_context or {}),
                "may_resend": delivery.state == HookDelivery.State.FAILED
                and self.has_resend_permission(request, delivery),
                "resend_url": reverse("admin:connectors_hookdelivery_resend", args=[delivery.pk]),
            }
        return super().change_view(request, object_id, form_url, extra_context)
