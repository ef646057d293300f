"""The admin's half of the one permission rule: every list, form and action in the user's accounts.

`AccountScopedAdmin` limits querysets to the user's accounts, asks the permission backend
about each object (`user.has_perm(perm, obj)`), and offers only the user's accounts in forms.

Every list of the app's admins is a `GuardedChangeList` (see `GuardedLists`): a filter, date or
search the list cannot use is refused there, once, instead of ending in a server error.
"""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ERROR_FLAG, ChangeList
from django.core.exceptions import EmptyResultSet, FullResultSet, PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .backends import account_roles
from .models import Account
from .selectors import accounts_for


def perm_name(opts, action: str) -> str:
    return f"{opts.app_label}.{action}_{opts.model_name}"


# Lookups whose value the database itself parses, and refuses with an error when it cannot.
DATABASE_PARSED_LOOKUPS = frozenset({"regex", "iregex"})

REFUSED_LIST = _(
    "The list could not be filtered, searched or paged as asked (a date, number or page it cannot "
    "use), so it shows every row instead."
)

REFUSED_SELECTION = _("The selection holds a row this list does not have, so nothing was changed.")


def query_checked(queryset):
    """Build the queryset's SQL, to find a value it cannot hold before the query runs.

    Years 0 and 10000, a date past 9999-12-31 once moved to UTC, a decimal too long for its
    column fail only while the SQL is built, which happens when the rows are first read: in a
    template, long after the list could still refuse them. PostgreSQL refuses a NUL character.
    """
    try:
        _sql, params = queryset.query.get_compiler(queryset.db).as_sql()
    except (EmptyResultSet, FullResultSet):
        return queryset  # no rows, or every row: nothing the database would refuse
    if any(isinstance(param, str) and "\x00" in param for param in params):
        raise ValueError("A filter holds a NUL character.")
    return queryset


class GuardedChangeList(ChangeList):
    """A list whose filters, date drill-down and search refuse values they cannot use.

    Django turns some bad values into `IncorrectLookupParameters` (the list then opens without
    its filters); others fail later, out of its reach: `created_at__year=9999` (the year after
    it does not exist), a filter's own `queryset()` given a word for a number, a date the time
    zone moves out of range. Here every one of them is `IncorrectLookupParameters`.
    """

    def get_queryset(self, request, exclude_parameters=None):
        try:
            return query_checked(super().get_queryset(request, exclude_parameters))
        except (ValueError, ArithmeticError, ValidationError) as error:
            raise IncorrectLookupParameters(error) from error


class GuardedLists:
    """Admin mixin: lists that answer bad filters, dates and pages with a message, never a 500.

    A list refused its query string sends to itself with `?e=1` (Django's way); that list opens
    unfiltered and now says why.
    """

    def get_changelist(self, request, **kwargs):
        return GuardedChangeList

    def lookup_allowed(self, lookup, value, request=None):
        if lookup.rpartition("__")[2] in DATABASE_PARSED_LOOKUPS:
            return False  # answered 400, as Django answers any lookup a list does not allow
        return super().lookup_allowed(lookup, value, request)

    def changelist_view(self, request, extra_context=None):
        if ERROR_FLAG in request.GET:
            messages.error(request, REFUSED_LIST)
        return super().changelist_view(request, extra_context)

    def response_action(self, request, queryset, *args, **kwargs):
        """Refuse, with a message, an action on ticked rows whose ids no row can have (a word, a
        number too long): Django would look them up as they are, and the database refuse them."""
        try:
            for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
                self.opts.pk.to_python(value)
        except ValidationError:
            messages.error(request, REFUSED_SELECTION)
            return None  # back to the list, as Django answers an action it did not run
        return super().response_action(request, queryset, *args, **kwargs)


def list_refused(model_admin):
    """Send back to the list, refused its query string: it opens unfiltered and says why (`GuardedLists`)."""
    opts = model_admin.opts
    return redirect(f"{reverse(f'admin:{opts.app_label}_{opts.model_name}_changelist')}?{ERROR_FLAG}=1")


def guard_every_list(site) -> None:
    """Give the lists of admins the app did not write (users, groups, login attempts) the same guard."""
    for model, model_admin in list(site._registry.items()):
        if not isinstance(model_admin, GuardedLists):
            admin_class = type(model_admin)
            site.unregister(model)
            site.register(model, type(f"Guarded{admin_class.__name__}", (GuardedLists, admin_class), {}))


class GuardedHistory:
    """SimpleHistoryAdmin mixin: only who may change a row reverts it to an earlier version; a row
    id or a version that is no number answers 404, as a change page does.

    django-simple-history saves a posted version for anyone who may view the row (it only hides
    the Revert button), and looks both ids up as given, where the database refuses a word for a
    number.
    """

    def history_view(self, request, object_id, extra_context=None):
        pk_or_404(self.model, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        pk_or_404(self.model, object_id)
        pk_or_404(self.model.history.model, version_id)
        if request.method == "POST":
            row = self.get_object(request, unquote(object_id))
            if row is None or not self.has_change_permission(request, row):
                raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


def pk_or_404(model, value: str) -> None:
    try:
        model._meta.pk.to_python(unquote(value))
    except ValidationError:
        raise Http404 from None


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


class ViewOnlyAdmin(GuardedLists, admin.ModelAdmin):
    """An admin page nobody adds to, changes or deletes from; `has_module_permission` says who sees it."""

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
            return [(account.pk, account.name) for account in accounts_for(user=request.user)]

        def queryset(self, request, queryset):
            if self.value():
                return queryset.filter(**{account_path: self.value()})
            return queryset

    return AccountFilter


def managed_accounts(user, opts):
    """Return the accounts in which the user may add rows of this model."""
    accounts = accounts_for(user=user)
    if user.is_superuser:
        return accounts
    perm = perm_name(opts, "add")
    return accounts.filter(pk__in=[account.pk for account in accounts if user.has_perm(perm, account)])


def in_managed_accounts(model, user, opts):
    """Return the rows of `model` in the accounts where the user may add or change rows of `opts`."""
    rows = model._default_manager.all()
    if user.is_superuser:
        return rows
    return rows.filter(account__in=managed_accounts(user, opts))
