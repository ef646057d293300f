"""What the dashboard reads: sums of the daily rollups, the waiting queue, the approvers' decisions.

Every read is one aggregate query answered by the database; none grows with the number of
orders except the queue, which reads the narrow copy of the waiting orders (`QueuedOrder`).
"""

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import (
    Avg,
    Case,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Min,
    Q,
    Sum,
    Value,
    When,
)
from django.utils.translation import gettext_lazy as _

from authorization.models import ApprovalTask
from catalog.models import Sku

from .models import NO_DIVERGENCE_BUCKET, DailyDecisionStat, DailySkuStat, QueuedOrder


@dataclass(frozen=True)
class Period:
    """Whole days from `first` to `last`, both included, in the account's time zone."""

    first: date
    last: date
    zone: zoneinfo.ZoneInfo

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.first, time.min, tzinfo=self.zone)

    @property
    def ends_before(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=self.zone)

    def each_day(self) -> list[date]:
        return [self.first + timedelta(days=offset) for offset in range(self.days)]


def _stats(account, period: Period):
    return DailyDecisionStat.objects.filter(account=account, day__gte=period.first, day__lte=period.last)


@dataclass(frozen=True)
class DayCell:
    day: date
    outcome: str
    band_label: str
    count: int
    paid_value_cents: int


def decisions_by_day(*, account, period: Period) -> list[DayCell]:
    """Return how many submissions each outcome and band decided, day by day."""
    rows = (
        _stats(account, period)
        .values("day", "outcome", "band_label")
        .annotate(total=Sum("count"), paid=Sum("paid_value_cents"))
        .order_by("day", "outcome", "band_label")
    )
    return [
        DayCell(row["day"], row["outcome"], row["band_label"], row["total"], row["paid"])
        for row in rows
        if row["total"]
    ]


@dataclass(frozen=True)
class DivergenceSteps:
    counts: dict[int, int]  # {half-percent step of |divergence|: submissions}; step -1: without divergence
    gap_cents: int  # Σ (seller value − paid value) of the divergent ones


def divergence_steps(*, account, period: Period) -> DivergenceSteps:
    """Return how many submissions diverged by how much, and the money between the seller's value and the
    paid value of those that diverged."""
    rows = (
        _stats(account, period)
        .values("divergence_bucket")
        .annotate(total=Sum("count"), gap=Sum(F("seller_value_cents") - F("paid_value_cents")))
    )
    counts, gap = {}, 0
    for row in rows:
        if row["total"]:
            counts[row["divergence_bucket"]] = row["total"]
        if row["divergence_bucket"] != NO_DIVERGENCE_BUCKET:
            gap += row["gap"] or 0
    return DivergenceSteps(counts, gap)


@dataclass(frozen=True)
class DivergenceSource:
    label: str
    decided: int
    divergent: int
    gap_cents: int  # Σ (seller value − paid value) of the divergent ones


def connectors_by_divergence(*, account, period: Period, limit: int = 10) -> list[DivergenceSource]:
    """Return the connectors with the most divergent submissions, most first."""
    divergent = Q(divergence_bucket__gte=0)
    rows = (
        _stats(account, period)
        .values("connector", "connector__name", "connector__affiliate_id")
        .annotate(
            decided=Sum("count"),
            divergent=Sum("count", filter=divergent, default=0),
            gap=Sum(F("seller_value_cents") - F("paid_value_cents"), filter=divergent, default=0),
        )
        .filter(divergent__gt=0)
        .order_by("-divergent", "-gap", "connector__name")[:limit]
    )
    return [
        DivergenceSource(
            f"{row['connector__name']} ({row['connector__affiliate_id']})",
            row["decided"],
            row["divergent"],
            row["gap"],
        )
        for row in rows
    ]


def skus_by_divergence(*, account, period: Period, limit: int = 10) -> list[DivergenceSource]:
    """Return the SKUs most often sold at a divergent price, most first."""
    rows = list(
        DailySkuStat.objects.filter(account=account, day__gte=period.first, day__lte=period.last)
        .values("sku_id")
        .annotate(lines=Sum("lines"), divergent=Sum("divergent_lines"), gap=Sum("gap_cents"))
        .filter(divergent__gt=0)
        .order_by("-divergent", "-gap", "sku_id")[:limit]
    )
    names = dict(
        Sku.objects.filter(account=account, sku_id__in=[row["sku_id"] for row in rows]).values_list(
            "sku_id", "name"
        )
    )
    return [
        DivergenceSource(
            f"{row['sku_id']} {names[row['sku_id']]}" if names.get(row["sku_id"]) else row["sku_id"],
            row["lines"],
            row["divergent"],
            row["gap"],
        )
        for row in rows
    ]


