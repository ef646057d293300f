"""What the tests of the approvers' queue share: a rule holding orders for Ana and Bo, and a queue of two."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import Order
from tests.factories import band
from tests.support.orders import place_held
from tests.support.pages import messages

QUEUE = "/admin/orders/waitingorder/"
ANA = "ana@acme.example"
BO = "bo@acme.example"
FIFTEEN = 2571  # 15.01 % below the seller's 3025: held for Ana and Bo
TWENTY_FIVE = 2269  # 24.99 %: held for Bo alone


BANDS = [
    band(0, 10, "authorize"),
    band(10, 20, "manual", [ANA, BO]),
    band(20, 30, "manual", [BO]),
    band(30, 100, "deny"),
]


@pytest.fixture
def hold(shop, owner, approver, second_approver):
    """Return a function placing an order the rule holds, for Ana and Bo (15 %) or Bo alone (25 %)."""

    def place(marketplace_order_id, paid=FIFTEEN):
        return place_held(shop.connector, bands=BANDS, paid=paid, marketplaceOrderId=marketplace_order_id)

    return place


def age(order, **waited):
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(**waited))


def rows(listing: str) -> list[str]:
    """Return the mainOrderIds of the queue's rows, top to bottom."""
    return re.findall(r'<a href="/admin/orders/order/\d+/change/">(MKP-[^<]+)</a>', listing)


def messages_of(response) -> list[str]:
    return [words for _, words in messages(response)]


@pytest.fixture
def queue(hold):
    """Two held orders: A (15 %, Ana and Bo) waiting 3 h 12 min, B (25 %, Bo only) waiting 10 min."""
    older = hold("A")
    newer = hold("B", paid=TWENTY_FIVE)
    age(older, hours=3, minutes=12)
    age(newer, minutes=10)
    return older, newer
