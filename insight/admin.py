"""The dashboard in the admin: "Insight › Dashboard" in the app list, one account and period at a time.

Every member of an account sees its dashboard (the role's `orders.view_order` on the account,
answered by the one permission backend); the account chooser offers only the user's accounts.
"""

from datetime import timedelta

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from authorization.selectors import accounts_for

from . import dashboard, selectors
from .charts import count, money
from .models import Dashboard

VIEW = "orders.view_order"
PERIODS = [("7", "Last 7 days"), ("30", "Last 30 days"), ("90", "Last 90 days"), ("custom", "From … to …")]
LONGEST_PERIOD_DAYS = 366


def dashboard_accounts(user):
    """Return the accounts whose dashboard the user may see."""
    accounts = list(accounts_for(user=user))
    return [account for account in accounts if user.is_superuser or user.has_perm(VIEW, account)]


class PeriodForm(forms.Form):
    account = forms.TypedChoiceField(label="Account", coerce=int, required=False)
    period = forms.ChoiceField(label="Period", choices=PERIODS, initial="30", required=False)
    first = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    last = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.accounts = {account.pk: account for account in accounts}
        self.fields["account"].choices = [(account.pk, account.name) for account in accounts]

    def clean(self):
        data = super().clean()
        if data.get("period") == "custom":
            first, last = data.get("first"), data.get("last")
            if not first or not last:
                raise forms.ValidationError("Give both days of a custom period.")
            if first > last:
                raise forms.ValidationError("The period must start before it ends.")
            if (last - first).days + 1 > LONGEST_PERIOD_DAYS:
                raise forms.ValidationError(f"Choose at most {LONGEST_PERIOD_DAYS} days.")
        return data

    def chosen(self, *, now):
        """Return (account, period) as asked, or the defaults where the form is empty or invalid."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        account = self.accounts.get(data.get("account")) or next(iter(self.accounts.values()))
        zone = selectors.account_zone(account)
        today = timezone.localtime(now, zone).date()
        if data.get("period") == "custom":
            return account, selectors.Period(data["first"], data["last"], zone)
        days = int(data.get("period") or 30)
        return account, selectors.Period(today - timedelta(days=days - 1), today, zone)


@admin.register(Dashboard)
class DashboardAdmin(admin.ModelAdmin):
    def has_module_permission(self, request):
        return bool(request.user.is_active and dashboard_accounts(request.user))

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

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
                "title": f"Dashboard of {account}",
                "form": form,
                "several_accounts": len(accounts) > 1,
                "dashboard": shown,
                "decided": count(shown.decided),
                "waiting": count(shown.waiting),
                "waiting_value": money(shown.waiting_value_cents),
                "period_words": f"{period.first:%d %b %Y} – {period.last:%d %b %Y}",
                "charts": {chart.slug: chart for chart in shown.charts},
            },
        )
