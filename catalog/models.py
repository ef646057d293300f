"""The seller's catalog per account: SKUs and prices, warehouses and stock, shipping, pickup points.

The seller value of an order (PRODUCT.md §4) is computed from these rows.
"""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Account

catalog_id = RegexValidator(r"^[^\s/?#]+$", _("An id has no spaces and none of / ? #."))
sales_channel_id = re.compile(r"^[^\s;,]{1,32}$")


def validate_sales_channels(value):
    """Accept a list of distinct sales channel ids ("1", "2"), as CSV files write them "1;2"."""
    if not isinstance(value, list):
        raise ValidationError(gettext('A list of sales channel ids, e.g. ["1", "2"].'))
    for channel in value:
        if not isinstance(channel, str) or not sales_channel_id.match(channel):
            raise ValidationError(
                gettext(
                    "Not a sales channel id: %(channel)s. An id has 1 to 32 characters, no spaces, ; or commas."
                )
                % {"channel": repr(channel)}
            )
    if len(set(value)) != len(value):
        raise ValidationError(gettext("A sales channel is listed twice."))


def below_reserved_message(*, quantity: int, reserved: int) -> str | None:
    """Return why `quantity` units on hand cannot be set, or None when it can.

    Orders hold `reserved` units; the seller may not take them away.
    """
    if quantity is not None and quantity < reserved:
        return gettext(
            "%(quantity)s is below the %(reserved)s units reserved by orders; "
            "set at least %(reserved)s, or release the orders first."
        ) % {"quantity": quantity, "reserved": reserved}
    return None


