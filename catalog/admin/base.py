"""What every catalog page shares: the accounts a user may change, money shown and typed as money.

Every screen shows only the user's accounts (`AccountScopedAdmin`); Owner and OMS Full change,
everyone else reads. Ids and accounts are fixed once a row exists: they are how the seller's
systems name it.
"""

from django import forms
from django.contrib import admin

from accounts.admin_base import AccountScopedAdmin
from accounts.backends import account_roles
from accounts.models import Account
from accounts.selectors import accounts_where
from kit.admin_lists import perm_name
from kit.forms import MoneyField

from ..models import Stock, reserved_stock_message
from ..selectors import reserved_stock_among


class AccountMoneyForm(forms.ModelForm):
    """A form whose money fields show the currency of the row's account: its own once it exists;
    on an add page, the one currency of the accounts offered, when they share one."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        currency = self.account_currency()
        for field in self.fields.values():
            if isinstance(field, MoneyField):
                field.currency = currency

    def account_currency(self) -> str:
        if getattr(self.instance, "account_id", None):
            return self.instance.account.currency
        offered = self.fields.get("account")
        if offered is None:
            return ""
        currencies = set(offered.queryset.values_list("currency", flat=True))
        return currencies.pop() if len(currencies) == 1 else ""


class CatalogAdmin(AccountScopedAdmin):
    """Account-scoped admin whose related choices come from accounts the user may change."""

    fixed_fields: tuple[str, ...] = ()  # read-only once the row exists, besides the account

    def changeable_account_ids(self, request) -> list[int]:
        return list(accounts_where(request.user, perm_name(self.opts, "change")).values_list("pk", flat=True))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is not Account and hasattr(db_field.related_model, "account_id"):
            kwargs["queryset"] = db_field.related_model._default_manager.filter(
                account__in=self.changeable_account_ids(request)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if hasattr(db_field.related_model, "account_id"):
            kwargs["queryset"] = db_field.related_model._default_manager.filter(
                account__in=self.changeable_account_ids(request)
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly += ["account", *self.fixed_fields]
        return readonly

    def several_accounts(self, request) -> bool:
        return request.user.is_superuser or len(account_roles(request.user)) > 1

    def get_deleted_objects(self, objs, request):
        """Name the stock rows holding reserved units as what stops a delete (they are kept, see
        `keep_reserved_stock`), rather than a missing permission to delete stock."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        held = reserved_stock_among(objs)
        if held:
            may_delete_stock = all(
                request.user.has_perm(perm_name(Stock._meta, "delete"), stock) for stock in held
            )
            if may_delete_stock:
                perms_needed.discard(Stock._meta.verbose_name)
            protected = [*protected, *(reserved_stock_message(stock) for stock in held)]
        return deleted, counts, perms_needed, protected

    def get_list_filter(self, request):
        # Offer only the accounts (and related rows) the user sees, never every account's name.
        filters = list(admin.ModelAdmin.get_list_filter(self, request))
        if self.several_accounts(request):
            filters.insert(0, (self.account_path, admin.RelatedOnlyFieldListFilter))
        return filters

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if self.several_accounts(request):
            columns.append(self.account_path)
        return columns
