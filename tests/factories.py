"""Factories for the rows tests need; build through these, not by hand."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.absences import absence_set
from accounts.models import Account
from accounts.services import membership_set
from authorization.decision import Band, BandAction
from catalog.models import PickupPoint, ShippingPolicy, Sku, Stock, Warehouse
from connectors.services import connector_create
from orders.models import Order
from tests.orders.payloads import order_body

PASSWORD = "correct-horse-battery-staple"


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"seller{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@seller.example")
    username = factory.SelfAttribute("email")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def absence_to_come(account, user, substitute):
    """`user` away from `account` from tomorrow for a week, `substitute` covering, as they set it."""
    tomorrow = timezone.now() + timedelta(days=1)
    return absence_set(
        account=account,
        user=user,
        starts_at=tomorrow,
        ends_at=tomorrow + timedelta(days=7),
        substitute=substitute,
        actor=user,
    )


def member(account, role, email=None):
    """Return a user holding `role` in `account` (created if needed)."""
    user = UserFactory(email=email) if email else UserFactory()
    membership_set(user=user, account=account, role=role)
    return user


class SkuFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sku

    account = factory.SubFactory(AccountFactory)
    sku_id = factory.Sequence(lambda n: str(n + 1))
    name = factory.Sequence(lambda n: f"Product {n}")
    price_cents = 975
    active = True
    sales_channels = factory.LazyFunction(lambda: ["1"])


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warehouse
        django_get_or_create = ("account", "warehouse_id")

    account = factory.SubFactory(AccountFactory)
    warehouse_id = "WH1"
    name = "Main warehouse"


class StockFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stock

    sku = factory.SubFactory(SkuFactory)
    account = factory.SelfAttribute("sku.account")
    warehouse = factory.SubFactory(WarehouseFactory, account=factory.SelfAttribute("..account"))
    quantity = 10


class PickupPointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PickupPoint

    account = factory.SubFactory(AccountFactory)
    point_id = factory.Sequence(lambda n: f"PP{n + 1}")
    name = "Store"
    warehouse = factory.SubFactory(WarehouseFactory, account=factory.SelfAttribute("..account"))
    postal_code = "81020-235"
    city = "Curitiba"
    state = "PR"
    country = "BRA"
    latitude = -25.48
    longitude = -49.28


class ShippingPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShippingPolicy

    account = factory.SubFactory(AccountFactory)
    policy_id = "Express"
    delivery_channel = "delivery"
    freight_cents = 2050
    estimate = "3bd"


def connector(account, **overrides):
    """Create a connector; return (connector, credentials)."""
    values = {
        "name": "Marketplace",
        "type": "external",
        "affiliate_id": "MKP",
        "endpoint": "https://connector.example/api/vtex",
    }
    values.update(overrides)
    return connector_create(account=account, **values)


def band(lower, upper, action, approvers=(), escalate_after_minutes=240, **deadline):
    """A band; `deadline` are its deadline's settings (`on_deadline`, `deadline_minutes`, `approve_up_to_cents`)."""
    return Band(
        Decimal(str(lower)),
        Decimal(str(upper)),
        BandAction(action),
        tuple(approvers),
        escalate_after_minutes,
        **deadline,
    )


class OrderFactory(factory.Factory):
    """An order as its connector places it: the example order, received by the intake service and
    decided by the account's rule, with the decision record, events, reservation and approval task
    that path gives it (`tests.support.orders.placed_order`); never a row written by hand.

    `connector` is required, its account holding the example catalog (the `shop` fixture); other
    keyword arguments change the body (see `order_body`).
    """

    class Meta:
        model = Order

    connector = None
    marketplace_order_id = factory.Sequence(lambda n: f"F{n + 1}")
    paid = 3025  # what the example seller expects: no divergence
    status = "new"

    @classmethod
    def _create(cls, model_class, *, connector, marketplace_order_id, paid, status, **changes):
        from tests.support.orders import placed_order

        body = order_body(
            marketplaceOrderId=marketplace_order_id,
            marketplacePaymentValue=paid,
            marketplaceOrderStatus=status,
            **changes,
        )
        return placed_order(connector, body)

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise TypeError("An order is only made by placing it: OrderFactory(connector=…), not .build().")
