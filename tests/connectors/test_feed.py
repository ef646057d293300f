"""The order feed (Feed v3): its configuration, reading, invisibility, commit and redelivery."""

import pytest

from orders.bulk import orders_approve_or_deny
from tests.connectors.oms_support import SPEC, OmsClient, component_schema, contract_errors, response_schema
from tests.factories import connector
from tests.orders.payloads import order_body
from tests.support.clients import api_error
from tests.support.observe import observed
from tests.support.orders import place_held

CONFIG = "/api/orders/feed/config"
FEED = "/api/orders/feed"
STATUSES = ["payment-pending", "ready-for-handling", "canceled"]


def configure(oms, statuses=STATUSES, visibility=250, retention=345600):
    response = oms.post(
        CONFIG,
        {
            "filter": {"type": "FromWorkflow", "status": statuses},
            "queue": {"visibilityTimeoutInSeconds": visibility, "MessageRetentionPeriodInSeconds": retention},
        },
    )
    assert response.status_code == 200, response.json()
    return response.json()


def read(oms, maxlot=10):
    response = oms.get(f"{FEED}?maxlot={maxlot}")
    assert response.status_code == 200, response.json()
    return response.json()


def commit(oms, items):
    return oms.post(FEED, {"handles": [item["handle"] for item in items]})


def test_the_feed_configuration_is_saved_and_read_back_with_its_queue(oms):
    saved = configure(oms, visibility=60, retention=400000)
    response = oms.get(CONFIG)
    assert response.status_code == 200
    body = response.json()
    assert body == saved
    assert body == {
        "filter": {"type": "FromWorkflow", "status": STATUSES},
        "queue": {"visibilityTimeoutInSeconds": 60, "MessageRetentionPeriodInSeconds": 400000},
        "quantity": 0,
        "approximateAgeOfOldestMessageInSeconds": 0.0,
    }
    assert contract_errors(body, response_schema("/api/orders/feed/config", "get")) == []


def test_without_a_filter_the_feed_takes_every_status(oms):
    response = oms.post(CONFIG, {})
    assert response.status_code == 200
    statuses = response.json()["filter"]["status"]
    assert {"waiting-for-manual-authorization", "payment-pending", "handling", "invoiced", "canceled"} <= set(
        statuses
    )
    assert response.json()["queue"] == {
        "visibilityTimeoutInSeconds": 250,
        "MessageRetentionPeriodInSeconds": 345600,
    }


def test_the_published_status_list_is_accepted(oms):
    example = SPEC["paths"]["/api/orders/feed/config"]["post"]["requestBody"]["content"]["application/json"]
    statuses = example["schema"]["properties"]["filter"]["properties"]["status"]["example"]
    assert configure(oms, statuses=statuses)["filter"]["status"] == statuses


def test_without_a_feed_reading_answers_404(oms):
    for response in (oms.get(FEED + "?maxlot=1"), oms.get(CONFIG), oms.delete(CONFIG), commit(oms, [])):
        assert api_error(response) == (404, "OMS002")
    assert "POST /api/orders/feed/config" in oms.get(FEED).json()["error"]["message"]


def test_a_status_change_enters_the_feed_with_the_contracts_fields(oms, mkp):
    configure(oms)
    mkp.place(order_body())
    (item,) = read(oms)
    assert contract_errors(item, component_schema("Getfeedorderstatus")) == []
    assert item["domain"] == "Fulfillment"
    assert (item["orderId"], item["state"], item["lastState"]) == ("MKP-123456789", "payment-pending", "")
    assert item["lastChange"] == item["currentChange"]
    assert item["currentChange"].endswith("Z")
    assert len(item["eventId"]) == 32 and item["handle"]


