"""Insight in the admin: the dashboard, one account and period at a time, and the list of decisions.

Every member of an account sees its dashboard (the role's `orders.view_order` on the account,
answered by the one permission backend); the account chooser offers only the user's accounts.
The decisions list shows every submission the rule decided, with the approver's decision of a
held order beside it, and exports them to CSV.
"""

from datetime import date, timedelta

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.admin_base import ReadOnlyAccountAdmin
from accounts.selectors import accounts_listed
from authorization.decision import Outcome
from authorization.decision_words import outcome_label, route_and_reason_label
from exports.admin import ExportableAdmin
from exports.tables import CsvTable
from exports.tables import percent as csv_percent
from kit.admin_dates import DateHierarchyFromRange
from kit.admin_display import decider, moment, signed_percent, user_name
from kit.admin_lists import LookaheadPaginator, LookaheadPaging, ViewOnlyAdmin
from kit.dates import time_zone
from kit.money import money
from kit.numbers import percent_range
from orders.admin.display import approval_task_of
from orders.admin.order import OutcomeFilter

from . import dashboard, selectors
from .charts import count, day_words
from .models import Dashboard, DecisionRecord

VIEW = "orders.view_order"
PERIODS = [
    ("7", gettext_lazy("Last 7 days")),
    ("30", gettext_lazy("Last 30 days")),
    ("90", gettext_lazy("Last 90 days")),
    ("custom", gettext_lazy("From … to …")),
]
LONGEST_PERIOD_DAYS = 366
# The days a custom period may cover: every day the app can have decided an order, and none so near
# the calendar's ends (years 1 and 9999) that its midnight in the account's zone cannot be written.
EARLIEST_DAY, LATEST_DAY = date(2000, 1, 1), date(2999, 12, 31)


def dashboard_accounts(user):
    """Return the accounts whose dashboard the user may see."""
    return [
        account for account in accounts_listed(user=user) if user.is_superuser or user.has_perm(VIEW, account)
    ]


class PeriodForm(forms.Form):
    account = forms.TypedChoiceField(label=gettext_lazy("Account"), coerce=int, required=False)
    period = forms.ChoiceField(label=gettext_lazy("Period"), choices=PERIODS, initial="30", required=False)
    first = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    last = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.accounts = {account.pk: account for account in accounts}
        self.fields["account"].choices = [(account.pk, account.name) for account in accounts]

    def clean(self):
        data = super().clean()
        if data.get("period") == "custom":
            first, last = data.get("first"), data.get("last")
            if not first or not last:
                raise forms.ValidationError(_("Give both days of a custom period."))
            if first > last:
                raise forms.ValidationError(_("The period must start before it ends."))
            if first < EARLIEST_DAY or last > LATEST_DAY:
                raise forms.ValidationError(
                    _("Choose days from %(earliest)s to %(latest)s.")
                    % {"earliest": date_format(EARLIEST_DAY), "latest": date_format(LATEST_DAY)}
                )
            if (last - first).days + 1 > LONGEST_PERIOD_DAYS:
                raise forms.ValidationError(
                    _("Choose at most %(days)s days.") % {"days": LONGEST_PERIOD_DAYS}
                )
        return data

    def chosen(self, *, now):
        """Return (account, period) as asked, or the defaults where the form is empty or invalid."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        account = self.accounts.get(data.get("account")) or next(iter(self.accounts.values()))
        zone = time_zone(account.time_zone)
        today = timezone.localtime(now, zone).date()
        if data.get("period") == "custom":
            return account, selectors.Period(data["first"], data["last"], zone)
        days = int(data.get("period") or 30)
        return account, selectors.Period(today - timedelta(days=days - 1), today, zone)


@admin.register(Dashboard)
class DashboardAdmin(ViewOnlyAdmin):
    def has_module_permission(self, request):
        return bool(request.user.is_active and dashboard_accounts(request.user))

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_changelist"
        return [path("", self.admin_site.admin_view(self.changelist_view), name=name)]

    def changelist_view(self, request, extra_context=None):
        """Show one account's dashboard for the chosen period."""
        accounts = dashboard_accounts(request.user)
        if not accounts:
            raise PermissionDenied
        now = timezone.now()
        form = PeriodForm(request.GET or None, accounts=accounts)
        account, period = form.chosen(now=now)
        if not form.is_bound:
            form.initial = {"account": account.pk, "period": "30", "first": period.first, "last": period.last}
        shown = dashboard.build(account=account, period=period, now=now)
        return TemplateResponse(
            request,
            "admin/insight/dashboard.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "app_label": self.opts.app_label,
                "title": _("Dashboard of %(account)s") % {"account": account},
                "form": form,
                "several_accounts": len(accounts) > 1,
                "dashboard": shown,
                "decided": count(shown.decided),
                "waiting": count(shown.waiting),
                "waiting_value": money(shown.waiting_value_cents, account.currency),
                "period_words": f"{day_words(period.first)} – {day_words(period.last)}",
                "charts": {chart.slug: chart for chart in shown.charts},
            },
        )


# Decisions ---------------------------------------------------------------------------------------


def band_words(label: str) -> str:
    """Say a band as the other lists do: "5.00-20.00" → "5.00–20.00 %"."""
    return f"{label.replace('-', '–')} %" if label else ""


