"""An order: what the connector posted, what it is worth to the seller, the decision, its items and events."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.absences import covered_by
from accounts.models import Account
from catalog.models import PickupPoint, ShippingPolicy, Sku, Stock
from connectors.models import Connector

from ..statuses import OrderStatus


class Order(models.Model):
    """An integrated order: what the connector posted, what it is worth to the seller, and the decision."""

    # Both indexed first in composite indexes below (and constraints).
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="orders", db_index=False, verbose_name=_("account")
    )
    connector = models.ForeignKey(
        Connector,
        on_delete=models.PROTECT,
        related_name="orders",
        db_index=False,
        verbose_name=_("connector"),
    )
    marketplace_order_id = models.CharField(max_length=100, verbose_name=_("marketplace order"))
    main_order_id = models.CharField(max_length=140, verbose_name=_("order number"))
    franchise_account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="franchise_orders",
        verbose_name=_("franchise account"),
    )
    franchise_order_id = models.CharField(max_length=160, blank=True, verbose_name=_("franchise order"))
    status = models.CharField(max_length=40, choices=OrderStatus.choices, verbose_name=_("status"))
    marketplace_approved = models.BooleanField(
        default=False,
        help_text=_("The marketplace approved the order (posted approved, or PUT status approved)."),
        verbose_name=_("approved by the marketplace"),
    )
    approval_requested_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("When the connector asked to approve while authorization was pending."),
        verbose_name=_("approval asked for"),
    )
    payload = models.JSONField(verbose_name=_("order as received"))
    payment_value_cents = models.BigIntegerField(verbose_name=_("payment value"))
    interest_cents = models.BigIntegerField(default=0, verbose_name=_("interest"))
    tax_cents = models.BigIntegerField(default=0, verbose_name=_("taxes"))
    marketplace_freight_cents = models.BigIntegerField(default=0, verbose_name=_("marketplace freight"))
    paid_value_cents = models.BigIntegerField(verbose_name=_("paid value"))
    seller_value_cents = models.BigIntegerField(verbose_name=_("seller value"))
    divergence_percent = models.DecimalField(max_digits=14, decimal_places=2, verbose_name=_("divergence"))
    allowance_rate = models.DecimalField(
        max_digits=7, decimal_places=4, null=True, blank=True, verbose_name=_("allowance rate")
    )
    outcome = models.CharField(max_length=20, verbose_name=_("outcome"))
    decision_route = models.CharField(
        max_length=24,
        blank=True,
        help_text=_(
            "The way the order went before the bands; empty when the divergence was ignored on reprocessing."
        ),
        verbose_name=_("route"),
    )
    decision_reason = models.CharField(
        max_length=40, help_text=_("Why the decision came out so."), verbose_name=_("reason")
    )
    band = models.JSONField(
        null=True, blank=True, help_text=_("The band that decided, as it was."), verbose_name=_("band")
    )
    rule_snapshot = models.JSONField(
        default=list, blank=True, help_text=_("Every band of the rule, as it was."), verbose_name=_("rule")
    )
    customer_email = models.CharField(max_length=254, blank=True, verbose_name=_("customer e-mail"))
    customer_name = models.CharField(max_length=200, blank=True, verbose_name=_("customer name"))
    reservation_expires_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("reservation expires")
    )
    reservation_released_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("reservation released")
    )
    reservation_expired = models.BooleanField(default=False, verbose_name=_("reservation expired"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated"))

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("decide_order", _("Can approve or deny orders held for manual authorization")),
            ("handle_order", _("Can start handling and invoice orders")),
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
        """Add the order's own condition to the user's role: only the band's approvers decide it,
        and, while one of them is away, whoever takes their turn (`accounts.absences`).

        Called by the permission backend; the approvers are those of the band as it was when the
        order was held, so a later edit of the rule neither adds nor removes deciders. The SQL
        twin is `orders.selectors.awaiting_decision_by`.
        """
        if perm != "orders.decide_order":
            return True
        if not user.email:
            return False
        approvers = {email.lower() for email in (self.band or {}).get("approvers") or []}
        # Asked whatever the band, so that a page asks it once, not depending on its orders.
        covered = covered_by(user=user).get(self.account_id, frozenset())
        return user.email.lower() in approvers or not approvers.isdisjoint(covered)

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
        verbose_name = _("order waiting for manual authorization")
        verbose_name_plural = _("waiting for manual authorization")


class OrderItem(models.Model):
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="items", db_index=False, verbose_name=_("order")
    )  # indexed first in a composite index below
    index = models.PositiveIntegerField(verbose_name=_("position"))
    catalog_sku = models.ForeignKey(
        Sku, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("catalog SKU")
    )
    sku_id = models.CharField(max_length=64, verbose_name=_("SKU"))
    name = models.CharField(max_length=200, blank=True, verbose_name=_("name"))
    quantity = models.PositiveIntegerField(verbose_name=_("quantity"))
    price_cents = models.BigIntegerField(
        help_text=_("Marketplace unit price, discounts applied."), verbose_name=_("marketplace unit price")
    )
    seller_price_cents = models.BigIntegerField(
        help_text=_("Catalog unit price when the order was priced."), verbose_name=_("seller unit price")
    )
    freight_cents = models.BigIntegerField(
        default=0, help_text=_("Freight the order declares for this item."), verbose_name=_("freight")
    )
    seller_freight_cents = models.BigIntegerField(
        default=0, help_text=_("Seller freight for this item line."), verbose_name=_("seller freight")
    )
    delivery_channel = models.CharField(max_length=20, verbose_name=_("delivery channel"))
    sla = models.CharField(max_length=64, blank=True, verbose_name=_("SLA"))
    shipping_policy = models.ForeignKey(
        ShippingPolicy, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("shipping policy")
    )
    pickup_point = models.ForeignKey(
        PickupPoint, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("pickup point")
    )
    stock = models.ForeignKey(
        Stock, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("stock")
    )
    reserved_quantity = models.PositiveIntegerField(default=0, verbose_name=_("reserved quantity"))
    divergence_percent = models.DecimalField(
        max_digits=14, decimal_places=2, default=0, verbose_name=_("divergence")
    )

    class Meta:
        verbose_name = _("order item")
        verbose_name_plural = _("order items")
        ordering = ["order", "index"]
        constraints = [models.UniqueConstraint(fields=["order", "index"], name="one_item_per_index")]

    def __str__(self):
        return f"{self.sku_id} × {self.quantity}"


class OrderEvent(models.Model):
    """An append-only line of an order's history: who or what did what, when, from which status to which."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        STATUS = "status", _("Status changed")
        DECISION = "decision", _("Decision")
        APPROVAL_REQUESTED = "approval-requested", _("Marketplace asked to approve")
        RESERVATION = "reservation", _("Stock reservation")
        NOTE = "note", _("Note")

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="events", db_index=False, verbose_name=_("order")
    )  # indexed first in a composite index below
    kind = models.CharField(max_length=24, choices=Kind.choices, verbose_name=_("event"))
    from_status = models.CharField(max_length=40, blank=True, verbose_name=_("from status"))
    to_status = models.CharField(max_length=40, blank=True, verbose_name=_("to status"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("user"),
    )
    actor_label = models.CharField(
        max_length=200, help_text=_("The user, connector or system that acted."), verbose_name=_("actor")
    )
    note = models.TextField(blank=True, verbose_name=_("note"))
    data = models.JSONField(default=dict, blank=True, verbose_name=_("data"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("time"))

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["order", "created_at"], name="event_order_time")]

    def __str__(self):
        return f"{self.order} {self.get_kind_display()} by {self.actor_label}"

    @property
    def account_id(self):
        return self.order.account_id