def test_every_status_change_follows_with_the_previous_one(oms, mkp):
    configure(oms)
    mkp.place(order_body(marketplaceOrderStatus="approved"))
    oms.post("/api/oms/pvt/orders/MKP-123456789/cancel", {"reason": "Out of stock at the marketplace"})
    first, second = read(oms)
    assert (first["state"], first["lastState"]) == ("ready-for-handling", "")
    assert (second["state"], second["lastState"]) == ("canceled", "ready-for-handling")
    assert second["lastChange"] == first["currentChange"]
    assert first["eventId"] != second["eventId"]


def test_every_way_a_status_changes_reaches_the_feed(oms, shop, owner, approver, second_approver):
    """The intake's write stage (held), a decision taken in bulk (approved) and the OMS API's cancel
    (one transition) each put their change in the feed."""
    configure(oms, statuses=["waiting-for-manual-authorization", "payment-pending", "canceled"])
    order = place_held(shop.connector)
    (decided,) = orders_approve_or_deny(user=approver, order_ids=[order.pk], action="approve")
    assert decided.ok, decided
    oms.post(f"/api/oms/pvt/orders/{order.main_order_id}/cancel", {"reason": "Customer gave up"})
    assert [(item["state"], item["lastState"]) for item in read(oms)] == [
        ("waiting-for-manual-authorization", ""),
        ("payment-pending", "waiting-for-manual-authorization"),
        ("canceled", "payment-pending"),
    ]


def test_statuses_outside_the_filter_stay_out(oms, mkp):
    configure(oms, statuses=["canceled"])
    mkp.place(order_body())
    assert read(oms) == []
    oms.post("/api/oms/pvt/orders/MKP-123456789/cancel", {"reason": "Customer gave up"})
    assert [item["state"] for item in read(oms)] == ["canceled"]


def test_items_read_are_invisible_until_the_timeout_and_then_come_back(oms, mkp, clock):
    configure(oms, visibility=60)
    mkp.place(order_body())
    (first,) = read(oms)
    assert read(oms) == []
    clock.shift(59)
    assert read(oms) == []
    clock.shift(2)
    (again,) = read(oms)
    assert (again["eventId"], again["handle"], again["state"]) == (
        first["eventId"],
        first["handle"],
        first["state"],
    )


def test_committed_items_never_come_back(oms, mkp, clock):
    configure(oms, visibility=60)
    mkp.place(order_body())
    items = read(oms)
    response = commit(oms, items)
    assert response.status_code == 200
    clock.shift(61)
    assert read(oms) == []
    assert oms.get(CONFIG).json()["quantity"] == 0


def test_committing_again_or_an_unknown_handle_is_harmless(oms, mkp, shop, connector_server):
    configure(oms)
    mkp.place(order_body(marketplaceOrderId="1"))
    mkp.place(order_body(marketplaceOrderId="2"))
    first, _still_waiting = read(oms)
    assert commit(oms, [first]).status_code == 200
    before = observed(shop.account)
    assert [body["orderId"] for _uid, _handle, body, *_ in before["feed"]] == ["MKP-2"]
    assert commit(oms, [first]).status_code == 200
    assert oms.post(FEED, {"handles": ["no-such-handle"]}).status_code == 200
    assert observed(shop.account) == before
    assert connector_server.codes() == ["SOI001", "SOI001"]


@pytest.mark.parametrize("body", [{}, {"handles": "abc"}, {"handles": [1, 2]}, ["abc"]])
def test_a_commit_without_a_list_of_handles_answers_400(oms, body):
    configure(oms)
    response = oms.post(FEED, body)
    assert api_error(response) == (400, "OMS001")
    assert response.json()["error"]["message"] == "handles: a list of at most 1000 handles (strings)."


def test_maxlot_limits_the_items_oldest_first(oms, mkp):
    configure(oms)
    for number in ("1", "2", "3"):
        mkp.place(order_body(marketplaceOrderId=number))
    assert [item["orderId"] for item in read(oms, maxlot=2)] == ["MKP-1", "MKP-2"]
    assert [item["orderId"] for item in read(oms, maxlot=2)] == ["MKP-3"]


