"""Connection orders (IntakeRecord) in the admin: read-only, in the user's accounts.

What is done from here: reprocessing a held, rejected or failed connection order ("Reprocess",
"Ignore divergence and reprocess"), which Owner and OMS Full may do (`orders.reprocess_intake`).
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.admin_base import ReadOnlyAccountAdmin
from accounts.roles import REPROCESS_INTAKE
from connectors.codes import flow_name
from connectors.notification_admin import ContractCodeFilter
from kit.admin_display import badge, pretty_json, shorten
from kit.admin_lists import DateHierarchyFromRange

from ..events import Actor
from ..intake.receive import intake_reprocess
from ..models import IntakeRecord
from ..selectors import intake_notifications
from ..statuses import IntakeStatus
from .display import code_text, short_moment
from .queue_filters import ConnectorFilter, StatusFilter, Titled

REPROCESSABLE = frozenset({IntakeStatus.HELD, IntakeStatus.REJECTED, IntakeStatus.FAILED})
# Refused as a duplicate: the order exists already, and reprocessing would only be refused again.
DUPLICATE = "EOI007"


# A marketplace's approval of an order still waiting for the seller is kept (EOI011) and applied
# when the seller approves: the contract counts it as not integrated, but it is no failure.
REMEMBERED = "EOI011"


def status_shown(intake: IntakeRecord) -> tuple[str, str]:
    """The record's status as its badge shows it: (tone key, words)."""
    if intake.status == IntakeStatus.REJECTED and intake.code == REMEMBERED:
        return "held", gettext("Remembered: applied when the seller approves")
    return intake.status, intake.get_status_display()


def reprocessing_helps(intake: IntakeRecord) -> tuple[bool, bool]:
    """What reprocessing could change for the record: (reprocess, ignore its divergence).

    Nothing for a duplicate; ignoring the divergence only where a divergence held or refused it.
    """
    if intake.status not in REPROCESSABLE or intake.code in (DUPLICATE, REMEMBERED):
        return False, False
    divergent = intake.status == IntakeStatus.HELD or any(
        isinstance(error, dict) and error.get("code") == "DIVERGENCE" for error in intake.errors or []
    )
    return True, divergent


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
class IntakeRecordAdmin(DateHierarchyFromRange, ReadOnlyAccountAdmin):
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

    # Reprocessing

    def has_reprocess_permission(self, request, obj=None):
        if obj is None:
            return request.user.has_perm(REPROCESS_INTAKE)
        return request.user.has_perm(REPROCESS_INTAKE, obj)

    @admin.action(description=_("Reprocess"), permissions=["reprocess"])
    def reprocess(self, request, queryset):
        self.reprocess_records(request, queryset.select_related("connector"), ignore_divergence=False)

    @admin.action(description=_("Ignore divergence and reprocess"), permissions=["reprocess"])
    def reprocess_ignoring_divergence(self, request, queryset):
        self.reprocess_records(request, queryset.select_related("connector"), ignore_divergence=True)

    def reprocess_records(self, request, records, *, ignore_divergence: bool) -> None:
        """Reprocess each record the user may, and say in a message what became of each."""
        actor = Actor.of_user(request.user)
        for intake in records:
            label = f"{intake.connector.affiliate_id} {intake.marketplace_order_id}"
            if not self.has_reprocess_permission(request, intake):
                messages.error(
                    request,
                    gettext("%(row)s: only an Owner or OMS Full user may reprocess it.") % {"row": label},
                )
                continue
            if intake.status not in REPROCESSABLE:
                messages.warning(
                    request,
                    gettext(
                        "%(row)s: not reprocessed, it is %(status)s; only held, rejected or failed "
                        "connection orders are."
                    )
                    % {"row": label, "status": str(intake.get_status_display()).lower()},
                )
                continue
            if intake.code == DUPLICATE:
                messages.warning(
                    request,
                    gettext(
                        "%(row)s: not reprocessed, it is a duplicate of an order that exists already; "
                        "reprocessing it would be refused again."
                    )
                    % {"row": label},
                )
                continue
            if not intake_reprocess(intake=intake, actor=actor, ignore_divergence=ignore_divergence):
                messages.warning(
                    request,
                    gettext("%(row)s: not reprocessed, it moved on in the meantime.") % {"row": label},
                )
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
        how = gettext(" ignoring the divergence") if ignore_divergence else ""
        if intake.status == IntakeStatus.INTEGRATED:
            return messages.SUCCESS, gettext("reprocessed%(how)s, integrated as order %(order)s.") % {
                "how": how,
                "order": intake.order.main_order_id,
            }
        if intake.status == IntakeStatus.REJECTED:
            reason = "; ".join(error.get("description", "") for error in intake.errors)
            return messages.WARNING, gettext("reprocessed%(how)s, rejected again (%(code)s): %(reason)s") % {
                "how": how,
                "code": code_text(intake.code),
                "reason": reason,
            }
        if intake.status == IntakeStatus.HELD:
            return messages.WARNING, gettext("reprocessed%(how)s, held again: %(reason)s") % {
                "how": how,
                "reason": intake.held_reason,
            }
        if intake.status == IntakeStatus.FAILED:
            return messages.ERROR, gettext("reprocessing%(how)s failed: %(error)s") % {
                "how": how,
                "error": intake.last_error,
            }
        return messages.SUCCESS, gettext(
            "sent for reprocessing%(how)s; its status here follows once it is processed."
        ) % {"how": how}

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
            raise Http404(gettext("No such connection order."))
        if not self.has_reprocess_permission(request, intake):
            raise PermissionDenied
        self.reprocess_records(
            request, [intake], ignore_divergence=request.POST.get("ignore_divergence") == "1"
        )
        return redirect(reverse("admin:orders_intakerecord_change", args=[intake.pk]))

    def reprocess_offers(self, request, intake) -> dict:
        """The detail page's buttons: only the reprocessing that could help, for who may."""
        if not self.has_reprocess_permission(request, intake):
            return {"may_reprocess": False, "may_ignore_divergence": False}
        reprocess, ignore = reprocessing_helps(intake)
        return {"may_reprocess": reprocess, "may_ignore_divergence": ignore}

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
