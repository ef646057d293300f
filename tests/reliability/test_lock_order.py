"""Lock order: decisions, cancels, invoices and the reservation expiry racing on the same orders.

Every write takes its rows in the one order `orders.locking` documents, so none of these waits
for another in a circle: PostgreSQL never has to break a deadlock (which the APIs would answer
with 503), and each order ends as some one-after-the-other order of the requests that answered
200 would leave it. Each request runs in a thread of its own with its own database connection, as
separate web processes and workers would. Under `bin/test` these fail without PostgreSQL.
"""

import copy
import json
import time
from collections import Counter
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.models import Sum
from django.test import Client

from accounts.services import token_issue
from authorization.models import ApprovalTask
from catalog.models import Stock
from orders.models import Order, OrderItem
from orders.tasks import expire_reservations
from tests.factories import SkuFactory, StockFactory
from tests.orders.payloads import EXAMPLE_ORDER
from tests.support.clients import client_for, connector_headers, seller_decision
from tests.support.concurrency import at_once
from tests.support.orders import ANA, BO, place_held
from tests.support.pages import messages

races = pytest.mark.django_db(transaction=True)

ORDERS = 20
THREADS = 16
UNITS = 1000
# Two SKUs at 975 with 2050 of freight each: the seller's value is 6050, and 5140 is 15.04 % below it.
HELD = 5140
WAITING, CANCELED = "waiting-for-manual-authorization", "canceled"