def test_without_maxlot_one_item_is_read(oms, mkp):
    configure(oms)
    for number in ("1", "2"):
        mkp.place(order_body(marketplaceOrderId=number))
    assert len(oms.get(FEED).json()) == 1


@pytest.mark.parametrize("maxlot", ["0", "11", "x", "-1"])
def test_maxlot_is_one_to_ten(oms, maxlot):
    configure(oms)
    response = oms.get(f"{FEED}?maxlot={maxlot}")
    assert api_error(response) == (400, "OMS001")
    assert response.json()["error"]["message"] == "maxlot: a whole number from 1 to 10."


def test_the_configuration_counts_what_waits_invisible_items_too(oms, mkp, clock):
    configure(oms)
    mkp.place(order_body(marketplaceOrderId="1"))
    mkp.place(order_body(marketplaceOrderId="2"))
    read(oms, maxlot=1)
    clock.shift(30)
    body = oms.get(CONFIG).json()
    assert body["quantity"] == 2
    assert body["approximateAgeOfOldestMessageInSeconds"] >= 30


def test_items_nobody_commits_are_dropped_after_the_retention_period(oms, mkp, clock):
    configure(oms, retention=345600)
    mkp.place(order_body())
    clock.shift(345601)
    assert read(oms) == []
    assert oms.get(CONFIG).json()["quantity"] == 0


def test_the_retention_sweep_drops_old_items(oms, mkp, clock):
    from connectors.feed import feed_items_purge

    configure(oms)
    mkp.place(order_body())
    assert feed_items_purge() == 0
    clock.shift(345601)
    assert feed_items_purge() == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {
                "filter": {
                    "type": "FromOrders",
                    "expression": 'status = "canceled"',
                    "disableSingleFire": False,
                }
            },
            "FromOrders (JSONata expression) filters are not supported",
        ),
        ({"filter": {"type": "FromWorkflow", "status": []}}, "filter.status: name at least one status"),
        (
            {"filter": {"type": "FromWorkflow", "status": ["shipped"]}},
            "filter.status: unknown status shipped.",
        ),
        ({"filter": {"type": "Everything"}}, "filter.type: use FromWorkflow."),
        (
            {"queue": {"visibilityTimeoutInSeconds": 43201}},
            "queue.visibilityTimeoutInSeconds: a whole number",
        ),
        ({"queue": {"MessageRetentionPeriodInSeconds": 345599}}, "from 345600 to 1209600"),
        ({"queue": {"MessageRetentionPeriodInSeconds": 1209601}}, "from 345600 to 1209600"),
        (
            {"queue": {"visibilityTimeoutInSeconds": "250"}},
            "queue.visibilityTimeoutInSeconds: a whole number",
        ),
    ],
)
def test_a_filter_or_queue_out_of_the_contract_answers_400_and_saves_nothing(oms, body, message):
    response = oms.post(CONFIG, body)
    assert api_error(response) == (400, "OMS001")
    assert message in response.json()["error"]["message"]
    assert oms.get(CONFIG).status_code == 404


def test_the_published_fromorders_example_is_refused_with_what_to_do(oms):
    example = SPEC["paths"]["/api/orders/feed/config"]["post"]["requestBody"]["content"]["application/json"]
    response = oms.post(CONFIG, example["example"])
    assert api_error(response) == (400, "OMS001")
    assert 'use {"type": "FromWorkflow", "status": [...]}' in response.json()["error"]["message"]


def test_status_mixed_with_an_expression_answers_409(oms):
    response = oms.post(
        CONFIG, {"filter": {"type": "FromWorkflow", "status": ["canceled"], "expression": "value > 100"}}
    )
    assert api_error(response) == (409, "OMS004")
    assert oms.get(CONFIG).status_code == 404


