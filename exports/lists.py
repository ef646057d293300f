"""The rows of an admin list exactly as the list shows them, every page, for a user and a query string.

The list's own `ChangeList` applies its filters, search, date range and ordering, scoped to the
user's accounts by the admin; an export reads the same queryset whether it streams in the
request or is written by a worker long after it, so the file holds what the list showed.
"""

from django.apps import apps
from django.contrib import admin
from django.contrib.messages.storage.base import BaseStorage
from django.http import HttpRequest, QueryDict
from django.utils import timezone
from django.utils.text import capfirst

from accounts.models import Account
from accounts.selectors import accounts_for
from kit.dates import time_zone

from .tables import SEVERAL_ZONES

# Parameters of the page, not of the rows: which page, "show all", the error flag, popups, facets.
NOT_FILTERS = ("p", "all", "e", "_popup", "_to_field", "_facets", "_changelist_filters")


def list_query(params: QueryDict) -> str:
    """Return the list's filters, search, date range and sort order as a query string."""
    kept = params.copy()
    for name in NOT_FILTERS:
        kept.pop(name, None)
    return kept.urlencode()


def list_title(model_admin) -> str:
    """Name the list as the admin's index does: "Orders", "Decisions"."""
    return capfirst(model_admin.opts.verbose_name_plural)


def exportable_admin(label: str):
    """Return the admin of the list named "app_label.model_name", when it exports; else None."""
    try:
        model_admin = admin.site.get_model_admin(apps.get_model(label))
    except (LookupError, ValueError, admin.sites.NotRegistered):
        return None
    return model_admin if getattr(model_admin, "export_table", None) is not None else None


def list_request(*, user, query: str) -> HttpRequest:
    """A GET of the list by the user: what its filters read (a worker has no request of its own)."""
    request = HttpRequest()
    request.method = "GET"
    request.GET = QueryDict(query)
    request.user = user
    request.exporting = True  # the list's page is neither read nor counted (ExportableAdmin.get_paginator)
    request._messages = BaseStorage(request)  # the search form may add a message; nobody reads it
    return request


def list_rows(model_admin, request, *, accounts=None):
    """Return every row the list shows for the request, every page, with what its CSV reads fetched up front.

    May raise `IncorrectLookupParameters`, as the list does. `accounts` narrows the rows to those
    accounts (the ones a background export was asked for).
    """
    table = model_admin.export_table
    rows = model_admin.get_changelist_instance(request).queryset
    if accounts is not None:
        rows = rows.filter(**{f"{model_admin.account_path}__in": list(accounts)})
    return rows.select_related(*table.related).only(*table.fields_read)


def list_accounts(*, user, query: str) -> list[int]:
    """Return the ids of the accounts whose rows the list may show: the user's, or the one its filter names."""
    mine = sorted(accounts_for(user=user).values_list("pk", flat=True))
    chosen = QueryDict(query).get("account", "")
    if chosen.isdigit() and int(chosen) in mine:
        return [int(chosen)]
    return mine


def zone_label(accounts) -> str:
    """Name the time zone of the accounts' times, or say each row is in its account's zone."""
    zones = {time_zone(account.time_zone).key for account in Account.objects.filter(pk__in=list(accounts))}
    if len(zones) == 1:
        return zones.pop()
    return SEVERAL_ZONES if zones else timezone.get_default_timezone_name()
