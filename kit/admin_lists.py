"""Admin list mechanics every admin shares: lists that never answer a 500, and stay fast at a million rows.

Every list of the app's admins is a `GuardedChangeList` (see `GuardedLists`): a filter, date or
search the list cannot use is refused there, once, instead of ending in a server error.

The date drill-down of large lists: `kit.admin_dates`.

`LookaheadPaginator` pages without counting: it looks one row past the page to offer the next one.
"""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ERROR_FLAG, ChangeList
from django.core.exceptions import EmptyResultSet, FullResultSet, PermissionDenied, ValidationError
from django.core.paginator import EmptyPage, InvalidPage, Paginator
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .numbers import count as format_count


def perm_name(opts, action: str) -> str:
    return f"{opts.app_label}.{action}_{opts.model_name}"


# Lookups whose value the database itself parses, and refuses with an error when it cannot.
DATABASE_PARSED_LOOKUPS = frozenset({"regex", "iregex"})

REFUSED_LIST = _(
    "The list could not be filtered, searched or paged as asked (a date, number or page it cannot "
    "use), so it shows every row instead."
)

ROWS = (_("row"), _("rows"))  # what a list counts, unless it names its rows

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


# The largest OFFSET the database takes (a 64-bit integer): no list has a row past it, so a page
# beyond it is past the end without asking the database, which would refuse the number.
LAST_POSITION = 2**63 - 1


class LookaheadPaginator(Paginator):
    """Page through a list without counting it: read the page's ids and one more.

    The one extra id says whether another page follows, so the admin offers the pages up to
    the next one and never counts the whole list. When the list is in `timeline` order
    (oldest or newest first, ties by id), a page is found in two steps: the times of its rows,
    which an index on (account, time) holds alone, then the ids of the rows at those times; a
    deep page so skips over index entries rather than table rows. The rows themselves are read
    by id, with what they select_related.
    """

    timeline = "created_at"

    def __init__(
        self,
        object_list,
        per_page,
        orphans=0,
        allow_empty_first_page=True,
        *,
        number=1,
        nouns=ROWS,
    ):
        super().__init__(object_list, per_page, orphans, allow_empty_first_page)
        self.number, self.nouns = number, nouns

    @property
    def bottom(self) -> int:
        return (self.number - 1) * self.per_page

    def ids_at(self, bottom: int, size: int) -> list[int]:
        """Return the ids of the rows at positions [bottom, bottom + size) of the list."""
        if bottom + size > LAST_POSITION:
            return []
        order = effective_order(self.object_list.query.order_by)
        if order not in ((self.timeline, "pk"), (f"-{self.timeline}", "-pk")):
            return list(self.object_list.values_list("pk", flat=True)[bottom : bottom + size])
        times = list(
            self.object_list.order_by(order[0]).values_list(self.timeline, flat=True)[bottom : bottom + size]
        )
        if not times:
            return []
        earliest, latest = min(times[0], times[-1]), max(times[0], times[-1])
        candidates = list(
            self.object_list.filter(
                **{f"{self.timeline}__gte": earliest, f"{self.timeline}__lte": latest}
            ).values_list("pk", self.timeline)
        )
        # Rows sharing the page's first time may come before `bottom` (by id): skip those.
        if times[0] != times[-1]:
            # The page goes past that time: every other row at it comes before.
            before = sum(1 for _, at in candidates if at == times[0]) - times.count(times[0])
        else:
            # The page lies within one time: count the rows before that time (rare, by ties alone).
            earlier = f"{self.timeline}__lt" if order[0] == self.timeline else f"{self.timeline}__gt"
            before = bottom - self.object_list.filter(**{earlier: times[0]}).count()
        return [pk for pk, _ in candidates[before : before + len(times)]]

    @cached_property
    def window(self) -> list[int]:
        return self.ids_at(self.bottom, self.per_page + 1)

    @cached_property
    def count(self):
        """The rows up to this page, and one more when another page follows."""
        return self.bottom + len(self.window)

    @property
    def has_more(self) -> bool:
        return len(self.window) > self.per_page

    @property
    def count_label(self) -> str:
        if self.has_more:
            return gettext("More than %(count)s %(rows)s") % {
                "count": format_count(self.bottom + self.per_page),
                "rows": self.nouns[1],
            }
        return f"{format_count(self.count)} {self.nouns[0] if self.count == 1 else self.nouns[1]}"

    def validate_number(self, number):
        number = super().validate_number(number)
        # Past LAST_POSITION: `num_pages`, divided in floats, can let such a number through.
        if number * self.per_page > LAST_POSITION:
            raise EmptyPage(self.error_messages["no_results"])
        return number

    def get_page(self, number):
        """Return the page, or the first when there is no such page: the last is not known without counting."""
        try:
            return self.page(number)
        except InvalidPage:
            return self.page(1)

    def page(self, number):
        number = self.validate_number(number)
        if number == self.number:
            ids = self.window[: self.per_page]
        else:
            ids = self.ids_at((number - 1) * self.per_page, self.per_page)
        rows = {row.pk: row for row in self.object_list.filter(pk__in=ids)}
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)


def effective_order(order_by) -> tuple[str, ...]:
    """Return the ordering that decides: each field's first mention (the admin appends the queryset's own)."""
    seen, effective = set(), []
    for entry in order_by:
        name = str(entry).lstrip("-")
        if name not in seen:
            seen.add(name)
            effective.append(str(entry))
    return tuple(effective)


class LookaheadPaging:
    """Admin mixin: page with `LookaheadPaginator`, its rows named by `count_nouns`.

    The list's templates show `cl.paginator.count_label` (see templates/admin/orders/_lookahead_*.html).
    """

    paginator = LookaheadPaginator
    count_nouns = ROWS

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        try:
            number = max(int(request.GET.get("p", 1)), 1)
        except ValueError:
            number = 1
        return self.paginator(
            queryset, per_page, orphans, allow_empty_first_page, number=number, nouns=self.count_nouns
        )


def count_capped(queryset: QuerySet, *, cap: int, column: str = "pk") -> int:
    """Count at most `cap + 1` rows: "more than `cap`" is all a screen needs to say of a long queue.

    Counting a `column` of an index (not the primary key) lets the database read the index alone.
    """
    return queryset.order_by().values(column)[: cap + 1].count()


def capped_label(count: int, *, cap: int) -> str:
    """Say a count taken by `count_capped`: "10,000+" once it passed the cap."""
    return f"{format_count(cap)}+" if count > cap else format_count(count)
