"""Connectors: the marketplace integrations that post a seller's orders."""

import json
import uuid

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Account

from . import crypto, egress
from .codes import status_name
from .rates import rate_validate


class ConnectorType(models.TextChoices):
    NATIVE = "native", _("Native (run by the platform)")
    CERTIFIED = "certified", _("Certified partner")
    EXTERNAL = "external", _("External marketplace")
    MARKETPLACE = "marketplace", _("Marketplace of the platform")
    OWN_STORE = "own-store", _("Own store / telesales")


class Connector(models.Model):
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="connectors", verbose_name=_("account")
    )
    name = models.CharField(_("name"), max_length=100)
    type = models.CharField(_("type"), max_length=16, choices=ConnectorType.choices)
    affiliate_id = models.CharField(
        _("affiliate id"),
        max_length=16,
        validators=[RegexValidator(r"^[A-Za-z0-9]+$", _("Letters and digits only, e.g. MKP."))],
        help_text=_("A short code, used as the prefix of this connector's order ids."),
    )
    endpoint = models.URLField(
        _("notification endpoint"),
        max_length=500,
        validators=[egress.url_validate],
        help_text=_(
            "Base URL; notifications go to {endpoint}/order-integration/notification/processing-result."
        ),
    )
    sales_channel = models.CharField(
        _("sales channel"), max_length=32, default="1", help_text=_("Trade policy of its orders.")
    )
    rate_limit = models.CharField(
        _("request rate"),
        max_length=20,
        blank=True,
        validators=[rate_validate],
        help_text=_(
            "Requests per second, minute or hour this connector may send, e.g. 200/s or 12000/min; above "
            "it the API answers 429 and the connector sends again later. Blank: the CONNECTOR_RATE_LIMIT "
            "setting; 0: no limit."
        ),
    )
    app_key = models.CharField(_("app key"), max_length=100, unique=True, editable=False)
    app_token_digest = models.CharField(max_length=64, editable=False)
    secret_encrypted = models.TextField(blank=True, editable=False)
    legacy_rate_percent = models.DecimalField(
        _("previous flow: price divergence rate (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    keep_previous_flow = models.BooleanField(
        _("keep the previous flow"),
        default=False,
        help_text=_("Keep the previous per-connector divergence flow for this connector."),
    )
    honour_allowance = models.BooleanField(
        _("honour connector allowance"),
        default=False,
        help_text=_(
            "Count a divergence up to the allowance rate the connector sends with the order as no divergence."
        ),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    failing_since = models.DateTimeField(
        _("failing since"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When a call to it first failed since the last that was delivered."),
    )
    failing_told_at = models.DateTimeField(
        _("Owners told at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When its Owners were e-mailed."),
    )
    history = HistoricalRecords(
        excluded_fields=["app_token_digest", "secret_encrypted", "failing_since", "failing_told_at"]
    )

    class Meta:
        verbose_name = _("connector")
        verbose_name_plural = _("connectors")
        ordering = ["account__name", "name"]
        permissions = [("manage_connectors", "Can manage connectors and resend notifications")]
        constraints = [
            models.UniqueConstraint(fields=["account", "affiliate_id"], name="unique_affiliate_per_account"),
            models.UniqueConstraint(fields=["account", "name"], name="unique_connector_name_per_account"),
            # What a submission's (connector, account) refers to: orders.IntakeRecord's foreign key.
            models.UniqueConstraint(fields=["id", "account"], name="connector_and_its_account"),
        ]

    def __str__(self):
        return f"{self.name} ({self.affiliate_id})"

    @property
    def has_secret(self) -> bool:
        return bool(self.secret_encrypted)

    @property
    def signing_secret(self) -> str:
        return crypto.decrypt(self.secret_encrypted)


class DeliveryState(models.TextChoices):
    """Where an outbox row owed to a connector stands (a notification, a hook delivery)."""

    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


def deferred_count_field():
    """Of an outbox row (a notification, a hook call): the tries the connector asked to defer."""
    return models.PositiveIntegerField(
        _("tries deferred"),
        default=0,
        help_text=_(
            "Tries the connector answered 429 or 503 with Retry-After: tried again when it asked, "
            "and not counted against the attempts."
        ),
    )


class Notification(models.Model):
    """A message owed to a connector: written in the transaction of the change it reports (the outbox)."""

    State = DeliveryState

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("account")
    )
    connector = models.ForeignKey(
        Connector, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("connector")
    )
    order = models.ForeignKey(  # indexed first in a composite index below
        "orders.Order",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notifications",
        db_index=False,
        verbose_name=_("order"),
    )
    intake = models.ForeignKey(
        "orders.IntakeRecord",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notifications",
        verbose_name=_("connection order"),
    )
    marketplace_order_id = models.CharField(_("marketplace order id"), max_length=100, blank=True)
    flow = models.CharField(_("flow"), max_length=16)
    code = models.CharField(_("code"), max_length=8)
    body = models.JSONField(_("body"))
    url = models.URLField(_("URL"), max_length=1000)
    idempotency_key = models.UUIDField(_("idempotency key"), default=uuid.uuid4, unique=True, editable=False)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.PENDING)
    attempt_count = models.PositiveIntegerField(_("attempts"), default=0)
    deferred_count = deferred_count_field()
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="notification_due",
                condition=models.Q(state="pending"),
            ),
            models.Index(fields=["order", "id"], name="notification_order_seq"),
        ]

    def __str__(self):
        return f"{self.code} {self.marketplace_order_id} → {self.connector}"


