"""Submissions processed in batches end exactly as each would alone, in fewer statements."""

import time
from functools import partial
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Stock
from connectors.feed import feed_configure
from connectors.hook import hook_configure
from connectors.models import FeedItem, HookDelivery, Notification
from insight.models import DailyDecisionStat, DecisionRecord
from kit.enqueue import enqueue_once_on_commit, once_started
from kit.redis import redis_run
from orders.intake import pipeline, write
from orders.intake.pipeline import (
    KICK,
    intake_kick,
    intake_kick_ahead,
    intake_process,
    intakes_process,
    intakes_process_until,
)
from orders.models import IntakeRecord, Order, OrderEvent, OrderItem
from orders.tasks import process_intake, process_intakes, retry_delay
from tests.connectors.oms_support import hook_url
from tests.support.on_commit import lose_queued
from tests.support.orders import ANA, HELD, held_bands, outcome, receive, rule_set
from tests.support.round_trips import round_trips


@pytest.fixture
def rule(shop, owner, approver):
    rule_set(shop.account, held_bands([ANA]))


MIXED = {
    "plain-1": {},
    "plain-2": {"items": [{"id": "1", "price": 975, "quantity": 2}], "marketplacePaymentValue": 6050},
    "approved": {"marketplaceOrderStatus": "approved"},
    "held": {"marketplacePaymentValue": HELD},
    "denied": {"marketplacePaymentValue": 1000},
    "unknown": {"items": [{"id": "404", "price": 975, "quantity": 1}]},
    "too-many": {"items": [{"id": "1", "price": 975, "quantity": 11}], "marketplacePaymentValue": 12775},
}


def receive_mixed(shop) -> None:
    for marketplace_order_id, fields in MIXED.items():
        receive(shop, marketplaceOrderId=marketplace_order_id, **fields)
    receive(shop, marketplaceOrderId="plain-1", marketplacePaymentValue=3030)  # the same order again


EXPECTED = {
    "plain-1": (("integrated", "SOI001", "payment-pending"), ("rejected", "EOI007", None)),
    "plain-2": (("integrated", "SOI001", "payment-pending"),),
    "approved": (("integrated", "SOI001", "ready-for-handling"),),
    "held": (("integrated", "SOI001", "waiting-for-manual-authorization"),),
    "denied": (("rejected", "EOI003", None),),
    "unknown": (("rejected", "EOI004", None),),
    "too-many": (("rejected", "EOI002", None),),
}


def test_a_mixed_batch_ends_as_each_submission_would_alone(
    shop, rule, connector_server, django_capture_on_commit_callbacks
):
    receive_mixed(shop)
    lose_queued()  # the batch is taken by the call below, not by the tasks the intake queued
    with django_capture_on_commit_callbacks(execute=True):
        assert intakes_process(limit=100) == 8
    assert {marketplace_order_id: outcome(marketplace_order_id) for marketplace_order_id in MIXED} == EXPECTED

    # Each order as the single path writes it: its items, its events, its decision record.
    plain = Order.objects.get(marketplace_order_id="plain-2")
    assert list(plain.items.values_list("sku_id", "quantity", "reserved_quantity", "stock_id")) == [
        ("1", 2, 2, shop.stock.pk)
    ]
    assert list(plain.events.order_by("pk").values_list("kind", "to_status")) == [
        (OrderEvent.Kind.CREATED, "payment-pending"),
        (OrderEvent.Kind.DECISION, ""),
    ]
    assert DecisionRecord.objects.get(order=plain).outcome == "no-divergence"
    # plain-1, plain-2, approved and held hold 1 + 2 + 1 + 1 units; the refused ones none.
    assert Stock.objects.get(pk=shop.stock.pk).reserved == 5
    assert OrderItem.objects.count() == 4

    # The connector hears of each once; the approved order's approval after its integration.
    received = [(r.body["marketplaceOrderId"], r.body["code"]) for r in connector_server.wait_for(9)]
    assert sorted(received) == sorted(
        [
            ("plain-1", "SOI001"),
            ("plain-1", "EOI007"),
            ("plain-2", "SOI001"),
            ("approved", "SOI001"),
            ("approved", "SOI002"),
            ("held", "SOI001"),
            ("denied", "EOI003"),
            ("unknown", "EOI004"),
            ("too-many", "EOI002"),
        ]
    )
    assert received.index(("approved", "SOI001")) < received.index(("approved", "SOI002"))
    assert Notification.objects.exclude(state="delivered").count() == 0
    # The dashboard counts every decision once.
    assert (
        sum(DailyDecisionStat.objects.values_list("count", flat=True)) == DecisionRecord.objects.count() == 5
    )