def test_a_feed_configured_again_replaces_the_filter_and_keeps_its_items(oms, mkp):
    configure(oms)
    mkp.place(order_body())
    configure(oms, statuses=["canceled"], visibility=30)
    body = oms.get(CONFIG).json()
    assert (body["filter"]["status"], body["queue"]["visibilityTimeoutInSeconds"], body["quantity"]) == (
        ["canceled"],
        30,
        1,
    )


def test_deleting_the_feed_removes_it_and_its_items(oms, mkp):
    configure(oms)
    mkp.place(order_body())
    assert oms.delete(CONFIG).status_code == 200
    assert api_error(oms.get(FEED)) == (404, "OMS002")
    configure(oms)
    assert read(oms) == []


def test_each_connector_has_its_own_feed_of_its_own_orders(
    oms, mkp, shop, client, django_capture_on_commit_callbacks
):
    _, credentials = connector(shop.account, name="Other", affiliate_id="OTH")
    other_oms = OmsClient(client, credentials, django_capture_on_commit_callbacks)
    assert api_error(other_oms.get(FEED)) == (404, "OMS002")
    configure(oms)
    configure(other_oms)
    mkp.place(order_body())
    assert read(other_oms) == []
    assert [item["orderId"] for item in read(oms)] == ["MKP-123456789"]


def test_other_handles_cannot_commit_another_connectors_items(
    oms, mkp, shop, client, django_capture_on_commit_callbacks
):
    _, credentials = connector(shop.account, name="Other", affiliate_id="OTH")
    other_oms = OmsClient(client, credentials, django_capture_on_commit_callbacks)
    configure(oms, visibility=0)
    configure(other_oms)
    mkp.place(order_body())
    items = read(oms)
    assert commit(other_oms, items).status_code == 200
    assert [item["handle"] for item in read(oms)] == [items[0]["handle"]]


def test_the_feed_needs_the_connectors_credentials(client, shop):
    response = client.get(
        FEED, HTTP_X_VTEX_API_APPKEY=shop.credentials.app_key, HTTP_X_VTEX_API_APPTOKEN="nope"
    )
    assert api_error(response) == (401, "OMS006")
    assert response.json()["error"]["message"] == "Invalid X-VTEX-API-AppKey or X-VTEX-API-AppToken."
    assert api_error(client.get(FEED)) == (401, "OMS006")


def test_the_feed_of_another_account_answers_403(oms, other_account):
    configure(oms)
    response = oms.get(f"{FEED}?an=globex")
    assert api_error(response) == (403, "OMS007")
    assert response.json()["error"]["message"] == "This connector cannot act on account globex."
    assert oms.get(f"{FEED}?an=acme").status_code == 200


def test_a_body_that_is_not_json_answers_400(oms):
    response = oms.post(CONFIG, raw="{not json")
    assert api_error(response) == (400, "OMS001")
    assert response.json()["error"]["message"].startswith("The body is not valid JSON")


def test_two_readers_at_once_never_get_the_same_item(transactional_db, oms, mkp):
    """Each reader holds its items until it commits; the other skips them rather than wait or repeat them."""
    import threading

    from django.db import connection, transaction

    from connectors.feed import feed_read
    from connectors.models import FeedConfig

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite lets one writer in at a time")
    configure(oms)
    mkp.place(order_body(marketplaceOrderId="1"))
    mkp.place(order_body(marketplaceOrderId="2"))
    feed = FeedConfig.objects.get()
    both_hold_their_items = threading.Barrier(2, timeout=10)
    read_by: dict[str, list[str]] = {}

    def reader(name):
        try:
            with transaction.atomic():
                read_by[name] = [item.body["orderId"] for item in feed_read(feed=feed, max_items=1)]
                both_hold_their_items.wait()
        finally:
            connection.close()

    threads = [threading.Thread(target=reader, args=(name,)) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(read_by["first"] + read_by["second"]) == ["MKP-1", "MKP-2"]
