"""Django's date drill-down ("date hierarchy") without its scan of every row.

Django lists the years, months or days that have rows with a `SELECT DISTINCT` over every
matching row: on the unfiltered order list of a large account, a scan of the whole table on
every page view. `DateHierarchyFromRange` lists every period between the first and the last row
instead, read with one MIN/MAX that the lists' (account, time) indexes answer from their ends,
once a page (Django's tag asks for the span, then for its periods). A period inside the range
without rows is listed too, and opens an empty list.
"""

from datetime import date, datetime, timedelta
from functools import cache

from django.db.models import Max, Min, QuerySet
from django.utils import timezone


def periods_between(first, last, kind: str) -> list:
    """Every year, month or day (`kind`) from `first` to `last`, as the start of each, ascending."""
    as_date = isinstance(first, date) and not isinstance(first, datetime)
    make = date if as_date else datetime
    if kind == "year":
        return [make(year, 1, 1) for year in range(first.year, last.year + 1)]
    if kind == "month":
        months = range(first.year * 12 + first.month - 1, last.year * 12 + last.month)
        return [make(month // 12, month % 12 + 1, 1) for month in months]
    if kind == "day":
        start, end = (first, last) if as_date else (first.date(), last.date())
        days = [start + timedelta(days=offset) for offset in range((end - start).days + 1)]
        return days if as_date else [datetime(day.year, day.month, day.day) for day in days]
    raise ValueError(f"no period {kind!r}")


class RangeDatesQuerySet(QuerySet):
    """`dates()` and `datetimes()` from the rows' first and last value (see the module)."""

    def aggregate(self, *args, **kwargs):
        span = None if args else _span_of(kwargs)
        if span is None:
            return super().aggregate(*args, **kwargs)
        spans = self.__dict__.setdefault("_spans", {})  # this queryset's: a filtered one is another
        if span not in spans:
            spans[span] = super().aggregate(*args, **kwargs)
        return dict(spans[span])

    def _range(self, field_name: str, *, local: bool):
        span = self.aggregate(first=Min(field_name), last=Max(field_name))
        if span["first"] is None:
            return None, None
        if local:
            return tuple(
                timezone.localtime(value) if timezone.is_aware(value) else value for value in span.values()
            )
        return span["first"], span["last"]

    def datetimes(self, field_name, kind, order="ASC", tzinfo=None, **kwargs):
        first, last = self._range(field_name, local=True)
        return [] if first is None else _ordered(periods_between(first, last, kind), order)

    def dates(self, field_name, kind, order="ASC"):
        first, last = self._range(field_name, local=False)
        if first is None:
            return []
        if isinstance(first, datetime):
            first, last = first.date(), last.date()
        return _ordered(periods_between(first, last, kind), order)


def _span_of(aggregates: dict) -> str | None:
    """The field of `first=Min(field), last=Max(field)`, the span a date hierarchy reads; else None."""
    first, last = aggregates.get("first"), aggregates.get("last")
    if len(aggregates) != 2 or type(first) is not Min or type(last) is not Max:
        return None
    fields = {repr(expression.get_source_expressions()) for expression in (first, last)}
    return fields.pop() if len(fields) == 1 else None


def _ordered(periods: list, order: str) -> list:
    return list(reversed(periods)) if order == "DESC" else periods


@cache
def _with_range_dates(queryset_class: type) -> type:
    return type(f"RangeDates{queryset_class.__name__}", (RangeDatesQuerySet, queryset_class), {})


class DateHierarchyFromRange:
    """Admin mixin: the list's `date_hierarchy` without Django's DISTINCT scan (see the module)."""

    def get_changelist(self, request, **kwargs):
        base = super().get_changelist(request, **kwargs)

        class RangeDatesChangeList(base):
            def get_queryset(self, request, exclude_parameters=None):
                queryset = super().get_queryset(request, exclude_parameters)._chain()
                queryset.__class__ = _with_range_dates(type(queryset))
                return queryset

        return RangeDatesChangeList
