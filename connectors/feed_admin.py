"""Connectors' order feeds and hooks in the admin: their settings, and the hook's deliveries with resend.

Connectors configure feeds and hooks through the API; here every member of the account reads
them. A failed hook delivery may be sent again, from its first try and to the hook as it is
configured now, by a user who manages the account's connectors (Owner, OMS Full).
"""

from datetime import timedelta

from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.admin_base import ReadOnlyAccountAdmin
from kit.admin_dates import DateHierarchyFromRange
from kit.admin_display import moment, shorten

from .codes import status_name
from .feed import feed_stats
from .filters import FILTER_STATUSES
from .hook import hook_delivery_resend, hook_of
from .models import FeedConfig, HookAttempt, HookConfig, HookDelivery
from .outbound_admin import NO_LONGER_FAILED, AttemptInline, OutboxAdmin


def statuses_text(statuses: list[str]) -> str:
    if set(FILTER_STATUSES) <= set(statuses):
        return gettext("every status")
    return ", ".join(status_name(status) for status in statuses)


@admin.register(FeedConfig)
class FeedConfigAdmin(ReadOnlyAccountAdmin):
    list_display = ["connector", "statuses_short", "visibility", "retention", "waiting", "updated_at"]
    list_select_related = ["connector", "account"]
    search_fields = ["connector__name", "connector__affiliate_id"]
    fieldsets = [
        (None, {"fields": ["connector", "statuses_long", ("visibility", "retention")]}),
        (_("Queue"), {"fields": [("waiting", "oldest"), ("created_at", "updated_at")]}),
    ]
    readonly_fields = flatten_fieldsets(fieldsets)

    @admin.display(description=_("Statuses"))
    def statuses_short(self, feed):
        return shorten(statuses_text(feed.statuses), 60)

    @admin.display(description=_("Statuses"))
    def statuses_long(self, feed):
        return statuses_text(feed.statuses)

    @admin.display(description=_("Items invisible after a read (s)"))
    def visibility(self, feed):
        return feed.visibility_timeout_seconds

    @admin.display(description=_("Items kept uncommitted (s)"))
    def retention(self, feed):
        return feed.retention_seconds

    @admin.display(description=_("Items waiting"))
    def waiting(self, feed):
        return feed_stats(feed=feed).quantity

    @admin.display(description=_("Oldest item waiting since"))
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

    @admin.display(description=_("Statuses"))
    def statuses_short(self, hook):
        return shorten(statuses_text(hook.statuses), 60)

    @admin.display(description=_("Statuses"))
    def statuses_long(self, hook):
        return statuses_text(hook.statuses)

    @admin.display(description=_("Headers sent"))
    def header_names(self, hook):
        names = sorted(hook.headers)
        if not names:
            return "-"
        return gettext("%(names)s (values not shown)") % {"names": ", ".join(names)}

    @admin.display(description=_("Deliveries"))
    def deliveries_link(self, hook):
        return format_html(
            '<a href="{}?connector__id__exact={}">{}</a>',
            reverse("admin:connectors_hookdelivery_changelist"),
            hook.connector_id,
            gettext("Deliveries to this hook"),
        )


class HookAttemptInline(AttemptInline):
    model = HookAttempt
    fields = readonly_fields = [*AttemptInline.fields, "url"]
    parent_view_perm = "connectors.view_hookdelivery"


@admin.register(HookDelivery)
class HookDeliveryAdmin(DateHierarchyFromRange, OutboxAdmin):
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
    search_help_text = _("The beginning of the order's id, or the event id.")
    date_hierarchy = "created_at"
    list_select_related = ["connector", "order"]
    inlines = [HookAttemptInline]
    resend_select_related = ("connector", "order")
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
        (_("Request"), {"fields": ["url", "body_pretty"]}),
    ]
    readonly_fields = flatten_fieldsets(fieldsets)

    @admin.display(description=_("Status change"))
    def change(self, delivery):
        last = delivery.body.get("LastState")
        before = status_name(last) if last else gettext("new")
        return f"{before} → {status_name(delivery.body.get('State') or '')}"

    @admin.display(description=_("Order"), ordering="order__main_order_id")
    def order_link(self, delivery):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:orders_order_change", args=[delivery.order_id]),
            delivery.order.main_order_id,
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        row = self.get_object(request, unquote(object_id))
        if row is not None:
            extra_context = {
                **(extra_context or {}),
                "status_shown": status_name(row.body.get("State") or ""),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    # Resending

    def label(self, delivery) -> str:
        return f"{delivery.order.main_order_id} {status_name(delivery.body.get('State') or '')}"

    def target(self, delivery) -> str:
        return delivery.url

    def resend_row(self, delivery) -> str | None:
        if hook_of(connector=delivery.connector) is None:
            return gettext("%(connector)s has no hook any more.") % {"connector": delivery.connector}
        return None if hook_delivery_resend(delivery=delivery) else NO_LONGER_FAILED