def deadlocks() -> int:
    """PostgreSQL's count of the deadlocks it broke in the test database.

    Each connection reports its count when it closes, which the server records a moment later.
    """
    time.sleep(1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def two_skus(number: int) -> dict:
    """Changes to the example order: SKUs 1 and 2, every other order listing them the other way round."""
    skus = ["1", "2"] if number % 2 == 0 else ["2", "1"]
    logistics = EXAMPLE_ORDER["shippingData"]["logisticsInfo"][0]
    return {
        "items": [{"id": sku, "price": 975, "quantity": 1} for sku in skus],
        "shipping": {"logisticsInfo": [copy.deepcopy(logistics) for _ in skus]},
    }


@pytest.fixture
def held_orders(_postgresql, shop, owner, approver, second_approver, connector_server):
    """Return a function placing `ORDERS` held orders that share two stock rows."""
    StockFactory(sku=SkuFactory(account=shop.account, sku_id="2", name="Trousers"), warehouse=shop.warehouse)
    Stock.objects.update(quantity=UNITS)

    def place(*, approved: bool = False) -> list[Order]:
        orders = [
            place_held(
                shop.connector,
                paid=HELD,
                status="approved" if approved else "new",
                marketplaceOrderId=f"lock-{number}",
                **two_skus(number),
            )
            for number in range(ORDERS)
        ]
        connector_server.wait_for(ORDERS * (2 if approved else 1), timeout=30)
        return orders

    return place


@pytest.fixture
def seller_api(approver, second_approver):
    tokens = {user.email: token_issue(user=user) for user in (approver, second_approver)}

    def decide(order: Order, action: str, email: str = ANA):
        def request():
            response = seller_decision(tokens[email], order.main_order_id, action)
            return (order.pk, action, response.status_code, response.json())

        return request

    return decide


@pytest.fixture
def oms_api(shop):
    headers = connector_headers(shop.credentials)

    def call(order: Order, action: str):
        body = {"reason": "The customer gave up."}
        if action == "invoice":
            body = {
                "type": "Output",
                "invoiceNumber": f"NF-{order.pk}",
                "invoiceValue": str(HELD),
                "issuanceDate": "2026-11-20T10:00:00Z",
                "items": [{"id": "1", "price": 975, "quantity": 1}, {"id": "2", "price": 975, "quantity": 1}],
            }

        def request():
            response = Client().post(
                f"/api/oms/pvt/orders/{order.main_order_id}/{action}",
                data=json.dumps(body),
                content_type="application/json",
                **headers,
            )
            return (order.pk, action, response.status_code, response.json())

        return request

    return call


def answers_by_order(outcomes, *, deadlocks_before: int) -> dict[int, dict[str, tuple[int, dict]]]:
    """{order pk: {action: (status, body)}}, after checking that PostgreSQL broke no deadlock and
    that nothing answered 5xx."""
    failed = [outcome for outcome in outcomes if outcome[2] >= 500]
    assert (deadlocks() - deadlocks_before, failed) == (0, [])
    by_order: dict[int, dict] = {}
    for pk, action, status, body in outcomes:
        if pk is not None:  # not an action on one order (the expiry, a bulk decision)
            by_order.setdefault(pk, {})[action] = (status, body)
    return by_order


def decisions_of(order: Order) -> list[tuple[str, str]]:
    """The approvers' decisions written in the order's log: (decision, status it moved to)."""
    return [
        (event.data["decision"], event.to_status)
        for event in order.events.filter(kind="decision", actor__isnull=False).order_by("pk")
    ]


def status_path(order: Order) -> list[str]:
    return list(order.events.exclude(to_status="").order_by("pk").values_list("to_status", flat=True))


def reserved_units(order: Order) -> int:
    return order.items.aggregate(units=Sum("reserved_quantity"))["units"]


def stock_matches_the_orders() -> None:
    """Every unit a stock row says is reserved is held by an order item, and the reverse."""
    for stock in Stock.objects.all():
        held = OrderItem.objects.filter(stock=stock).aggregate(units=Sum("reserved_quantity"))["units"]
        assert stock.reserved == (held or 0), (stock.sku_id, stock.reserved, held)


@races
def test_approvals_racing_cancels_never_deadlock(held_orders, seller_api, oms_api):
    """The finding: an approve through the seller API and a connector's cancel through the OMS API."""
    orders = held_orders()
    before = deadlocks()
    actions = []
    for order in orders:
        actions += [seller_api(order, "approve"), oms_api(order, "cancel")]
    answers = answers_by_order(at_once(actions, threads=THREADS), deadlocks_before=before)
    for order in orders:
        order.refresh_from_db()
        (approved, approval), (canceled, receipt) = answers[order.pk]["approve"], answers[order.pk]["cancel"]
        task = ApprovalTask.objects.get(order=order)
        # Canceling is allowed from any status before invoiced: the cancel always wins, after
        # the approval or instead of it, and the approval is then refused.
        assert (canceled, order.status) == (200, CANCELED), receipt
        assert receipt["orderId"] == order.main_order_id
        if approved == 200:
            assert task.decision == "approved"
            assert decisions_of(order) == [("approved", "payment-pending")]
            assert status_path(order) == [WAITING, "payment-pending", CANCELED]
        else:
            assert (approved, approval["code"]) == (409, "not_decidable"), approval
            assert (task.decision, task.next_notification_at) == ("", None)
            assert decisions_of(order) == []
            assert status_path(order) == [WAITING, CANCELED]
        assert reserved_units(order) == 0
        assert order.reservation_released_at is not None
    assert list(Stock.objects.values_list("reserved", flat=True)) == [0, 0]
    stock_matches_the_orders()


@races
def test_approvals_and_denials_racing_invoices_never_deadlock(
    held_orders, seller_api, oms_api, connector_server
):
    """Orders the marketplace posted approved: an approval makes them ready for handling and invoicable."""
    orders = held_orders(approved=True)
    sent_before = len(connector_server.received)
    before = deadlocks()
    actions = []
    for order in orders:
        actions += [
            seller_api(order, "approve", ANA),
            oms_api(order, "invoice"),
            seller_api(order, "deny", BO),
        ]
    answers = answers_by_order(at_once(actions, threads=THREADS), deadlocks_before=before)
    # What each order's decision told the connector.
    codes = {order.marketplace_order_id: [] for order in orders}
    for received in connector_server.wait_for(sent_before + ORDERS, timeout=30)[sent_before:]:
        codes[received.body["marketplaceOrderId"]].append(received.body["code"])
    invoiced = 0
    for order in orders:
        order.refresh_from_db()
        approve, invoice, deny = (answers[order.pk][action] for action in ("approve", "invoice", "deny"))
        task = ApprovalTask.objects.get(order=order)
        assert sorted([approve[0], deny[0]]) == [200, 409], (approve, deny)
        loser = deny if approve[0] == 200 else approve
        assert (loser[1]["code"], loser[1]["decidedBy"]) == ("already_decided", task.decided_by.email)
        if approve[0] == 200:
            assert task.decision == "approved"
            assert decisions_of(order) == [("approved", "ready-for-handling")]
            assert codes[order.marketplace_order_id] == ["SOI002"]
            if invoice[0] == 200:
                invoiced += 1
                assert status_path(order) == [WAITING, "ready-for-handling", "handling", "invoiced"]
                assert reserved_units(order) == 0
            else:
                assert (invoice[0], invoice[1]["error"]["code"]) == (409, "OMS003"), invoice
                assert status_path(order) == [WAITING, "ready-for-handling"]
                assert reserved_units(order) == 2
        else:
            assert task.decision == "denied"
            assert decisions_of(order) == [("denied", CANCELED)]
            assert codes[order.marketplace_order_id] == ["EOI009"]
            assert (invoice[0], invoice[1]["error"]["code"]) == (409, "OMS003"), invoice
            assert status_path(order) == [WAITING, CANCELED]
            assert reserved_units(order) == 0
    holding = Order.objects.filter(status="ready-for-handling").count()
    assert (
        list(Stock.objects.order_by("pk").values_list("quantity", "reserved"))
        == [(UNITS - invoiced, holding)] * 2
    )
    stock_matches_the_orders()


@races
def test_approvals_racing_the_reservation_expiry_neither_deadlock_nor_lose_their_stock(
    held_orders, seller_api
):
    """Reservations run out as the approver decides: an approval holds stock, taken again when it ran out."""
    orders = held_orders()
    Order.objects.update(reservation_expires_at="2020-01-01T00:00:00Z")
    before = deadlocks()

    def expire():
        return (None, "expire", 200, expire_reservations())

    actions = [seller_api(order, "approve") for order in orders]
    for position in (0, ORDERS // 2, ORDERS):
        actions.insert(position, expire)
    outcomes = at_once(actions, threads=THREADS)
    answers = answers_by_order(outcomes, deadlocks_before=before)
    for order in orders:
        order.refresh_from_db()
        assert answers[order.pk]["approve"][0] == 200, answers[order.pk]
        assert order.status == "payment-pending"
        assert decisions_of(order) == [("approved", "payment-pending")]
        # The reservation as its events tell it: held when the approval was made, and released
        # afterwards only by an expiry that was due (the approval's renewal gives it a new day).
        holding = True
        for event in order.events.order_by("pk"):
            if event.kind == "reservation":
                holding = "released" not in event.data
            if event.kind == "decision" and event.actor_id is not None:
                assert holding, f"{order.main_order_id} was approved without its stock"
        assert holding == (order.reservation_released_at is None) == (reserved_units(order) == 2)
        if order.reservation_expired:
            assert order.reservation_expires_at <= order.reservation_released_at
    stock_matches_the_orders()


@races
def test_a_bulk_approval_racing_cancels_never_deadlocks(held_orders, oms_api, approver):
    """One approver approves the whole queue from the admin while the connector cancels each order."""
    orders = held_orders()
    browser = client_for(approver)
    before = deadlocks()

    def bulk():
        response = browser.post(
            "/admin/orders/waitingorder/",
            {
                "action": "approve_selected",
                "_selected_action": [order.pk for order in orders],
                "confirm": "1",  # the confirmation page's form
                "note": "",
            },
            follow=True,
        )
        return (None, "bulk", response.status_code, [text for _, text in messages(response)])

    actions = [bulk]
    for order in orders:
        actions.append(oms_api(order, "cancel"))
    outcomes = at_once(actions, threads=THREADS)
    (said,) = [outcome[3] for outcome in outcomes if outcome[1] == "bulk"]
    answers = answers_by_order(outcomes, deadlocks_before=before)
    (summary,) = said  # one message for the whole selection
    approved = 0
    for order in orders:
        order.refresh_from_db()
        task = ApprovalTask.objects.get(order=order)
        assert (answers[order.pk]["cancel"][0], order.status) == (200, CANCELED)
        if task.decision == "approved":
            approved += 1
            assert status_path(order) == [WAITING, "payment-pending", CANCELED]
        else:
            assert task.decision == ""
            assert status_path(order) == [WAITING, CANCELED]
    assert summary.startswith(f"{approved} of {ORDERS} orders approved"), summary
    if approved < ORDERS:  # the others, canceled first, are said to be so
        assert "is canceled: it no longer waits for a decision" in summary, summary
    assert Counter(Stock.objects.values_list("reserved", flat=True)) == {0: 2}
    stock_matches_the_orders()


# Every row lock the app takes explicitly, and where it stands in `orders.locking`'s order. A new
# one fails here until it is placed in that order (and the count below says so).
ROW_LOCKS = {
    "authorization/services.py": 2,  # the account, while its rule is replaced or deleted (1)
    "orders/intake/claim.py": 1,  # claiming submissions for the transaction that processes them (skip locked, never waits) (2)
    "insight/services.py": 1,  # a reprocessed submission's earlier decision record, under it (2)
    "connector_api/fulfillment_place.py": 1,  # the order the marketplace authorizes, first in its transaction (3)
    "orders/locking.py": 2,  # `order_lock`: the order, then its approval task (3)
    "catalog/services.py": 5,  # SKUs then their stock, `stocks_lock` (5); pickup points, policies alone
    "connectors/feed.py": 1,  # feed items being read (skip locked, never waits)
    "connectors/outbound.py": 1,  # deliveries being claimed (skip locked, never waits)
    "accounts/absences.py": 1,  # the account, while an absence of one of its members is set (1)
    "orders/approval_mail.py": 2,  # an approver's mailbox (skip locked, never waits); the tasks a digest named, alone (3)
    "orders/escalation.py": 1,  # the approval tasks whose step of the chain is due, alone (skip locked, never waits) (3)
}


def test_every_row_lock_is_placed_in_the_lock_order():
    root = Path(settings.BASE_DIR)
    folders = {root / "config"} | {
        Path(app.path) for app in apps.get_app_configs() if Path(app.path).parent == root
    }
    found = {}
    for folder in folders:
        for path in folder.rglob("*.py"):
            count = path.read_text().count("select_for_update(")
            if count and "migrations" not in path.parts:
                found[str(path.relative_to(root))] = count
    assert found == ROW_LOCKS
