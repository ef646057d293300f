"""Filters of the seller order list: status, connector, creation date range."""

import datetime
import zoneinfo

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone

from kit.dates import DATE_FORMAT_HINT, date_or_datetime

from .models import Order
from .statuses import OrderStatus


class DateOrDateTimeField(forms.Field):
    """An ISO 8601 date (`2026-05-01`) or date-time (`2026-05-01T12:00:00Z`), in `kit.dates`' years."""

    default_error_messages = {"invalid": f"Enter {DATE_FORMAT_HINT}."}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return date_or_datetime(str(value).strip())
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class DateOrDateTimeFilter(django_filters.CharFilter):
    field_class = DateOrDateTimeField


class OrderFilter(django_filters.FilterSet):
    """A date alone means the whole day in the account's time zone; both ends are inclusive."""

    # No DISTINCT: status is the order's own column, so no order can appear twice, and a
    # DISTINCT over every column (the payload too) makes a page of a long list cost many
    # times more (bench/run queue).
    status = django_filters.MultipleChoiceFilter(
        choices=OrderStatus.choices,
        distinct=False,
        help_text="One or more statuses: ?status=payment-pending&status=handling.",
    )
    connector = django_filters.CharFilter(
        method="filter_connector", help_text="The connector's affiliate id (MKP) or name."
    )
    createdFrom = DateOrDateTimeFilter(
        method="filter_created_from",
        help_text=f"Created at or after this date or date-time: {DATE_FORMAT_HINT}.",
    )
    createdTo = DateOrDateTimeFilter(
        method="filter_created_to",
        help_text=f"Created at or before this date-time, or on or before this date: {DATE_FORMAT_HINT}.",
    )

    class Meta:
        model = Order
        fields = ["status", "connector", "createdFrom", "createdTo"]

    def __init__(self, *args, account=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account

    def _moment(self, value, *, next_day=False) -> datetime.datetime:
        if isinstance(value, datetime.datetime):
            return value if timezone.is_aware(value) else timezone.make_aware(value, self._time_zone())
        day = value + datetime.timedelta(days=1) if next_day else value
        return datetime.datetime.combine(day, datetime.time.min, tzinfo=self._time_zone())

    def _time_zone(self):
        try:
            return (
                zoneinfo.ZoneInfo(self.account.time_zone) if self.account else timezone.get_current_timezone()
            )
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return timezone.get_current_timezone()

    def filter_connector(self, queryset, name, value):
        return queryset.filter(Q(connector__affiliate_id__iexact=value) | Q(connector__name__iexact=value))

    def filter_created_from(self, queryset, name, value):
        return queryset.filter(created_at__gte=self._moment(value))

    def filter_created_to(self, queryset, name, value):
        if isinstance(value, datetime.datetime):
            return queryset.filter(created_at__lte=self._moment(value))
        return queryset.filter(created_at__lt=self._moment(value, next_day=True))