class Sku(models.Model):
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="skus", verbose_name=_("account")
    )
    sku_id = models.CharField(_("SKU id"), max_length=64, validators=[catalog_id])
    name = models.CharField(_("name"), max_length=200)
    price_cents = models.PositiveBigIntegerField(_("unit price"))
    active = models.BooleanField(_("active"), default=True)
    sales_channels = models.JSONField(
        _("sales channels"),
        default=list,
        blank=True,
        validators=[validate_sales_channels],
        help_text=_("Sales channels (trade policies) where the SKU is sold."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("SKU")
        verbose_name_plural = _("SKUs")
        ordering = ["account__name", "sku_id"]
        constraints = [models.UniqueConstraint(fields=["account", "sku_id"], name="unique_sku_per_account")]

    def __str__(self):
        return f"{self.sku_id} · {self.name}"


class Warehouse(models.Model):
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="warehouses", verbose_name=_("account")
    )
    warehouse_id = models.CharField(_("warehouse id"), max_length=64, validators=[catalog_id])
    name = models.CharField(_("name"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        ordering = ["account__name", "warehouse_id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "warehouse_id"], name="unique_warehouse_per_account")
        ]

    def __str__(self):
        return self.name or self.warehouse_id


class Stock(models.Model):
    """Units of a SKU in a warehouse; `reserved` are held by integrated orders."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="stock", verbose_name=_("account")
    )
    sku = models.ForeignKey(Sku, on_delete=models.CASCADE, related_name="stock", verbose_name=_("SKU"))
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.CASCADE, related_name="stock", verbose_name=_("warehouse")
    )
    quantity = models.PositiveIntegerField(_("units on hand"), default=0)
    reserved = models.PositiveIntegerField(_("reserved"), default=0, help_text=_("Units held by orders."))

    class Meta:
        verbose_name = _("stock")
        verbose_name_plural = _("stock")
        ordering = ["sku__sku_id", "warehouse__warehouse_id"]
        constraints = [
            models.UniqueConstraint(fields=["sku", "warehouse"], name="one_stock_row_per_sku_and_warehouse"),
            models.CheckConstraint(
                condition=models.Q(reserved__lte=models.F("quantity")), name="reserved_within_quantity"
            ),
        ]

    def __str__(self):
        return f"{self.sku.sku_id} @ {self.warehouse.warehouse_id}: {self.quantity}"

    @property
    def available(self) -> int:
        return self.quantity - self.reserved

    def clean(self):
        """Keep the row in its SKU's account, and the units on hand at or above the reserved ones."""
        sku = getattr(self, "sku", None)
        warehouse = getattr(self, "warehouse", None)
        if sku is not None and self.account_id is None:
            self.account_id = sku.account_id
        errors = {}
        if sku is not None and sku.account_id != self.account_id:
            errors["sku"] = gettext("The SKU belongs to another account.")
        if warehouse is not None and warehouse.account_id != self.account_id:
            errors["warehouse"] = gettext("The warehouse belongs to another account than the SKU.")
        problem = below_reserved_message(quantity=self.quantity, reserved=self.reserved)
        if problem:
            errors["quantity"] = problem
        if errors:
            raise ValidationError(errors)


def reserved_stock_message(stock: Stock) -> str:
    return gettext(
        "%(sku)s in %(warehouse)s: %(reserved)s units reserved by orders; "
        "the stock row stays until they are released."
    ) % {"sku": stock.sku.sku_id, "warehouse": stock.warehouse, "reserved": stock.reserved}


@receiver(pre_delete, sender=Stock, dispatch_uid="catalog.stock.keep_reserved")
def keep_reserved_stock(sender, instance: Stock, **kwargs):
    """Reserved units belong to orders: no stock row holding them is deleted, directly or with
    its SKU, warehouse or account, so that releasing them later finds the row."""
    if instance.reserved:
        raise models.ProtectedError(reserved_stock_message(instance), {instance})


class DeliveryChannel(models.TextChoices):
    DELIVERY = "delivery", _("Delivery")
    PICKUP_IN_POINT = "pickup-in-point", _("Pickup in point")


class PickupPoint(models.Model):
    # The address's fields, in the order a form and an import show them.
    ADDRESS_FIELDS = (
        "postal_code",
        "street",
        "number",
        "neighborhood",
        "complement",
        "city",
        "state",
        "country",
    )

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="pickup_points", verbose_name=_("account")
    )
    point_id = models.CharField(_("pickup point id"), max_length=64, validators=[catalog_id])
    name = models.CharField(_("name"), max_length=200)
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="pickup_points", verbose_name=_("warehouse")
    )
    postal_code = models.CharField(_("postal code"), max_length=32, blank=True)
    street = models.CharField(_("street"), max_length=200, blank=True)
    number = models.CharField(_("number"), max_length=32, blank=True)
    neighborhood = models.CharField(_("neighborhood"), max_length=200, blank=True)
    complement = models.CharField(_("complement"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=200, blank=True)
    state = models.CharField(_("state"), max_length=32, blank=True)
    country = models.CharField(
        _("country"),
        max_length=3,
        blank=True,
        validators=[RegexValidator(r"^[A-Z]{3}$", _("A three-letter country code, e.g. BRA."))],
    )
    latitude = models.FloatField(_("latitude"), validators=[MinValueValidator(-90), MaxValueValidator(90)])
    longitude = models.FloatField(
        _("longitude"), validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )

    class Meta:
        verbose_name = _("pickup point")
        verbose_name_plural = _("pickup points")
        ordering = ["account__name", "point_id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "point_id"], name="unique_pickup_point_per_account")
        ]

    def __str__(self):
        return f"{self.point_id} · {self.name}"

    def clean(self):
        warehouse = getattr(self, "warehouse", None)
        if warehouse is not None and self.account_id is not None and warehouse.account_id != self.account_id:
            raise ValidationError({"warehouse": gettext("The warehouse belongs to another account.")})


class ShippingPolicy(models.Model):
    """An SLA: how items get to the customer, at what freight per unit, how fast."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="shipping_policies", verbose_name=_("account")
    )
    policy_id = models.CharField(_("policy id (SLA)"), max_length=64, validators=[catalog_id])
    delivery_channel = models.CharField(_("delivery channel"), max_length=16, choices=DeliveryChannel.choices)
    freight_cents = models.PositiveBigIntegerField(_("freight per unit"), default=0)
    estimate = models.CharField(
        _("delivery estimate"),
        max_length=16,
        validators=[RegexValidator(r"^\d+(d|bd|h|m)$", _("A number then d, bd, h or m, e.g. 3bd."))],
        help_text=_("A number then d (days), bd (business days), h (hours) or m (minutes), e.g. 3bd."),
    )
    active = models.BooleanField(_("active"), default=True)
    warehouses = models.ManyToManyField(
        Warehouse, blank=True, related_name="shipping_policies", verbose_name=_("warehouses")
    )
    pickup_points = models.ManyToManyField(
        PickupPoint, blank=True, related_name="shipping_policies", verbose_name=_("pickup points")
    )

    class Meta:
        verbose_name = _("shipping policy")
        verbose_name_plural = _("shipping policies")
        ordering = ["account__name", "policy_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "policy_id"], name="unique_shipping_policy_per_account"
            )
        ]

    def __str__(self):
        return self.policy_id


class PendingImport(models.Model):
    """A CSV file previewed on an import page, waiting for its uploader to confirm it.

    The confirmation names it by `token` alone; everything else (the file in the `imports`
    storage, the account, the list) is read from this row, and only for the user who uploaded it.
    """

    token = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    model_label = models.CharField(
        max_length=100, help_text='The list imported into, as "app_label.model_name".'
    )
    file_name = models.CharField(max_length=100, help_text="The file in the imports storage.")
    original_file_name = models.CharField(max_length=255, help_text="The name the file was uploaded under.")
    format = models.CharField(max_length=8)
    resource = models.CharField(max_length=8, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        default_permissions = ()

    def __str__(self):
        return f"{self.original_file_name} ({self.model_label})"
