"""Processing keeps what the rule read of every decided submission, and the daily rollups follow."""

import io
from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum

from authorization.services import rule_replace
from insight.models import DailyDecisionStat, DailySkuStat, DecisionRecord, QueuedOrder
from insight.rollups import rollups_rebuild
from insight.services import divergence_bucket
from orders.models import IntakeRecord
from tests.connector_client import ConnectorClient
from tests.factories import band, connector
from tests.orders.payloads import order_body


def recorded() -> dict[str, DecisionRecord]:
    return {record.marketplace_order_id: record for record in DecisionRecord.objects.all()}


def cells_of_records():
    """The rollup as it must be: the records summed by day, connector, outcome, band and step."""
    cells = defaultdict(lambda: [0, 0, 0])
    for record in DecisionRecord.objects.all():
        key = (record.day, record.connector_id, record.outcome, record.band_label, record.divergence_bucket)
        cells[key][0] += 1
        cells[key][1] += record.paid_value_cents
        cells[key][2] += record.seller_value_cents
    return {key: tuple(sums) for key, sums in cells.items()}


def cells_of_rollup():
    return {
        (stat.day, stat.connector_id, stat.outcome, stat.band_label, stat.divergence_bucket): (
            stat.count,
            stat.paid_value_cents,
            stat.seller_value_cents,
        )
        for stat in DailyDecisionStat.objects.all()
    }


def test_every_decided_submission_is_recorded_with_what_the_rule_read(placed):
    records = recorded()

    assert {key: (r.outcome, r.band_label, r.divergence_percent) for key, r in records.items()} == {
        "N1": ("no-divergence", "", Decimal("0.00")),
        "N2": ("no-divergence", "", Decimal("0.00")),
        "A1": ("authorize", "0.00-5.00", Decimal("2.48")),
        "M1": ("manual", "5.00-20.00", Decimal("15.01")),
        "D1": ("deny", "20.00-100.00", Decimal("33.88")),
    }
    denied = records["D1"]
    assert denied.order is None and denied.intake.status == "rejected" and denied.intake.code == "EOI003"
    assert (denied.paid_value_cents, denied.seller_value_cents) == (2000, 3025)
    assert denied.items == [["1", 1, 975, 975]] and denied.item_divergences == ["0.00"]
    assert denied.allowance_percent == Decimal("5.00")  # the example's priceDivergenceAllowanceRate 0.05
    assert records["M1"].order.main_order_id == "MKP-M1"


def test_a_submission_rejected_before_the_decision_is_not_recorded(mkp, placed):
    mkp.place(order_body(marketplaceOrderId="X1", items=[{"id": "404", "price": 975, "quantity": 1}]))

    assert IntakeRecord.objects.get(marketplace_order_id="X1").code == "EOI004"
    assert "X1" not in recorded()


def test_the_daily_rollup_equals_the_records_summed(placed):
    assert cells_of_rollup() == cells_of_records()
    assert DailyDecisionStat.objects.aggregate(total=Sum("count"))["total"] == 5


def test_rebuilding_the_rollups_gives_the_same_cells(placed, account):
    before = cells_of_rollup()
    skus_before = set(
        DailySkuStat.objects.values_list("day", "sku_id", "lines", "divergent_lines", "gap_cents")
    )

    rollups_rebuild(account=account)

    assert cells_of_rollup() == before
    assert set(
        DailySkuStat.objects.values_list("day", "sku_id", "lines", "divergent_lines", "gap_cents")
    ) == (skus_before)


def test_a_line_sold_below_the_catalog_price_counts_for_its_sku(mkp, rule):
    # The marketplace sells SKU 1 at 9.00 where the seller asks 9.75: 7.69 % on the item.
    mkp.place(
        order_body(
            marketplaceOrderId="S1",
            marketplacePaymentValue=2950,
            items=[{"id": "1", "price": 900, "quantity": 2}],
        )
    )
    mkp.place(order_body(marketplaceOrderId="S2"))

    stat = DailySkuStat.objects.get(sku_id="1")
    assert (stat.lines, stat.divergent_lines, stat.quantity, stat.gap_cents) == (2, 1, 3, 150)


