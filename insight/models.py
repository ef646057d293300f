"""The facts of every decided submission, and the daily rollups the dashboard reads.

A submission the rule decided (integrated, denied or held) leaves one `DecisionRecord`: what
the decision read and what came of it. Denied and held submissions never become orders, so
this is the one place where every decision can be counted and replayed. The daily rollups
are kept up to date in the transaction that writes the record, so the dashboard sums a few
thousand cells instead of scanning millions of orders.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from authorization.decision import Outcome
from authorization.models import ApprovalTask
from connectors.models import Connector
from orders.models import IntakeRecord, Order

NO_DIVERGENCE_BUCKET = -1
BUCKETS_PER_PERCENT = 2  # the divergence histogram counts in half-percent steps
LAST_BUCKET = 100 * BUCKETS_PER_PERCENT - 1


class DecisionRecord(models.Model):
    """What the rule read of one decided submission and what became of it; the replay's input."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="+", db_index=False
    )  # indexed first in a composite index below
    connector = models.ForeignKey(
        Connector, on_delete=models.CASCADE, related_name="+", verbose_name=_("connector")
    )
    intake = models.OneToOneField(IntakeRecord, on_delete=models.CASCADE, related_name="decision_record")
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    marketplace_order_id = models.CharField(_("marketplace's order"), max_length=100)
    decided_at = models.DateTimeField(_("decided at"))
    day = models.DateField(help_text="The day of the decision in the account's time zone.")
    # What the decision read.
    divergence_percent = models.DecimalField(max_digits=14, decimal_places=2)
    item_divergences = models.JSONField(default=list, help_text="Each item's divergence, as text.")
    allowance_percent = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="The order's priceDivergenceAllowanceRate as a percentage (counted only where honoured).",
    )
    ignore_divergence = models.BooleanField(default=False)
    paid_value_cents = models.BigIntegerField()
    seller_value_cents = models.BigIntegerField()
    items = models.JSONField(default=list, help_text="[[sku id, quantity, price, seller price]] in cents.")
    # What became of it.
    outcome = models.CharField(max_length=16, choices=[(outcome.value, outcome.value) for outcome in Outcome])
    route = models.CharField(max_length=24)
    reason = models.CharField(max_length=24)
    band_label = models.CharField(max_length=16, blank=True, help_text='The deciding band, "5.00-10.00".')
    divergence_bucket = models.SmallIntegerField(help_text="Half-percent step of |divergence|; -1 for none.")

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        indexes = [models.Index(fields=["account", "-decided_at"], name="decision_account_recent")]

    def __str__(self):
        return f"{self.marketplace_order_id}: {self.outcome}"


class DailyDecisionStat(models.Model):
    """How many submissions of one account, day and connector had one outcome, band and divergence step."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="+", db_index=False
    )  # indexed first in a composite index below
    day = models.DateField()
    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="+")
    outcome = models.CharField(max_length=16)
    band_label = models.CharField(max_length=16, blank=True)
    divergence_bucket = models.SmallIntegerField()
    count = models.BigIntegerField(default=0)
    paid_value_cents = models.BigIntegerField(default=0)
    seller_value_cents = models.BigIntegerField(default=0)

    KEY = ("account", "day", "connector", "outcome", "band_label", "divergence_bucket")
    SUMS = ("count", "paid_value_cents", "seller_value_cents")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "day", "connector", "outcome", "band_label", "divergence_bucket"],
                name="one_decision_stat_per_cell",
            )
        ]

    def __str__(self):
        return f"{self.day} {self.outcome} {self.band_label}: {self.count}"


class DailySkuStat(models.Model):
    """How often one SKU was sold at a divergent price on one day, and the money between the prices."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="+", db_index=False
    )  # indexed first in a composite index below
    day = models.DateField()
    sku_id = models.CharField(max_length=64)
    lines = models.BigIntegerField(default=0)
    divergent_lines = models.BigIntegerField(default=0)
    quantity = models.BigIntegerField(default=0)
    gap_cents = models.BigIntegerField(
        default=0, help_text="Σ (seller price − marketplace price) × quantity: positive when paid less."
    )

    KEY = ("account", "day", "sku_id")
    SUMS = ("lines", "divergent_lines", "quantity", "gap_cents")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "day", "sku_id"], name="one_sku_stat_per_day")
        ]

    def __str__(self):
        return f"{self.day} {self.sku_id}: {self.divergent_lines} of {self.lines}"


class QueuedOrder(models.Model):
    """An order waiting for manual authorization, narrowed to what the queue's pictures sum.

    Entered when processing holds the order, left when its status moves on (the event every
    transition writes). The orders themselves are wide rows, too slow to sum at the size a
    busy queue reaches; this narrow copy is what the pictures read (`bench/run dashboard`).
    """

    order = models.OneToOneField(Order, primary_key=True, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="+", db_index=False
    )  # indexed first in a composite index below
    task = models.ForeignKey(ApprovalTask, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    paid_value_cents = models.BigIntegerField()
    seller_value_cents = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["account", "created_at"], name="queued_order_oldest")]

    def __str__(self):
        return f"Order {self.order_id} waiting since {self.created_at}"


class Dashboard(models.Model):
    """No table: gives the dashboard its place in the admin's app list."""

    class Meta:
        managed = False
        default_permissions = ()
        verbose_name = verbose_name_plural = _("dashboard")

    def __str__(self):
        return "Dashboard"
