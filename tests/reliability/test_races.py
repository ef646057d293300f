"""Races, with real requests at the same moment on PostgreSQL: nothing is duplicated or decided twice.

Each request goes through Django's test client in a thread of its own, with its own database
connection, as separate web processes would; processing and notifications run as each
request commits. Under `bin/test` these fail without PostgreSQL rather than skip.
"""

import json

import pytest
from django.test import Client

from accounts.services import token_issue
from authorization.models import ApprovalTask
from catalog.models import Stock
from orders.models import IntakeRecord, Order, OrderItem
from tests.orders.payloads import order_body, seed_order
from tests.support.clients import client_for, connector_headers, seller_decision
from tests.support.concurrency import at_once
from tests.support.orders import ANA, BO
from tests.support.pages import messages

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("_postgresql")]


def test_fifty_identical_order_posts_at_once_make_one_order(shop, connector_server):
    headers, body = connector_headers(shop.credentials), json.dumps(order_body())

    def post():
        return Client().post(
            "/api/order-integration/orders?an=acme", data=body, content_type="application/json", **headers
        )

    responses = at_once([post] * 50)
    assert {response.status_code for response in responses} == {200}
    assert len({response.content for response in responses}) == 1  # every one answered as the first
    assert responses[0].json()["code"] == "SOI003"
    assert [r.body["code"] for r in connector_server.wait_for_keys(1, timeout=20)] == ["SOI001"]
    assert (IntakeRecord.objects.count(), Order.objects.count()) == (1, 1)
    shop.stock.refresh_from_db()
    assert shop.stock.reserved == 1


def test_identical_orders_decided_in_the_request_at_once_make_one_order(shop, connector_server):
    """The previous protocol without isCreatedAsync: each post is decided in its request."""
    headers = connector_headers(shop.credentials)
    body = json.dumps([seed_order()])

    def post():
        return Client().post(
            "/api/fulfillment/pvt/orders?affiliateId=MKP",
            data=body,
            content_type="application/json",
            **headers,
        )

    responses = at_once([post] * 20)
    answers = sorted(
        (response.status_code, response.json()[0]["orderId"] if response.status_code == 200 else None)
        for response in responses
    )
    assert answers.count((200, "MKP-2630580124")) == 1, [response.content[:200] for response in responses]
    refusals = [response.json()["error"]["code"] for response in responses if response.status_code != 200]
    assert set(refusals) <= {"FMT009"}, refusals
    assert Order.objects.count() == 1
    shop.stock.refresh_from_db()
    assert shop.stock.reserved == 1


def test_twenty_decisions_on_one_order_at_once_make_one_decision(held_order, approver, second_approver, shop):
    """Both approvers, through the API and the order page, approving and denying at the same moment."""
    tokens = {user.email: token_issue(user=user) for user in (approver, second_approver)}
    browsers = {user.email: client_for(user) for user in (approver, second_approver)}

    def by_api(email, action):
        def decide():
            response = seller_decision(tokens[email], "MKP-123456789", action)
            return ("api", email, action, response.status_code, response.json())

        return decide

    def by_admin(email, action):
        data = {} if action == "approve" else {"reason_code": "other", "note": "Not this one."}

        def decide():
            response = browsers[email].post(
                f"/admin/orders/order/{held_order.pk}/{action}/", data, follow=True
            )
            return ("admin", email, action, response.status_code, messages(response))

        return decide

    actions = [
        make(email, "approve" if turn % 2 == 0 else "deny")
        for make in (by_api, by_admin)
        for email in (ANA, BO)
        for turn in range(5)
    ]
    assert len(actions) == 20
    outcomes = at_once(actions)

    task = ApprovalTask.objects.get(order=held_order)
    held_order.refresh_from_db()
    assert task.decision in ("approved", "denied")
    winner = task.decided_by.email
    won = [
        outcome
        for outcome in outcomes
        if (outcome[0] == "api" and outcome[3] == 200)
        or (outcome[0] == "admin" and any(kind == "success" for kind, _ in outcome[4]))
    ]
    assert len(won) == 1, outcomes
    assert (won[0][1], won[0][2]) == (winner, "approve" if task.decision == "approved" else "deny")
    for channel, _, _, status, said in outcomes:
        if said is won[0][4]:
            continue
        if channel == "api":
            assert (status, said["code"], said["decidedBy"]) == (409, "already_decided", winner), said
        else:
            assert [kind for kind, _ in said] == ["error"], said
            assert f"was already {task.decision} by {winner}" in said[0][1]
    assert held_order.events.filter(kind="decision", actor__isnull=False).count() == 1
    shop.stock.refresh_from_db()
    expected = ("payment-pending", 1) if task.decision == "approved" else ("canceled", 0)
    assert (held_order.status, shop.stock.reserved) == expected


def test_two_hundred_orders_for_the_last_ten_units_reserve_ten(shop, connector_server):
    assert (shop.stock.quantity, shop.stock.reserved) == (10, 0)
    headers = connector_headers(shop.credentials)

    def post(number):
        body = json.dumps(order_body(marketplaceOrderId=f"race-{number}"))
        return lambda: Client().post(
            "/api/order-integration/orders?an=acme", data=body, content_type="application/json", **headers
        )

    responses = at_once([post(number) for number in range(200)], threads=25)
    assert {response.json()["code"] for response in responses} == {"SOI003"}
    codes = [notification.body["code"] for notification in connector_server.wait_for_keys(200, timeout=120)]
    stock = Stock.objects.get(pk=shop.stock.pk)
    assert (stock.quantity, stock.reserved) == (10, 10)
    assert codes.count("SOI001") == 10
    assert Order.objects.count() == 10
    assert sum(OrderItem.objects.values_list("reserved_quantity", flat=True)) == 10
    unfinished = IntakeRecord.objects.exclude(status__in=("integrated", "rejected"))
    assert list(unfinished.values_list("marketplace_order_id", "status")) == []
