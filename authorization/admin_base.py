"""The admin's half of the one permission rule: every list, form and action in the user's accounts.

`AccountScopedAdmin` limits querysets to the user's accounts, asks the permission backend
about each object (`user.has_perm(perm, obj)`), and offers only the user's accounts in forms.
"""

from django.contrib import admin

from .backends import account_roles
from .models import Account
from .selectors import accounts_for


def perm_name(opts, action: str) -> str:
    return f"{opts.app_label}.{action}_{opts.model_name}"


class AccountScopedAdmin(admin.ModelAdmin):
    """A ModelAdmin for rows that belong to an account.

    `account_path` is the lookup from the model to its account ("account", "rule__account").
    """

    account_path = "account"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.account_path}__in": list(account_roles(request.user))})

    def _allowed(self, request, action, obj):
        if obj is None:
            return request.user.has_perm(perm_name(self.opts, action))
        return request.user.has_perm(perm_name(self.opts, action), obj)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request, "view", obj) or self._allowed(request, "change", obj)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request, "change", obj)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request, "delete", obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Account:
            kwargs["queryset"] = managed_accounts(request.user, self.opts)
        elif hasattr(db_field.related_model, "account_id") and "queryset" not in kwargs:
            related = db_field.related_model._default_manager.all()
            if not request.user.is_superuser:
                related = related.filter(account__in=list(account_roles(request.user)))
            kwargs["queryset"] = related
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if hasattr(db_field.related_model, "account_id") and not request.user.is_superuser:
            kwargs["queryset"] = db_field.related_model._default_manager.filter(
                account__in=list(account_roles(request.user))
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if request.user.is_superuser or len(account_roles(request.user)) > 1:
            return [self.account_path, *filters]
        return filters


def managed_accounts(user, opts):
    """Return the accounts in which the user may add rows of this model."""
    accounts = accounts_for(user=user)
    if user.is_superuser:
        return accounts
    perm = perm_name(opts, "add")
    return accounts.filter(pk__in=[account.pk for account in accounts if user.has_perm(perm, account)])
