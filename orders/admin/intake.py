"""Connection orders (IntakeRecord) in the admin: read-only, in the user's accounts.

What is done from here: reprocessing a held, rejected or failed connection order ("Reprocess",
"Ignore divergence and reprocess"), which Owner and OMS Full may do: `intake_reprocess.py`.
"""

from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.admin_base import ReadOnlyAccountAdmin
from connectors.codes import code_text, flow_name
from connectors.notification_admin import ContractCodeFilter
from kit.admin_dates import DateHierarchyFromRange
from kit.admin_display import badge, pretty_json, shorten

from ..models import IntakeRecord
from ..selectors import intake_notifications
from ..statuses import IntakeStatus
from .display import short_moment
from .intake_reprocess import REMEMBERED, ReprocessAdmin
from .queue_filters import ConnectorFilter, StatusFilter, Titled


def status_shown(intake: IntakeRecord) -> tuple[str, str]:
    """The record's status as its badge shows it: (tone key, words)."""
    if intake.status == IntakeStatus.REJECTED and intake.code == REMEMBERED:
        return "held", gettext("Remembered: applied when the seller approves")
    return intake.status, intake.get_status_display()


class CodeFilter(Titled, ContractCodeFilter):
    """The contract's codes, each with its meaning, headed "Code" rather than "By code"."""


class FlowFilter(Titled, admin.ChoicesFieldListFilter):
    pass


def admin_link(viewname: str, pk, text):
    return format_html('<a href="{}">{}</a>', reverse(viewname, args=[pk]), text)


def rule_editor_url(account) -> str:
    """Return the admin page where the account's price divergence rule is edited."""
    try:
        return reverse("admin:authorization_pricedivergencerule_editor", kwargs={"account_id": account.pk})
    except NoReverseMatch:
        return "/admin/authorization/pricedivergencerule/"


@admin.register(IntakeRecord)
class IntakeRecordAdmin(ReprocessAdmin, DateHierarchyFromRange, ReadOnlyAccountAdmin):
    list_display = [
        "received",
        "connector",
        "marketplace_order_id",
        "flow",
        "status_badge",
        "code_meaning",
        "summary",
        "order_link",
        "notifications_link",
    ]
    list_display_links = ["received", "marketplace_order_id"]
    list_filter = [
        ("status", StatusFilter),
        ("flow", FlowFilter),
        ("connector", ConnectorFilter),
        CodeFilter,
    ]
    search_fields = ["^marketplace_order_id", "^order__main_order_id"]
    search_help_text = _("Marketplace order or order number (beginning).")
    date_hierarchy = "received_at"
    list_select_related = ["connector", "order"]
    actions = ["reprocess", "reprocess_ignoring_divergence"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("status_badge", "code_meaning", "flow"),
                    ("connector", "marketplace_order_id", "order_link"),
                    ("received", "processed", "attempts"),
                    "last_error",
                    "reprocessed",
                ]
            },
        ),
        (_("Errors"), {"fields": ["errors_table"]}),
        (_("Notifications"), {"fields": ["notifications_table"]}),
        (_("Body"), {"fields": ["body_pretty"]}),
    ]
    readonly_fields = flatten_fieldsets(fieldsets)

    # Columns and fields

    @admin.display(description=_("Received"), ordering="received_at")
    def received(self, intake):
        return short_moment(intake.received_at)

    @admin.display(description=_("Processed"))
    def processed(self, intake):
        return short_moment(intake.processed_at)

    @admin.display(description=_("Code"), ordering="code")
    def code_meaning(self, intake):
        return code_text(intake.code)

    @admin.display(description=_("Status"), ordering="status")
    def status_badge(self, intake):
        return badge(*status_shown(intake))

    @admin.display(description=_("Errors / held reason"))
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

    @admin.display(description=_("Order"), ordering="order__main_order_id")
    def order_link(self, intake):
        if intake.order_id is None:
            return "-"
        return admin_link("admin:orders_order_change", intake.order_id, intake.order.main_order_id)

    @admin.display(description=_("Notifications"))
    def notifications_link(self, intake):
        if intake.status in (IntakeStatus.RECEIVED, IntakeStatus.PROCESSING):
            return "-"
        changelist = reverse("admin:connectors_notification_changelist")
        return format_html(
            '<a href="{}?intake__id__exact={}">{}</a>', changelist, intake.pk, gettext("Notifications")
        )

    @admin.display(description=_("Reprocessed"))
    def reprocessed(self, intake):
        if intake.reprocessed_at is None:
            return "-"
        who = intake.reprocessed_by.email if intake.reprocessed_by else gettext("the system")
        if intake.ignore_divergence:
            text = gettext("%(time)s by %(who)s ignoring the divergence")
        else:
            text = gettext("%(time)s by %(who)s")
        return text % {"time": short_moment(intake.reprocessed_at), "who": who}

    @admin.display(description=_("Errors"))
    def errors_table(self, intake):
        if not intake.errors:
            return "-"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (code_text(error.get("code", "")), error.get("source", ""), error.get("description", ""))
                for error in intake.errors
            ),
        )
        return format_html(
            '<table class="oa-table"><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr>'
            "</thead><tbody>{}</tbody></table>",
            gettext("Code"),
            gettext("Source"),
            gettext("Description"),
            rows,
        )

    @admin.display(description=_("Notifications of this submission"))
    def notifications_table(self, intake):
        notifications = list(intake_notifications(intake=intake))
        if not notifications:
            return gettext("None.")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    admin_link(
                        "admin:connectors_notification_change", notification.pk, code_text(notification.code)
                    ),
                    flow_name(notification.flow),
                    badge(notification.state, notification.get_state_display()),
                    notification.attempt_count,
                    short_moment(notification.created_at),
                )
                for notification in notifications
            ),
        )
        return format_html(
            '<table class="oa-table"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th>'
            "<th>{}</th></tr></thead><tbody>{}</tbody></table>",
            gettext("Code"),
            gettext("Flow"),
            gettext("State"),
            gettext("Attempts"),
            gettext("Created"),
            rows,
        )

    @admin.display(description=_("Body as received"))
    def body_pretty(self, intake):
        return pretty_json(intake.body)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        intake = self.get_object(request, unquote(object_id))
        if intake is not None:
            extra_context = {
                **(extra_context or {}),
                **self.reprocess_offers(request, intake),
                "reprocess_url": reverse("admin:orders_intakerecord_reprocess", args=[intake.pk]),
                "rule_editor_url": rule_editor_url(intake.account) if intake.held_until_rule else None,
            }
        return super().change_view(request, object_id, form_url, extra_context)