class DecisionTable(CsvTable):
    """The decisions' CSV: a line for each decision, who took it, when, by which band and why.

    The rule's decision of a submission is one line; when an approver then decided the order it
    held, their decision follows as a line of its own.
    """

    columns = (
        "account",
        "decided_at ({zone})",
        "decided_by",
        "on_behalf_of",
        "decision",
        "band",
        "reason",
        "note",
        "marketplace_order_id",
        "main_order_id",
        "connector",
        "divergence_percent",
        "paid_value_cents",
        "seller_value_cents",
    )
    fields = (
        "account__name",
        "account__time_zone",
        "decided_at",
        "outcome",
        "band_label",
        "route",
        "reason",
        "ignore_divergence",
        "intake__reprocessed_by__email",
        "intake__reprocessed_by__username",
        "marketplace_order_id",
        "order__main_order_id",
        "order__approval_task__decision",
        "order__approval_task__decided_by__email",
        "order__approval_task__decided_by__username",
        "order__approval_task__on_behalf_of",
        "order__approval_task__decided_at",
        "order__approval_task__reason_code",
        "order__approval_task__note",
        "connector__name",
        "divergence_percent",
        "paid_value_cents",
        "seller_value_cents",
    )
    nouns = (gettext_lazy("decided submission"), gettext_lazy("decided submissions"))
    file_stem = "decisions"

    def lines(self, record, clock):
        account, order = record.account, record.order
        band = band_words(record.band_label)
        reason = f"{record.route}:{record.reason}"
        by = "rule"
        if record.ignore_divergence:
            by = user_name(record.intake.reprocessed_by)
            reason = f"divergence ignored on reprocessing; the rule said {reason}"
        order_facts = [
            record.marketplace_order_id,
            order.main_order_id if order else "",
            record.connector.name,
            csv_percent(record.divergence_percent),
            record.paid_value_cents,
            record.seller_value_cents,
        ]
        yield [
            account.name,
            clock.stamp(record.decided_at, account),
            by,
            "",
            record.outcome,
            band,
            reason,
            "",
            *order_facts,
        ]
        task = approval_task_of(order) if order else None
        if task is not None and task.decision:
            yield [
                account.name,
                clock.stamp(task.decided_at, account),
                decider(task),
                task.on_behalf_of,
                task.decision,
                band,
                task.reason_code,
                task.note,
                *order_facts,
            ]


class SubmissionOutcomeFilter(OutcomeFilter):
    """What became of a decided submission, as the dashboard counts it."""

    title = gettext_lazy("decision")
    outcomes = list(Outcome)

    def lookups(self, request, model_admin):
        return [(outcome.value, capfirst(outcome_label(outcome))) for outcome in self.outcomes]


class ManualDecisionFilter(admin.SimpleListFilter):
    title = gettext_lazy("approver's decision")
    parameter_name = "manual"

    def lookups(self, request, model_admin):
        return [("approved", _("Approved")), ("denied", _("Denied")), ("waiting", _("Waiting"))]

    def queryset(self, request, queryset):
        if self.value() in ("approved", "denied"):
            return queryset.filter(order__approval_task__decision=self.value())
        if self.value() == "waiting":
            return queryset.filter(order__approval_task__decision="")
        return queryset


class DecisionPaginator(LookaheadPaginator):
    timeline = "decided_at"


@admin.register(DecisionRecord)
class DecisionRecordAdmin(ExportableAdmin, DateHierarchyFromRange, LookaheadPaging, ReadOnlyAccountAdmin):
    """Every submission the rule decided, newest first, with the approver's decision of those it held."""

    list_display = [
        "decided",
        "marketplace_order_id",
        "order_link",
        "connector",
        "outcome_words",
        "band",
        "reason_column",
        "divergence",
        "manual_decision",
    ]
    list_display_links = None
    list_filter = [SubmissionOutcomeFilter, ManualDecisionFilter, "connector"]
    search_fields = ["^marketplace_order_id", "^order__main_order_id"]
    search_help_text = gettext_lazy(
        "The beginning of the marketplace's order number or of the order's number."
    )
    date_hierarchy = "decided_at"
    ordering = ["-decided_at", "-pk"]
    list_select_related = ["connector", "order__approval_task__decided_by"]
    paginator = DecisionPaginator
    count_nouns = DecisionTable.nouns
    export_table = DecisionTable()

    def get_queryset(self, request):
        # The list reads none of the wide columns of a record or its order.
        return (
            super()
            .get_queryset(request)
            .defer("items", "item_divergences", "order__payload", "order__rule_snapshot")
        )

    @admin.display(description=gettext_lazy("Decided"), ordering="decided_at")
    def decided(self, record):
        return moment(record.decided_at)

    @admin.display(description=gettext_lazy("Order"))
    def order_link(self, record):
        if record.order is None:
            return format_html(
                '<a href="{}">{}</a>',
                reverse("admin:orders_intakerecord_change", args=[record.intake_id]),
                _("connection order"),
            )
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:orders_order_change", args=[record.order_id]),
            record.order.main_order_id,
        )

    @admin.display(description=gettext_lazy("Outcome"), ordering="outcome")
    def outcome_words(self, record):
        return capfirst(outcome_label(record.outcome))

    @admin.display(description=gettext_lazy("Band"))
    def band(self, record):
        if not record.band_label:
            return "-"
        lower, upper = record.band_label.split("-")
        return percent_range(lower, upper)

    @admin.display(description=gettext_lazy("Reason"))
    def reason_column(self, record):
        return route_and_reason_label(record.route, record.reason)

    @admin.display(description=gettext_lazy("Divergence"))
    def divergence(self, record):
        return signed_percent(record.divergence_percent)

    @admin.display(description=gettext_lazy("Approver's decision"))
    def manual_decision(self, record):
        task = approval_task_of(record.order) if record.order else None
        if task is None:
            return "-"
        if not task.decision:
            return _("waiting")
        template = (
            _("approved by %(who)s at %(when)s")
            if task.decision == "approved"
            else _("denied by %(who)s at %(when)s")
        )
        return template % {
            "who": decider(task),
            "when": date_format(timezone.localtime(task.decided_at), "SHORT_DATETIME_FORMAT"),
        }
