"""The manual-authorization queue's filters: needs my decision, time waiting, stock reservation,
divergence range."""

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from accounts.admin_base import AccountScopedRelatedFilter

from ..selectors import awaiting_decision_by

FILTER_TEMPLATE = "admin/orders/filter.html"


class Titled:
    """A filter headed by its title alone ("Needs my decision"), not Django's "By needs my decision"."""

    template = FILTER_TEMPLATE


class StatusFilter(Titled, admin.ChoicesFieldListFilter):
    pass


class ConnectorFilter(Titled, AccountScopedRelatedFilter):
    """The connectors of the user's accounts only."""


class NeedsMyDecisionFilter(Titled, admin.SimpleListFilter):
    title = _("needs my decision")
    parameter_name = "mine"

    def lookups(self, request, model_admin):
        return [("yes", _("Needs my decision"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return awaiting_decision_by(queryset, user=request.user)
        return queryset


class AgeFilter(Titled, admin.SimpleListFilter):
    title = _("time waiting")
    parameter_name = "age"
    BOUNDS = {
        "lt1h": (None, timedelta(hours=1)),
        "1h-4h": (timedelta(hours=1), timedelta(hours=4)),
        "4h-1d": (timedelta(hours=4), timedelta(days=1)),
        "gt1d": (timedelta(days=1), None),
        "gt3d": (timedelta(days=3), None),
    }

    def lookups(self, request, model_admin):
        return [
            ("lt1h", _("Less than 1 hour")),
            ("1h-4h", _("1 to 4 hours")),
            ("4h-1d", _("4 hours to 1 day")),
            ("gt1d", _("More than 1 day")),
            ("gt3d", _("More than 3 days")),
        ]

    def queryset(self, request, queryset):
        if self.value() not in self.BOUNDS:
            return queryset
        least, most = self.BOUNDS[self.value()]
        now = timezone.now()
        if least is not None:
            queryset = queryset.filter(created_at__lte=now - least)
        if most is not None:
            queryset = queryset.filter(created_at__gt=now - most)
        return queryset


class ReservationFilter(Titled, admin.SimpleListFilter):
    title = _("stock reservation")
    parameter_name = "reservation"

    def lookups(self, request, model_admin):
        return [
            ("expired", pgettext_lazy("stock reservation", "Expired")),
            ("held", pgettext_lazy("stock reservation", "Held")),
        ]

    def queryset(self, request, queryset):
        expired = Q(reservation_expired=True) | Q(
            reservation_released_at__isnull=True, reservation_expires_at__lte=timezone.now()
        )
        if self.value() == "expired":
            return queryset.filter(expired)
        if self.value() == "held":
            return queryset.exclude(expired)
        return queryset


class DivergenceRangeFilter(admin.ListFilter):
    """Orders whose divergence, either sign, lies between two percentages (both ends included)."""

    title = _("divergence (%, either sign)")
    template = "admin/orders/waitingorder/range_filter.html"
    parameters = ("divergence_from", "divergence_to")

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.raw, self.bounds = {}, {}
        for name in self.parameters:
            if name in params:
                value = params.pop(name)
                value = value[-1] if isinstance(value, list) else value
                self.raw[name] = value
                self.used_parameters[name] = value
                try:
                    number = Decimal(str(value).replace(",", ".").strip().rstrip("%"))
                except InvalidOperation:
                    raise IncorrectLookupParameters(
                        gettext("%(value)s is not a number") % {"value": value}
                    ) from None
                if number.is_finite():
                    self.bounds[name] = abs(number)

    def has_output(self):
        return True

    def expected_parameters(self):
        return list(self.parameters)

    def queryset(self, request, queryset):
        least, most = self.bounds.get("divergence_from"), self.bounds.get("divergence_to")
        if least is not None:
            queryset = queryset.filter(Q(divergence_percent__gte=least) | Q(divergence_percent__lte=-least))
        if most is not None:
            queryset = queryset.filter(divergence_percent__lte=most, divergence_percent__gte=-most)
        return queryset

    def choices(self, changelist):
        kept = [
            (name, value)
            for name, value in changelist.params.items()
            if name not in self.parameters and name != "p"
        ]
        yield {
            "kept": kept,
            "from": self.raw.get("divergence_from", ""),
            "to": self.raw.get("divergence_to", ""),
            "clear": changelist.get_query_string(remove=[*self.parameters, "p"]),
            "active": bool(self.raw),
        }