def test_the_same_submissions_processed_one_by_one_end_the_same(
    shop, rule, connector_server, django_capture_on_commit_callbacks
):
    receive_mixed(shop)
    with django_capture_on_commit_callbacks(execute=True):
        for intake in IntakeRecord.objects.order_by("pk"):
            intake_process(intake_id=intake.pk)
    assert {marketplace_order_id: outcome(marketplace_order_id) for marketplace_order_id in MIXED} == EXPECTED
    assert Stock.objects.get(pk=shop.stock.pk).reserved == 5


def test_a_batch_takes_as_many_statements_for_twenty_orders_as_for_five(shop):
    Stock.objects.filter(pk=shop.stock.pk).update(quantity=100)
    receive(shop, marketplaceOrderId="first")
    intakes_process(limit=100)  # the account's rule and policies are kept from here on, as a worker's
    counts = []
    for size in (5, 20):
        for number in range(size):
            receive(shop, marketplaceOrderId=f"{size}-{number}")
        with CaptureQueriesContext(connection) as captured:
            assert intakes_process(limit=100) == size
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]
    assert IntakeRecord.objects.filter(status="integrated").count() == 26
    assert Notification.objects.count() == 26
    assert Stock.objects.get(pk=shop.stock.pk).reserved == 26


def test_a_batch_s_writes_after_its_orders_go_together(shop):
    """The statements whose answers nobody reads go with the next that waits (`kit.together`)."""
    Stock.objects.filter(pk=shop.stock.pk).update(quantity=100)
    receive(shop, marketplaceOrderId="first")
    intakes_process(limit=100)
    for number in range(5):
        receive(shop, marketplaceOrderId=f"together-{number}")
    with round_trips() as trips, CaptureQueriesContext(connection) as captured:
        assert intakes_process(limit=100) == 5
    # The settings version, the orders there already and the stock are read together; the
    # notifications go with the events (which wait: the feed reads their keys); the submissions'
    # outcome, the decision records, the items and the stock with the block's end.
    assert trips.count == len(captured.captured_queries) - 6
    assert Stock.objects.get(pk=shop.stock.pk).reserved == 6
    assert OrderItem.objects.filter(order__marketplace_order_id__startswith="together-").count() == 5
    assert DecisionRecord.objects.filter(marketplace_order_id__startswith="together-").count() == 5
    assert set(
        IntakeRecord.objects.filter(marketplace_order_id__startswith="together-").values_list(
            "status", "code"
        )
    ) == {("integrated", "SOI001")}


def test_the_last_units_go_to_the_first_orders_and_the_rest_are_refused(shop):
    for number in range(12):
        receive(shop, marketplaceOrderId=f"o-{number}")
    assert intakes_process(limit=100) == 12
    codes = list(IntakeRecord.objects.order_by("received_at", "pk").values_list("code", flat=True))
    assert codes == ["SOI001"] * 10 + ["EOI002"] * 2
    assert Stock.objects.get(pk=shop.stock.pk).reserved == 10


def test_when_the_batch_fails_each_submission_is_processed_alone(shop, caplog):
    for number in range(3):
        receive(shop, marketplaceOrderId=f"o-{number}")
    real, calls = write.stocks_reserve, []

    def reserve(taken, *, short):  # the batch finds its units taken by another worker; each alone finds them
        calls.append(taken)
        return short() if len(calls) == 1 else real(taken, short=short)

    with mock.patch.object(write, "stocks_reserve", side_effect=reserve):
        assert intakes_process(limit=100) == 3
    assert "each is processed alone" in caplog.text
    assert list(IntakeRecord.objects.values_list("code", flat=True)) == ["SOI001"] * 3
    assert Order.objects.count() == OrderItem.objects.count() == DecisionRecord.objects.count() == 3
    assert Stock.objects.get(pk=shop.stock.pk).reserved == 3