@pytest.fixture
def amazon(mkp, shop, connector_server):
    _, credentials = connector(
        shop.account, endpoint=connector_server.url, type="native", name="Amazon", affiliate_id="AMZ"
    )
    return ConnectorClient(mkp.client, credentials, mkp.capture)


def test_a_held_submission_decided_again_moves_to_its_new_outcome(
    amazon, owner, account, django_capture_on_commit_callbacks
):
    amazon.place(order_body(marketplaceOrderId="H1", marketplacePaymentValue=2571))
    assert recorded()["H1"].outcome == "held"
    assert cells_of_rollup() == cells_of_records()

    with django_capture_on_commit_callbacks(execute=True):  # a rule reprocesses what waited for one
        rule_replace(account=account, bands=[band(0, 100, "authorize")], actor=owner)

    record = DecisionRecord.objects.get()
    assert (record.outcome, record.band_label, record.order.main_order_id) == (
        "authorize",
        "0.00-100.00",
        "AMZ-H1",
    )
    assert cells_of_rollup() == cells_of_records()
    assert not DailyDecisionStat.objects.filter(outcome="held").exists()
    assert DailySkuStat.objects.get().lines == 1  # counted once, not once per decision


@pytest.mark.parametrize(
    ("divergence", "bucket"),
    [
        ("0", -1),
        ("0.01", 0),
        ("0.49", 0),
        ("0.5", 1),
        ("2.48", 4),
        ("-15.01", 30),
        ("99.99", 199),
        ("100", 199),
    ],
)
def test_divergence_steps_are_half_a_percent_of_the_absolute_value(divergence, bucket):
    assert divergence_bucket(Decimal(divergence)) == bucket


def test_older_orders_are_recovered_and_counted_again(placed, account):
    made = {r.marketplace_order_id: r for r in DecisionRecord.objects.select_related("intake")}
    DecisionRecord.objects.filter(order__isnull=False).delete()
    DailyDecisionStat.objects.all().delete()

    out = io.StringIO()
    call_command("rebuild_insight", account="acme", stdout=out)
    call_command("rebuild_insight", stdout=out)  # again: nothing twice

    assert out.getvalue().splitlines() == [
        "acme: 4 decisions recovered from orders; rollups and queue rebuilt.",
        "acme: 0 decisions recovered from orders; rollups and queue rebuilt.",
    ]

    fields = (
        "intake_id",
        "order_id",
        "outcome",
        "band_label",
        "divergence_percent",
        "item_divergences",
        "items",
        "allowance_percent",
        "ignore_divergence",
        "paid_value_cents",
        "seller_value_cents",
        "divergence_bucket",
    )
    recovered = {r.marketplace_order_id: r for r in DecisionRecord.objects.all()}
    assert set(recovered) == set(
        made
    )  # D1 was never deleted: denied submissions have no order to recover from
    for key, record in recovered.items():
        assert [getattr(record, name) for name in fields] == [getattr(made[key], name) for name in fields], (
            key
        )
    assert cells_of_rollup() == cells_of_records()


def queued() -> set[str]:
    return set(QueuedOrder.objects.values_list("order__marketplace_order_id", flat=True))


def test_the_queue_follows_the_order_from_held_to_decided(placed, approver, api_client_for):
    assert queued() == {"M1"}
    task = QueuedOrder.objects.get().task
    assert task.order.marketplace_order_id == "M1"

    response = api_client_for(approver).post("/api/orders/MKP-M1/approve?an=acme", {}, format="json")

    assert response.status_code == 200, response.json()
    assert queued() == set()


def test_a_denied_or_rebuilt_queue_matches_the_waiting_orders(mkp, placed, account, approver, api_client_for):
    mkp.place(order_body(marketplaceOrderId="M2", marketplacePaymentValue=2580))
    assert queued() == {"M1", "M2"}
    api_client_for(approver).post(
        "/api/orders/MKP-M2/deny?an=acme", {"reasonCode": "price-error", "note": "Too low"}, format="json"
    )
    assert queued() == {"M1"}

    QueuedOrder.objects.all().delete()
    call_command("rebuild_insight", stdout=io.StringIO())

    assert queued() == {"M1"}
