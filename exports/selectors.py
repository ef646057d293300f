"""Reads of exports: the user's own, and whether they may still download one."""

from django.db.models import QuerySet

from accounts.models import Account

from .lists import exportable_admin
from .models import Export


def exports_of(*, user) -> QuerySet[Export]:
    """Return the exports the user asked for, newest first (every one, for a superuser)."""
    queryset = Export.objects.order_by("-created_at", "-pk")
    return queryset if user.is_superuser else queryset.filter(user=user)


def export_of(*, user, export_id: int) -> Export | None:
    return exports_of(user=user).filter(pk=export_id).first()


def may_see_rows_of(request, export: Export) -> bool:
    """The one permission rule, asked of every account the file may hold: may the user see its list there?"""
    model_admin = exportable_admin(export.list_label)
    if model_admin is None or not request.user.is_active:
        return False
    accounts = list(Account.objects.filter(pk__in=export.accounts))
    if len(accounts) != len(set(export.accounts)):
        return False  # an account gone since: nobody may read its rows any more
    return all(model_admin.has_view_permission(request, account) for account in accounts)