def test_the_worker_asks_for_the_next_batch_while_this_one_still_holds_its_claims(
    shop, settings, django_capture_on_commit_callbacks
):
    # The claims commit with the batch's outcome: a request for the next batch left until then
    # would keep every other worker idle for as long as this batch takes.
    settings.INTAKE_BATCH_SIZE = 2
    for number in range(3):
        receive(shop, marketplaceOrderId=f"o-{number}")
    with (
        mock.patch.object(process_intakes, "apply_async") as publish,
        django_capture_on_commit_callbacks(execute=False),
    ):
        assert process_intakes.run() == 2
        assert publish.call_count == 1  # sent already, not waiting for a commit


def test_a_full_batch_asks_for_the_next_before_processing_it(shop):
    for number in range(3):
        receive(shop, marketplaceOrderId=f"o-{number}")
    asked = mock.Mock()
    assert intakes_process(limit=2, on_full=asked) == 2
    assert asked.call_count == 1
    assert intakes_process(limit=2, on_full=asked) == 1
    assert asked.call_count == 1
    assert intakes_process(limit=2, on_full=asked) == 0


def test_a_batch_is_asked_for_once_until_it_starts(db, django_capture_on_commit_callbacks):
    from tests.worker import require_services

    require_services()
    key = "tests:once"
    once_started(key)
    with mock.patch.object(process_intakes, "apply_async") as publish:
        for _ in range(3):
            with django_capture_on_commit_callbacks(execute=True):
                enqueue_once_on_commit(process_intakes, key=key)
        assert publish.call_count == 1
        once_started(key)
        with django_capture_on_commit_callbacks(execute=True):
            enqueue_once_on_commit(process_intakes, key=key)
        assert publish.call_count == 2
    once_started(key)


def test_a_batch_a_request_relied_on_takes_its_order_committed_after_the_batch_began(
    shop, eager_tasks, django_capture_on_commit_callbacks
):
    """A request found a batch waiting and asks nothing after its commit; the batch started, and
    claimed, before that commit: it claims again once the request's grace has passed."""
    from tests.worker import require_services

    require_services()
    eager_tasks.conf.task_always_eager = False  # batches asked for through the broker's marks
    once_started(KICK)
    with mock.patch.object(process_intakes, "apply_async") as publish:
        with django_capture_on_commit_callbacks(execute=True):
            intake_kick()  # an order before asked for the batch
        ahead = intake_kick_ahead()
        redis_run(partial(looked, ahead))  # the request looks, with its first round trip
        again_after = once_started(KICK)  # the batch starts
        assert intakes_process() == 0  # before the request commits
        with django_capture_on_commit_callbacks(execute=True):
            receive(shop, kick=ahead, marketplaceOrderId="relied")
        assert publish.call_count == 1  # asked for nothing after its commit

    assert again_after is not None
    assert intakes_process_until(again_after) == 1
    assert time.monotonic() >= again_after
    assert outcome("relied") == (("integrated", "SOI001", "payment-pending"),)


def looked(ahead, client) -> None:
    with client.pipeline(transaction=False) as redis_pipeline:
        ahead.send(redis_pipeline)
        (reply,) = redis_pipeline.execute()
    ahead.read(reply)


def receive_three(shop) -> None:
    for number in range(3):
        receive(shop, marketplaceOrderId=f"o-{number}")
    lose_queued()


def poisoned(real, *, where: str):
    """`real`, but raising for the submission or order of marketplace order o-1."""

    def call(*args, **kwargs):
        of = kwargs.get("intake") or args[0]
        if of.marketplace_order_id == "o-1":
            raise ValueError(f"o-1 cannot be {where}")
        return real(*args, **kwargs)

    return call


def assert_only_o1_failed(connector_server, failed, error: str) -> None:
    assert [intake.marketplace_order_id for intake in failed] == ["o-1"]
    assert {
        intake.marketplace_order_id: (intake.status, intake.code, intake.last_error, intake.attempts)
        for intake in IntakeRecord.objects.all()
    } == {
        "o-0": ("integrated", "SOI001", "", 1),
        "o-1": ("failed", "", error, 1),
        "o-2": ("integrated", "SOI001", "", 1),
    }
    assert sorted(Order.objects.values_list("marketplace_order_id", flat=True)) == ["o-0", "o-2"]
    assert OrderItem.objects.count() == DecisionRecord.objects.count() == 2
    assert Stock.objects.get().reserved == 2
    received = [(r.body["marketplaceOrderId"], r.body["code"]) for r in connector_server.wait_for(2)]
    assert sorted(received) == [("o-0", "SOI001"), ("o-2", "SOI001")]


