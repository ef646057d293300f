"""The admin's half of the one permission rule: every list, form and action in the user's accounts.

`AccountScopedAdmin` limits querysets to the user's accounts, asks the permission backend
about each object (`user.has_perm(perm, obj)`), and offers only the user's accounts in forms.
`ReadOnlyAccountAdmin` shows rows only services write. The lists' own mechanics are the kit's
(`kit.admin_lists`).
"""

from django.contrib import admin

from kit.admin_display import ADMIN_CSS, ChangesNothing
from kit.admin_lists import GuardedLists, perm_name

from .backends import account_roles
from .models import Account
from .selectors import accounts_listed, accounts_where


class AccountScopedAdmin(GuardedLists, admin.ModelAdmin):
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
        if db_field.related_model is Account and "queryset" not in kwargs:
            kwargs["queryset"] = managed_accounts(request.user, self.opts)
        elif hasattr(db_field.related_model, "account_id") and "queryset" not in kwargs:
            kwargs["queryset"] = in_managed_accounts(db_field.related_model, request.user, self.opts)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if hasattr(db_field.related_model, "account_id") and "queryset" not in kwargs:
            kwargs["queryset"] = in_managed_accounts(db_field.related_model, request.user, self.opts)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_list_filter(self, request):
        filters = [self._scoped(entry) for entry in super().get_list_filter(request)]
        if request.user.is_superuser or len(account_roles(request.user)) > 1:
            return [account_filter(self.account_path), *filters]
        return filters

    def _scoped(self, entry):
        """Give a filter on a relation to account rows choices from the user's accounts only."""
        if not isinstance(entry, str) or "__" in entry:
            return entry
        try:
            field = self.opts.get_field(entry)
        except Exception:
            return entry
        if (
            field.is_relation
            and hasattr(field.related_model, "account_id")
            and field.related_model is not Account
        ):
            return (entry, AccountScopedRelatedFilter)
        return entry


class AccountScopedRelatedFilter(admin.RelatedFieldListFilter):
    def field_choices(self, field, request, model_admin):
        rows = field.related_model._default_manager.all()
        if not request.user.is_superuser:
            rows = rows.filter(account__in=list(account_roles(request.user)))
        return [(row.pk, str(row)) for row in rows]


def account_filter(account_path: str):
    """A list filter offering only the accounts the user belongs to (never every account's name)."""

    class AccountFilter(admin.SimpleListFilter):
        title = "account"
        parameter_name = "account"

        def lookups(self, request, model_admin):
            return [(account.pk, account.name) for account in accounts_listed(user=request.user)]

        def queryset(self, request, queryset):
            if self.value():
                return queryset.filter(**{account_path: self.value()})
            return queryset

    return AccountFilter


def managed_accounts(user, opts):
    """Return the accounts in which the user may add rows of this model."""
    return accounts_where(user, perm_name(opts, "add"))


def in_managed_accounts(model, user, opts):
    """Return the rows of `model` in the accounts where the user may add or change rows of `opts`."""
    rows = model._default_manager.all()
    if user.is_superuser:
        return rows
    return rows.filter(account__in=managed_accounts(user, opts))


class ReadOnlyAccountAdmin(ChangesNothing, AccountScopedAdmin):
    """Rows only services write: every member of the account reads them, nobody edits them here."""

    show_full_result_count = False  # one COUNT per page is enough on tables that grow without end

    class Media:
        css = ADMIN_CSS

    def several_accounts(self, request) -> bool:
        return request.user.is_superuser or len(account_roles(request.user)) > 1

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if self.several_accounts(request):
            columns.append(self.account_path)
        return columns


class FormsKnowTheRequest:
    """ModelAdmin mixin: its form is made with `request=`, to ask who is filling it in."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)

        class RequestBoundForm(form_class):
            def __new__(cls, *args, **form_kwargs):
                return form_class(*args, request=request, **form_kwargs)

        return RequestBoundForm