# The waiting queue ----------------------------------------------------------------------------

AGE_LIMITS = (  # (label, waiting less than)
    (_("under 1 hour"), timedelta(hours=1)),
    (_("1–4 hours"), timedelta(hours=4)),
    (_("4–24 hours"), timedelta(hours=24)),
    (_("1–3 days"), timedelta(days=3)),
    (_("3 days or more"), None),
)


@dataclass(frozen=True)
class QueueCell:
    age: int  # index in AGE_LIMITS
    level: int  # approver level notified last; -1 before the first
    count: int
    paid_value_cents: int
    seller_value_cents: int
    oldest: datetime


def queue_by_age(*, account, now: datetime) -> list[QueueCell]:
    """Return the orders waiting for manual authorization by age and approver level."""
    whens = [
        When(created_at__gt=now - limit, then=Value(index))
        for index, (_, limit) in enumerate(AGE_LIMITS)
        if limit is not None
    ]
    rows = (
        QueuedOrder.objects.filter(account=account)
        .annotate(
            age=Case(*whens, default=Value(len(AGE_LIMITS) - 1), output_field=IntegerField()),
            approver_level=F("task__level"),
        )
        .values("age", "approver_level")
        .annotate(
            orders=Count("pk"),
            paid=Sum("paid_value_cents"),
            seller=Sum("seller_value_cents"),
            oldest=Min("created_at"),
        )
        .order_by("age", "approver_level")
    )
    return [
        QueueCell(
            row["age"],
            -1 if row["approver_level"] is None else row["approver_level"],
            row["orders"],
            row["paid"],
            row["seller"],
            row["oldest"],
        )
        for row in rows
    ]


# The approvers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApproverTimes:
    email: str
    approved: int
    denied: int
    average: timedelta
    longest: timedelta

    @property
    def decisions(self) -> int:
        return self.approved + self.denied


def approver_times(*, account, period: Period) -> list[ApproverTimes]:
    """Return, per approver, the orders decided in the period and how long they had waited."""
    waited = ExpressionWrapper(F("decided_at") - F("created_at"), output_field=DurationField())
    rows = (
        ApprovalTask.objects.filter(
            account=account,
            decided_at__gte=period.starts_at,
            decided_at__lt=period.ends_before,
            decided_by__isnull=False,
        )
        .values("decided_by__email")
        .annotate(
            approved=Count("pk", filter=Q(decision=ApprovalTask.Decision.APPROVED)),
            denied=Count("pk", filter=Q(decision=ApprovalTask.Decision.DENIED)),
            average=Avg(waited),
            longest=Max(waited),
        )
        .order_by("-average", "decided_by__email")
    )
    return [
        ApproverTimes(
            row["decided_by__email"] or str(_("(no e-mail)")),
            row["approved"],
            row["denied"],
            _duration(row["average"]),
            _duration(row["longest"]),
        )
        for row in rows
    ]


def _duration(value) -> timedelta:
    """Accept what each database gives for a duration aggregate: a timedelta, or microseconds."""
    if value is None:
        return timedelta(0)
    if isinstance(value, timedelta):
        return value
    return timedelta(microseconds=float(value))


@dataclass(frozen=True)
class DivergenceTotals:
    """The money between the seller's prices and what was paid, for whole orders and for item lines.

    When the item lines account for less of it than the orders, the rest diverged in the orders'
    totals (freight, taxes, a discount or fee on the whole order), not in an item's price.
    """

    divergent_orders: int
    order_gap_cents: int  # Σ (seller value − paid value) of the divergent orders
    divergent_lines: int
    item_gap_cents: int  # Σ (seller price − marketplace price) × quantity of every item line

    @property
    def outside_items_cents(self) -> int:
        return self.order_gap_cents - self.item_gap_cents


def divergence_totals(*, account, period: Period, steps: DivergenceSteps) -> DivergenceTotals:
    """Return how much the divergent orders (`steps`) and the item lines of the period diverged."""
    divergent = sum(number for step, number in steps.counts.items() if step >= 0)
    items = DailySkuStat.objects.filter(
        account=account, day__gte=period.first, day__lte=period.last
    ).aggregate(divergent=Sum("divergent_lines", default=0), gap=Sum("gap_cents", default=0))
    return DivergenceTotals(divergent, steps.gap_cents, items["divergent"], items["gap"])
