"""Orders, the intake records of every submission, and each order's event log."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy

from accounts.models import Account
from catalog.models import PickupPoint, ShippingPolicy, Sku, Stock
from connectors.models import Connector

from .statuses import Flow, IntakeStatus, OrderStatus


class IntakeRecord(models.Model):
    """One submission from a connector, kept whether or not it became an order ("connection orders")."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="intake_records", db_index=False
    )  # indexed first in a composite index below
    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="intake_records")
    flow = models.CharField(max_length=16, choices=Flow.choices, default=Flow.PLACE_ORDER)
    marketplace_order_id = models.CharField(max_length=100, db_index=True)
    body = models.JSONField()
    body_digest = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=IntakeStatus.choices, default=IntakeStatus.RECEIVED)
    code = models.CharField(max_length=8, blank=True)
    errors = models.JSONField(default=list, blank=True)
    held_reason = models.TextField(blank=True)
    held_until_rule = models.BooleanField(
        default=False, help_text="Held because the account has no rule yet: reprocessed when it gets one."
    )
    operation_id = models.UUIDField(default=uuid.uuid4, editable=False)
    order = models.ForeignKey(
        "Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="intake_records"
    )
    ignore_divergence = models.BooleanField(
        default=False,
        help_text="Set by 'ignore divergence and reprocess': integrate whatever the divergence.",
    )
    reprocessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reprocessed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "connection order"
        ordering = ["-received_at", "-pk"]
        permissions = [("reprocess_intake", "Can reprocess connection orders")]
        constraints = [
            # An exact replay of a placed order starts nothing; approvals may be sent again and again.
            models.UniqueConstraint(
                fields=["connector", "body_digest"],
                condition=models.Q(flow=Flow.PLACE_ORDER),
                name="one_intake_per_identical_order_body",
            )
        ]
        indexes = [
            models.Index(fields=["status", "received_at"], name="intake_status_received"),
            models.Index(fields=["account", "-received_at"], name="intake_account_recent"),
        ]

    def __str__(self):
        return f"{self.connector.affiliate_id} {self.marketplace_order_id} ({self.get_status_display()})"


class Order(models.Model):
    """An integrated order: what the connector posted, what it is worth to the seller, and the decision."""

    # Both indexed first in composite indexes below (and constraints).
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="orders", db_index=False)
    connector = models.ForeignKey(Connector, on_delete=models.PROTECT, related_name="orders", db_index=False)
    marketplace_order_id = models.CharField(max_length=100)
    main_order_id = models.CharField(max_length=140)
    franchise_account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.PROTECT, related_name="franchise_orders"
    )
    franchise_order_id = models.CharField(max_length=160, blank=True)
    status = models.CharField(max_length=40, choices=OrderStatus.choices)
    marketplace_approved = models.BooleanField(
        default=False,
        help_text="The marketplace approved the order (posted approved, or PUT status approved).",
    )
    approval_requested_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the connector asked to approve while authorization was pending.",
    )
    payload = models.JSONField()
    payment_value_cents = models.BigIntegerField()
    interest_cents = models.BigIntegerField(default=0)
    tax_cents = models.BigIntegerField(default=0)
    marketplace_freight_cents = models.BigIntegerField(default=0)
    paid_value_cents = models.BigIntegerField()
    seller_value_cents = models.BigIntegerField()
    divergence_percent = models.DecimalField(max_digits=14, decimal_places=2)
    allowance_rate = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)
    outcome = models.CharField(max_length=20)
    decision_route = models.CharField(
        max_length=24,
        blank=True,
        help_text=gettext_lazy(
            "The way the order went before the bands; empty when the divergence was ignored on reprocessing."
        ),
    )
    decision_reason = models.CharField(max_length=40, help_text=gettext_lazy("Why the decision came out so."))
    band = models.JSONField(null=True, blank=True, help_text="The band that decided, as it was.")
    rule_snapshot = models.JSONField(default=list, blank=True, help_text="Every band of the rule, as it was.")
    customer_email = models.CharField(max_length=254, blank=True)
    customer_name = models.CharField(max_length=200, blank=True)
    reservation_expires_at = models.DateTimeField(null=True, blank=True)
    reservation_released_at = models.DateTimeField(null=True, blank=True)
    reservation_expired = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("decide_order", "Can approve or deny orders held for manual authorization"),
            ("handle_order", "Can start handling and invoice orders"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["connector", "marketplace_order_id"], name="one_order_per_marketplace_order"
            ),
            models.UniqueConstraint(fields=["account", "main_order_id"], name="unique_main_order_id"),
        ]
        indexes = [
            models.Index(fields=["account", "-created_at"], name="order_account_recent"),
            models.Index(fields=["account", "status", "created_at"], name="order_account_status"),
            models.Index(
                fields=["account", "created_at"],
                name="order_waiting_oldest",
                condition=models.Q(status=OrderStatus.WAITING_FOR_MANUAL_AUTHORIZATION),
            ),
            # A page of the queue, however deep, and "needs my decision" (the band's approvers)
            # read from this index alone, in the queue's order (created_at, id): no sort, no
            # table rows skipped over (bench/run queue).
            models.Index(
                fields=["account", "created_at", "id", "band"],
                name="order_waiting_page",
                condition=models.Q(status=OrderStatus.WAITING_FOR_MANUAL_AUTHORIZATION),
            ),
        ]

    def __str__(self):
        return self.main_order_id

    def permits(self, user, perm: str) -> bool:
        """Add the order's own condition to the user's role: only the band's approvers decide it.

        Called by the permission backend; the approvers are those of the band as it was when the
        order was held, so a later edit of the rule neither adds nor removes deciders.
        """
        if perm != "orders.decide_order":
            return True
        approvers = {email.lower() for email in (self.band or {}).get("approvers") or []}
        return bool(user.email) and user.email.lower() in approvers

    @property
    def route_and_reason(self) -> str:
        """The decision as the API, the exports and the OMS name it: "route:reason", or the reason alone."""
        return (
            f"{self.decision_route}:{self.decision_reason}" if self.decision_route else self.decision_reason
        )

    @property
    def holds_reservation(self) -> bool:
        return self.reservation_released_at is None and self.status not in (
            OrderStatus.CANCELED,
            OrderStatus.INVOICED,
        )


class WaitingOrderManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(status=OrderStatus.WAITING_FOR_MANUAL_AUTHORIZATION)


class WaitingOrder(Order):
    """The orders waiting for manual authorization: the approvers' queue in the admin."""

    objects = WaitingOrderManager()

    class Meta:
        proxy = True
        ordering = ["created_at", "pk"]
        verbose_name = "order waiting for manual authorization"
        verbose_name_plural = "waiting for manual authorization"


class BulkDecision(models.Model):
    """Approving or denying many orders from the queue at once, run by a worker, and what became of each."""

    class Action(models.TextChoices):
        APPROVE = "approve", "Approve"
        DENY = "deny", "Deny"

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to start"
        RUNNING = "running", "Running"
        DONE = "done", "Done"

    account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="bulk_decisions",
        help_text="The account of the orders; empty when the selection spans several accounts.",
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=8, choices=Action.choices)
    reason_code = models.CharField(max_length=16, blank=True)
    note = models.TextField(blank=True)
    order_ids = models.JSONField(
        default=list, help_text="The selected orders, in the order they are decided."
    )
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    results = models.JSONField(
        default=list, blank=True, help_text="[{order, main_order_id, ok, message}] of every order decided."
    )
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.get_action_display()} {self.total} orders ({self.get_state_display()})"


class OrderItem(models.Model):
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="items", db_index=False
    )  # indexed first in a composite index below
    index = models.PositiveIntegerField()
    catalog_sku = models.ForeignKey(Sku, null=True, on_delete=models.SET_NULL, related_name="+")
    sku_id = models.CharField(max_length=64)
    name = models.CharField(max_length=200, blank=True)
    quantity = models.PositiveIntegerField()
    price_cents = models.BigIntegerField(help_text="Marketplace unit price, discounts applied.")
    seller_price_cents = models.BigIntegerField(help_text="Catalog unit price when the order was priced.")
    freight_cents = models.BigIntegerField(default=0, help_text="Freight the order declares for this item.")
    seller_freight_cents = models.BigIntegerField(default=0, help_text="Seller freight for this item line.")
    delivery_channel = models.CharField(max_length=20)
    sla = models.CharField(max_length=64, blank=True)
    shipping_policy = models.ForeignKey(ShippingPolicy, null=True, blank=True, on_delete=models.SET_NULL)
    pickup_point = models.ForeignKey(PickupPoint, null=True, blank=True, on_delete=models.SET_NULL)
    stock = models.ForeignKey(Stock, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reserved_quantity = models.PositiveIntegerField(default=0)
    divergence_percent = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    class Meta:
        ordering = ["order", "index"]
        constraints = [models.UniqueConstraint(fields=["order", "index"], name="one_item_per_index")]

    def __str__(self):
        return f"{self.sku_id} × {self.quantity}"


class OrderEvent(models.Model):
    """An append-only line of an order's history: who or what did what, when, from which status to which."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        STATUS = "status", "Status changed"
        DECISION = "decision", "Decision"
        APPROVAL_REQUESTED = "approval-requested", "Marketplace asked to approve"
        RESERVATION = "reservation", "Stock reservation"
        NOTE = "note", "Note"

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="events", db_index=False
    )  # indexed first in a composite index below
    kind = models.CharField(max_length=24, choices=Kind.choices)
    from_status = models.CharField(max_length=40, blank=True)
    to_status = models.CharField(max_length=40, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200, help_text="The user, connector or system that acted.")
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["order", "created_at"], name="event_order_time")]

    def __str__(self):
        return f"{self.order} {self.get_kind_display()} by {self.actor_label}"

    @property
    def account_id(self):
        return self.order.account_id