class NotificationAttempt(models.Model):
    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="attempts", verbose_name=_("notification")
    )
    attempted_at = models.DateTimeField(_("time"), default=timezone.now)
    http_status = models.PositiveIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    class Meta:
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        ordering = ["attempted_at", "pk"]

    def __str__(self):
        return f"{self.http_status or self.error} · {attempt_time(self.attempted_at)}"


def attempt_time(moment) -> str:
    """When an attempt was made, as the reader's language writes a date and time."""
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


# Order status changes for connectors: a feed they read and commit, and a hook that is called.
# Both are filled from the order's events, in the transaction that writes the event (an outbox).


class FeedConfig(models.Model):
    """A connector's feed of its orders' status changes (one per connector, as one per app key)."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="feed_configs", verbose_name=_("account")
    )
    connector = models.OneToOneField(
        Connector, on_delete=models.CASCADE, related_name="feed_config", verbose_name=_("connector")
    )
    statuses = models.JSONField(
        _("statuses"), default=list, help_text=_("The statuses whose changes enter the feed.")
    )
    visibility_timeout_seconds = models.PositiveIntegerField(
        _("invisible after a read (s)"),
        default=250,
        help_text=_("How long an item read stays invisible before it comes back, unless committed."),
    )
    retention_seconds = models.PositiveIntegerField(
        _("kept uncommitted (s)"),
        default=345600,
        help_text=_("How long an item stays in the feed when nobody commits it."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("order feed")
        verbose_name_plural = _("order feeds")
        ordering = ["account__name", "connector__name"]

    def __str__(self):
        return _("Feed of %(connector)s") % {"connector": self.connector}


class FeedItem(models.Model):
    """One status change waiting in a feed until the connector commits its handle."""

    feed = models.ForeignKey(FeedConfig, on_delete=models.CASCADE, related_name="items")
    event = models.ForeignKey("orders.OrderEvent", on_delete=models.CASCADE, related_name="+")
    event_uid = models.CharField(
        "event id", max_length=32, db_index=True, help_text="The eventId the connector sees."
    )
    handle = models.CharField(max_length=64, unique=True)
    body = models.JSONField()
    visible_after = models.DateTimeField(default=timezone.now)
    receive_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["feed", "event"], name="one_feed_item_per_event")]
        indexes = [models.Index(fields=["feed", "visible_after"], name="feed_item_visible")]

    def __str__(self):
        return f"{self.body.get('orderId')} {status_name(self.body.get('state') or '')}"


class HookConfig(models.Model):
    """A connector's hook: the URL called with each status change of its orders (one per connector)."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="hook_configs", verbose_name=_("account")
    )
    connector = models.OneToOneField(
        Connector, on_delete=models.CASCADE, related_name="hook_config", verbose_name=_("connector")
    )
    statuses = models.JSONField(
        _("statuses"), default=list, help_text=_("The statuses whose changes are sent.")
    )
    url = models.URLField(_("URL"), max_length=1000)
    headers_encrypted = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("order hook")
        verbose_name_plural = _("order hooks")
        ordering = ["account__name", "connector__name"]

    def __str__(self):
        return _("Hook of %(connector)s") % {"connector": self.connector}

    @property
    def headers(self) -> dict:
        """The headers sent with every call; stored encrypted, as they often carry a credential."""
        plain = crypto.decrypt(self.headers_encrypted)
        return json.loads(plain) if plain else {}


class HookDelivery(models.Model):
    """A status change owed to a connector's hook: delivered at least once, every attempt kept."""

    State = DeliveryState

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="hook_deliveries", verbose_name=_("account")
    )
    connector = models.ForeignKey(
        Connector, on_delete=models.CASCADE, related_name="hook_deliveries", verbose_name=_("connector")
    )
    hook = models.ForeignKey(
        HookConfig,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
        verbose_name=_("order hook"),
    )
    order = models.ForeignKey(
        "orders.Order", on_delete=models.CASCADE, related_name="hook_deliveries", verbose_name=_("order")
    )
    event = models.ForeignKey("orders.OrderEvent", on_delete=models.CASCADE, related_name="+")
    event_uid = models.CharField(
        _("event id"), max_length=32, db_index=True, help_text=_("The event id the connector sees.")
    )
    body = models.JSONField(_("body"))
    url = models.URLField(_("URL"), max_length=1000, help_text=_("Where it was last sent."))
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.PENDING)
    attempt_count = models.PositiveIntegerField(_("attempts"), default=0)
    deferred_count = deferred_count_field()
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("hook delivery")
        verbose_name_plural = _("hook deliveries")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["connector", "event"], name="one_hook_delivery_per_event")
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="hook_delivery_due", condition=models.Q(state="pending")
            ),
            models.Index(fields=["order", "id"], name="hook_delivery_order_seq"),
        ]

    def __str__(self):
        return f"{self.body.get('OrderId')} {status_name(self.body.get('State') or '')} → {self.connector}"


class HookAttempt(models.Model):
    delivery = models.ForeignKey(
        HookDelivery, on_delete=models.CASCADE, related_name="attempts", verbose_name=_("hook delivery")
    )
    attempted_at = models.DateTimeField(_("time"), default=timezone.now)
    url = models.URLField(_("URL"), max_length=1000)
    http_status = models.PositiveIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    class Meta:
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        ordering = ["attempted_at", "pk"]

    def __str__(self):
        return f"{self.http_status or self.error} · {attempt_time(self.attempted_at)}"