def test_an_order_that_cannot_be_planned_fails_alone_and_the_rest_of_its_batch_is_placed(
    shop, connector_server, django_capture_on_commit_callbacks, caplog
):
    receive_three(shop)
    failed = []
    with (
        mock.patch.object(pipeline, "plan_order", poisoned(pipeline.plan_order, where="planned")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert intakes_process(limit=100, on_failure=failed.append) == 3
    assert "each is processed alone" not in caplog.text  # the others were written with the batch
    assert_only_o1_failed(connector_server, failed, "ValueError: o-1 cannot be planned")


def test_an_order_that_cannot_be_written_fails_alone_and_the_rest_of_its_batch_is_placed(
    shop, connector_server, django_capture_on_commit_callbacks, caplog
):
    receive_three(shop)
    failed = []
    with (
        mock.patch.object(write, "order_items_build", poisoned(write.order_items_build, where="written")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert intakes_process(limit=100, on_failure=failed.append) == 3
    assert "A batch of 3 submissions failed as a whole; each is processed alone." in caplog.text
    assert_only_o1_failed(connector_server, failed, "ValueError: o-1 cannot be written")


def test_a_failed_order_of_a_batch_is_tried_again_alone_later(shop, django_capture_on_commit_callbacks):
    receive_three(shop)
    with (
        mock.patch.object(pipeline, "plan_order", poisoned(pipeline.plan_order, where="planned")),
        mock.patch.object(process_intake, "apply_async") as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        process_intakes.run()
    failed = IntakeRecord.objects.get(marketplace_order_id="o-1")
    assert [call.args[0] for call in queued.call_args_list] == [(failed.pk,)]
    assert queued.call_args.kwargs["countdown"] == retry_delay(1)
    assert intake_process(intake_id=failed.pk) == "integrated"
    assert Order.objects.count() == 3


def test_an_order_another_worker_integrated_meanwhile_is_refused_as_a_duplicate(
    shop, django_capture_on_commit_callbacks
):
    first = receive(shop, marketplaceOrderId="race")
    second = receive(shop, marketplaceOrderId="race", priceDivergenceAllowanceRate=0.06)
    lose_queued()
    assert intake_process(intake_id=first.pk) == "integrated"
    real, reads = Order.objects.filter, []

    def filter(*args, **kwargs):  # the first read is from before the other worker's commit
        reads.append(kwargs)
        return Order.objects.none() if len(reads) == 1 else real(*args, **kwargs)

    with (
        mock.patch.object(Order.objects, "filter", side_effect=filter),
        django_capture_on_commit_callbacks() as queued,
    ):
        assert intake_process(intake_id=second.pk) == "rejected"
    second.refresh_from_db()
    assert (second.status, second.code, second.errors[0]["code"], second.attempts) == (
        "rejected",
        "EOI007",
        "FMT009",
        1,
    )
    assert Order.objects.count() == OrderItem.objects.count() == DecisionRecord.objects.count() == 1
    assert Stock.objects.get().reserved == 1
    assert list(Notification.objects.filter(intake=second).values_list("code", flat=True)) == ["EOI007"]
    # Its notification's delivery, once (the metrics' count of the refusal is not work queued).
    assert len([each for each in queued if each.queues_work]) == 1


@pytest.mark.parametrize("batch", [True, False])
def test_the_connector_s_feed_and_hook_are_read_with_its_account_and_take_the_batch_s_changes(
    shop, connector_server, batch
):
    feed_configure(
        connector=shop.connector,
        statuses=["payment-pending", "ready-for-handling"],
        visibility_timeout_seconds=60,
        retention_seconds=3600,
    )
    hook_configure(
        connector=shop.connector,
        statuses=["payment-pending", "ready-for-handling"],
        url=hook_url(connector_server),
        headers={},
    )
    intake_process(intake_id=receive(shop, marketplaceOrderId="first").pk)
    intakes = [receive(shop, marketplaceOrderId=f"o-{number}") for number in range(3 if batch else 1)]
    with CaptureQueriesContext(connection) as captured:
        if batch:
            assert intakes_process(limit=100) == 3
        else:
            assert intake_process(intake_id=intakes[0].pk) == "integrated"
    read_again = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith("SELECT") and 'FROM "connectors_connector"' in q["sql"]
    ]
    # Read with the account's settings, kept since the first order where the database keeps a version.
    assert len(read_again) == (0 if connection.vendor == "postgresql" else 1)
    assert FeedItem.objects.count() == HookDelivery.objects.count() == len(intakes) + 1
