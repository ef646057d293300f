"""Connectors: the marketplace integrations that post a seller's orders."""

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from simple_history.models import HistoricalRecords

from authorization.models import Account

from . import crypto


class ConnectorType(models.TextChoices):
    NATIVE = "native", "Native (run by the platform)"
    CERTIFIED = "certified", "Certified partner"
    EXTERNAL = "external", "External marketplace"
    MARKETPLACE = "marketplace", "Marketplace of the platform"
    OWN_STORE = "own-store", "Own store / telesales"


class Connector(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="connectors")
    name = models.CharField(max_length=100)
    type = models.CharField(max_length=16, choices=ConnectorType.choices)
    affiliate_id = models.CharField(
        max_length=16,
        validators=[RegexValidator(r"^[A-Za-z0-9]+$", "Letters and digits only, e.g. MKP.")],
        help_text="A short code, used as the prefix of this connector's order ids.",
    )
    endpoint = models.URLField(
        "notification endpoint",
        max_length=500,
        help_text="Base URL; notifications go to {endpoint}/order-integration/notification/processing-result.",
    )
    sales_channel = models.CharField(max_length=32, default="1", help_text="Trade policy of its orders.")
    app_key = models.CharField(max_length=100, unique=True, editable=False)
    app_token_digest = models.CharField(max_length=64, editable=False)
    secret_encrypted = models.TextField(blank=True, editable=False)
    legacy_rate_percent = models.DecimalField(
        "previous flow: price divergence rate (%)",
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    keep_previous_flow = models.BooleanField(
        default=False, help_text="Keep the previous per-connector divergence flow for this connector."
    )
    honour_allowance = models.BooleanField(
        "honour connector allowance",
        default=False,
        help_text="Count |divergence| up to the order's priceDivergenceAllowanceRate as no divergence.",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["app_token_digest", "secret_encrypted"])

    class Meta:
        ordering = ["account__name", "name"]
        permissions = [("manage_connectors", "Can manage connectors and resend notifications")]
        constraints = [
            models.UniqueConstraint(fields=["account", "affiliate_id"], name="unique_affiliate_per_account"),
            models.UniqueConstraint(fields=["account", "name"], name="unique_connector_name_per_account"),
        ]

    def __str__(self):
        return f"{self.name} ({self.affiliate_id})"

    @property
    def has_secret(self) -> bool:
        return bool(self.secret_encrypted)

    @property
    def signing_secret(self) -> str:
        return crypto.decrypt(self.secret_encrypted)
