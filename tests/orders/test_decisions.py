"""Every row of PRODUCT.md §5.2–§5.4, through the API: what is integrated, held or denied, and what the connector hears."""

import pytest

from authorization.services import rule_replace
from orders.models import IntakeRecord, Order
from tests.connector_client import ConnectorClient
from tests.factories import band, connector
from tests.orders.payloads import order_body
from tests.support.orders import ANA, BO, rule_set
from tests.support.shop import reserved

# The seller expects 3025 for the example order.
PAID_5_PERCENT_LESS = 2874  # 4.99 %
PAID_15_PERCENT_LESS = 2571  # 15.01 %
PAID_50_PERCENT_LESS = 1512  # 50.02 %


@pytest.fixture
def rule(shop, owner, approver, second_approver):
    rule_set(
        shop.account, [band(0, 10, "authorize"), band(10, 20, "manual", [ANA, BO]), band(30, 60, "deny")]
    )


def test_authorize_band_integrates_and_reserves(mkp, shop, rule, connector_server):
    mkp.place(order_body(marketplacePaymentValue=PAID_5_PERCENT_LESS))
    assert connector_server.wait_for(1)[0].body["code"] == "SOI001"
    order = Order.objects.get()
    assert (order.status, order.outcome, str(order.divergence_percent)) == (
        "payment-pending",
        "authorize",
        "4.99",
    )
    assert order.band == {
        "from": "0.00",
        "to": "10.00",
        "action": "authorize",
        "approvers": [],
        "escalateAfterMinutes": 240,
        "onDeadline": "wait",
        "deadlineMinutes": None,
        "approveUpToCents": None,
    }
    assert len(order.rule_snapshot) == 3
    assert reserved(shop) == 1


def test_manual_band_integrates_waiting_for_manual_authorization(mkp, shop, rule, connector_server):
    mkp.place(order_body(marketplacePaymentValue=PAID_15_PERCENT_LESS))
    assert connector_server.wait_for(1)[0].body["code"] == "SOI001"
    order = Order.objects.get()
    assert order.status == "waiting-for-manual-authorization"
    assert order.band["approvers"] == ["ana@acme.example", "bo@acme.example"]
    assert reserved(shop) == 1


