"""The shared builders make what the order API makes: a check against their orders is a check of the app."""

import pytest
from django.core import mail

from authorization.models import ApprovalTask
from insight.models import DecisionRecord
from tests.factories import OrderFactory
from tests.support.orders import ANA, BO, WAITING


def test_a_held_order_comes_as_the_connectors_post_makes_it(held_order, shop, connector_server):
    assert (held_order.main_order_id, held_order.status, str(held_order.divergence_percent)) == (
        "MKP-123456789",
        WAITING,
        "15.01",
    )
    record = DecisionRecord.objects.get(order=held_order)
    assert (record.outcome, record.band_label) == ("manual", "10.00-20.00")
    assert list(held_order.events.values_list("kind", flat=True)) == ["created", "decision"]
    assert ApprovalTask.objects.get(order=held_order).approvers == [ANA, BO]
    shop.stock.refresh_from_db()
    assert shop.stock.reserved == 1
    assert connector_server.codes() == ["SOI001"]
    assert [message.to for message in mail.outbox] == [[ANA]]


def test_the_order_factory_places_orders_through_intake(shop, connector_server):
    first, second = OrderFactory.create_batch(2, connector=shop.connector)
    assert (first.status, first.main_order_id != second.main_order_id) == ("payment-pending", True)
    assert DecisionRecord.objects.filter(order__in=[first, second]).count() == 2
    shop.stock.refresh_from_db()
    assert shop.stock.reserved == 2
    assert connector_server.codes() == ["SOI001", "SOI001"]


def test_the_order_factory_refuses_to_build_a_row_by_hand(shop):
    with pytest.raises(TypeError):
        OrderFactory.build(connector=shop.connector)
