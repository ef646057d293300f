"""The reads written once (`kit.selects`) give what the ORM's own queries give: the same rows,
every field with the same value and type, related rows attached, and the same rows locked."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog import availability
from orders.intake.claim import intake_claim, intakes_claim
from orders.models import IntakeRecord
from orders.statuses import IntakeStatus
from tests.factories import AccountFactory, SkuFactory, StockFactory, WarehouseFactory
from tests.support.orders import receive

pytestmark = pytest.mark.django_db


def fields_of(instance) -> dict:
    """Every concrete field's value, with its type: a JSON text left undecoded would differ."""
    return {
        field.attname: (value := getattr(instance, field.attname), type(value))
        for field in instance._meta.concrete_fields
    }


def as_the_orm_reads(monkeypatch, read):
    """What `read()` gives when the ORM's query is used instead of the statement built once."""
    with monkeypatch.context() as patched:
        patched.setattr(connection, "vendor", "other")
        return read()


def test_the_stock_of_an_order_s_skus_is_read_as_the_orm_reads_it(monkeypatch):
    account, other = AccountFactory(), AccountFactory()
    sold = SkuFactory(account=account, sku_id="A-1", sales_channels=["1", {"nested": ["x"]}])
    two_places = SkuFactory(account=account, sku_id="B'2", sales_channels=[])
    for warehouse_id in ("north", "south"):
        StockFactory(sku=two_places, warehouse=WarehouseFactory(account=account, warehouse_id=warehouse_id))
    StockFactory(sku=sold, quantity=3, reserved=1)
    StockFactory(sku=SkuFactory(account=other, sku_id="A-1"))  # another account's same SKU id
    StockFactory(sku=SkuFactory(account=account, sku_id="not asked"))

    def read():
        return availability._stock_rows_later(account.pk, {"A-1", "B'2", "none such"})()

    stock = read()
    expected = as_the_orm_reads(monkeypatch, read)

    assert list(stock) == list(expected) == ["B'2", "A-1"]  # in the order of their rows
    for sku_id, rows in stock.items():
        assert [row.pk for row in rows] == [row.pk for row in expected[sku_id]]
        for row, same in zip(rows, expected[sku_id], strict=True):
            with CaptureQueriesContext(connection) as queries:
                read_through = (row, row.sku, row.warehouse)
            assert not queries.captured_queries, "the SKU and warehouse come with the row"
            for instance, its_twin in zip(read_through, (same, same.sku, same.warehouse), strict=True):
                assert fields_of(instance) == fields_of(its_twin)
                assert not instance._state.adding and instance._state.db == its_twin._state.db


def test_a_batch_claims_what_the_orm_would_claim_oldest_first(shop, monkeypatch):
    received = [receive(shop, marketplaceOrderId=f"S{n}") for n in range(3)]
    IntakeRecord.objects.filter(pk=received[1].pk).update(
        errors=[{"code": "x", "path": ["a", 1]}],
        lease_until=timezone.now() - timedelta(seconds=5),
        received_at=received[0].received_at - timedelta(seconds=1),
    )
    IntakeRecord.objects.filter(pk=received[2].pk).update(status=IntakeStatus.HELD)

    def read():
        with transaction.atomic():
            return intakes_claim(limit=5)

    claimed = read()
    expected = as_the_orm_reads(monkeypatch, read)

    assert [intake.pk for intake in claimed] == [received[1].pk, received[0].pk]
    assert [intake.pk for intake in expected] == [intake.pk for intake in claimed]
    for intake, its_twin in zip(claimed, expected, strict=True):
        assert fields_of(intake) == fields_of(its_twin)
        assert intake.attempts == 1  # this attempt counts
    assert claimed[0].body["marketplaceOrderId"] == "S1"


def test_one_submission_is_claimed_by_its_id_unless_done_or_under_a_lease(shop, monkeypatch):
    free, leased, done = (receive(shop, marketplaceOrderId=f"O{n}") for n in range(3))
    IntakeRecord.objects.filter(pk=leased.pk).update(
        status=IntakeStatus.PROCESSING, lease_until=timezone.now() + timedelta(seconds=30)
    )
    IntakeRecord.objects.filter(pk=done.pk).update(status=IntakeStatus.INTEGRATED)

    def read(intake_id):
        with transaction.atomic():
            return intake_claim(intake_id=intake_id)

    assert read(leased.pk) is None and as_the_orm_reads(monkeypatch, lambda: read(leased.pk)) is None
    assert read(done.pk) is None and as_the_orm_reads(monkeypatch, lambda: read(done.pk)) is None
    assert fields_of(read(free.pk)) == fields_of(as_the_orm_reads(monkeypatch, lambda: read(free.pk)))


@pytest.mark.django_db(transaction=True)
def test_a_claimed_submission_is_passed_over_by_another_worker_until_its_transaction_ends(shop, monkeypatch):
    monkeypatch.setattr(
        "orders.intake.receive.intake_kick", lambda ahead=None: None
    )  # no batch runs by itself
    intake = receive(shop, marketplaceOrderId="L1")
    holding, release, seen = threading.Event(), threading.Event(), {}

    def first_worker():
        with transaction.atomic():
            seen["first"] = intakes_claim(limit=5)
            holding.set()
            release.wait(10)
        connection.close()

    worker = threading.Thread(target=first_worker)
    worker.start()
    try:
        assert holding.wait(10)
        with transaction.atomic():
            assert intakes_claim(limit=5) == []
            assert intake_claim(intake_id=intake.pk) is None
    finally:
        release.set()
        worker.join(10)
    assert [each.pk for each in seen["first"]] == [intake.pk]
    with transaction.atomic():
        assert [each.pk for each in intakes_claim(limit=5)] == [intake.pk]