@pytest.mark.parametrize(
    ("paid", "explanation"),
    [
        (PAID_50_PERCENT_LESS, "Price divergence of 50.02 %: the rule denies 30.00–60.00 %"),
        (
            3025 * 3 // 4,
            "Price divergence of 25.02 %: it falls in a gap of the rule, where orders are not integrated",
        ),
        (3025 // 5, "Price divergence of 80.00 %: it is above the last band of the rule"),
    ],
    ids=["deny-band", "gap", "above-last-band"],
)
def test_deny_gap_and_above_last_band_are_not_integrated(
    mkp, shop, rule, connector_server, paid, explanation
):
    mkp.place(order_body(marketplacePaymentValue=paid))
    body = connector_server.wait_for(1)[0].body
    assert (body["code"], body["success"]) == ("EOI003", False)
    assert body["errors"][1]["description"] == explanation
    assert body["errors"][0]["code"] == "FMT007"
    assert Order.objects.count() == 0
    assert reserved(shop) == 0
    assert IntakeRecord.objects.get().status == "rejected"


def connector_of_kind(mkp, shop, connector_server, **kind):
    """Another connector of the shop's account (`kind`: its type, name, affiliate id …), calling the API."""
    _, credentials = connector(shop.account, endpoint=connector_server.url, **kind)
    return ConnectorClient(mkp.client, credentials, mkp.capture)


NATIVE = {"type": "native", "name": "Amazon", "affiliate_id": "AMZ"}


def test_native_without_rule_is_held_then_integrated_when_a_rule_exists(mkp, shop, connector_server, owner):
    amazon = connector_of_kind(mkp, shop, connector_server, **NATIVE)
    amazon.place(order_body(marketplacePaymentValue=PAID_15_PERCENT_LESS))
    intake = IntakeRecord.objects.get()
    assert intake.status == "held"
    assert "configure a Price Divergence rule" in intake.held_reason
    assert connector_server.codes() == []
    assert reserved(shop) == 0
    with mkp.capture(execute=True):
        rule_replace(account=shop.account, bands=[band(0, 100, "authorize")], actor=owner)
    assert connector_server.wait_for(1)[0].body["code"] == "SOI001"
    intake.refresh_from_db()
    assert intake.status == "integrated"
    assert Order.objects.get().main_order_id == "AMZ-123456789"


def test_native_without_divergence_is_integrated_without_a_rule(mkp, shop, connector_server):
    connector_of_kind(mkp, shop, connector_server, **NATIVE).place(order_body())
    assert connector_server.wait_for(1)[0].body["code"] == "SOI001"


def test_marketplace_orders_without_rule_are_denied(mkp, shop, connector_server):
    connector_of_kind(mkp, shop, connector_server, type="marketplace", name="Mall", affiliate_id="MLL").place(
        order_body(marketplacePaymentValue=PAID_5_PERCENT_LESS)
    )
    body = connector_server.wait_for(1)[0].body
    assert body["code"] == "EOI003"
    assert (
        body["errors"][1]["description"]
        == "Price divergence of 4.99 %: the seller has no price divergence rule"
    )


@pytest.mark.parametrize("kind", ["external", "certified"])
def test_external_and_certified_without_rule_follow_the_no_rule_policy(mkp, shop, connector_server, kind):
    client = connector_of_kind(
        mkp, shop, connector_server, type=kind, name=kind, affiliate_id=kind[:3].upper()
    )
    client.place(order_body(marketplacePaymentValue=PAID_5_PERCENT_LESS))
    assert connector_server.wait_for(1)[0].body["code"] == "EOI003"
    shop.account.no_rule_policy = "authorize"
    shop.account.save()
    client.place(order_body(marketplaceOrderId="2", marketplacePaymentValue=PAID_5_PERCENT_LESS))
    assert connector_server.wait_for(2)[1].body["code"] == "SOI001"


def test_own_store_without_rule_is_authorized(mkp, shop, connector_server):
    connector_of_kind(
        mkp, shop, connector_server, type="own-store", name="Telesales", affiliate_id="TLS"
    ).place(order_body(marketplacePaymentValue=PAID_50_PERCENT_LESS))
    assert connector_server.wait_for(1)[0].body["code"] == "SOI001"


def test_own_store_is_decided_per_item_and_one_denied_item_denies_the_order(
    mkp, shop, connector_server, rule
):
    second = type(shop.sku).objects.create(
        account=shop.account, sku_id="2", name="Cap", price_cents=1000, sales_channels=["1"]
    )
    type(shop.stock).objects.create(account=shop.account, sku=second, warehouse=shop.warehouse, quantity=5)
    body = order_body(
        items=[{"id": "1", "price": 975, "quantity": 1}, {"id": "2", "price": 500, "quantity": 1}]
    )
    body["shippingData"]["logisticsInfo"] *= 2
    body["marketplacePaymentValue"] = 975 + 500 + 2050 * 2  # the order total diverges by 11 %, item 2 by 50 %
    connector_of_kind(
        mkp, shop, connector_server, type="own-store", name="Telesales", affiliate_id="TLS"
    ).place(body)
    assert connector_server.wait_for(1)[0].body["code"] == "EOI003"


def test_zoom_keeps_the_previous_flow_and_holds_above_its_rate(mkp, shop, connector_server, rule, owner):
    from orders.events import Actor
    from orders.intake.receive import intake_reprocess

    zoom = connector_of_kind(
        mkp, shop, connector_server, type="native", name="Zoom", affiliate_id="ZOO", legacy_rate_percent=5
    )
    zoom.place(order_body(marketplacePaymentValue=PAID_5_PERCENT_LESS))
    assert connector_server.wait_for(1)[0].body["code"] == "SOI001"
    zoom.place(order_body(marketplaceOrderId="2", marketplacePaymentValue=PAID_15_PERCENT_LESS))
    held = IntakeRecord.objects.get(marketplace_order_id="2")
    assert held.status == "held"
    assert held.held_reason.startswith("Price divergence of 15.01 % is above the connector's rate of 5.00 %")
    assert reserved(shop) == 1
    with mkp.capture(execute=True):
        intake_reprocess(intake=held, actor=Actor.of_user(owner), ignore_divergence=True)
    assert connector_server.wait_for(2)[1].body["code"] == "SOI001"
    assert Order.objects.get(marketplace_order_id="2").decision_reason == "ignored-divergence"


def test_keep_previous_flow_switch_and_legacy_rate_without_rule(mkp, shop, connector_server):
    legacy = connector_of_kind(mkp, shop, connector_server, legacy_rate_percent=20, **NATIVE)
    legacy.place(order_body(marketplacePaymentValue=PAID_15_PERCENT_LESS))
    assert connector_server.wait_for(1)[0].body["code"] == "SOI001"
    assert Order.objects.get().decision_route == "previous-flow"


def test_legacy_rate_gives_way_to_the_rule(mkp, shop, connector_server, rule):
    legacy = connector_of_kind(mkp, shop, connector_server, legacy_rate_percent=20, **NATIVE)
    legacy.place(order_body(marketplacePaymentValue=PAID_15_PERCENT_LESS))
    assert connector_server.wait_for(1)[0].body["code"] == "SOI001"
    assert Order.objects.get().status == "waiting-for-manual-authorization"


def test_allowance_is_honoured_only_when_the_seller_switched_it_on(mkp, shop, connector_server, rule):
    body = order_body(marketplacePaymentValue=PAID_15_PERCENT_LESS, priceDivergenceAllowanceRate=0.2)
    mkp.place(body)
    connector_server.wait_for(1)
    assert Order.objects.get().status == "waiting-for-manual-authorization"
    shop.connector.honour_allowance = True
    shop.connector.save()
    mkp.place(dict(body, marketplaceOrderId="2"))
    connector_server.wait_for(2)
    order = Order.objects.get(marketplace_order_id="2")
    assert (order.status, order.outcome) == ("payment-pending", "no-divergence")


def test_overpayment_can_be_declared_no_divergence(mkp, shop, connector_server, rule):
    shop.account.overpayment_is_divergence = False
    shop.account.save()
    mkp.place(order_body(marketplacePaymentValue=4000))
    connector_server.wait_for(1)
    order = Order.objects.get()
    assert (str(order.divergence_percent), order.outcome) == ("-32.23", "no-divergence")
