"""The manual-authorization queue in the admin: what waits, for whom, filters, counts, CSV and bulk decisions."""

import csv
import html
import io
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.roles import Role
from catalog.models import Stock
from orders.models import BulkDecision, Order
from orders.reservations import reservations_expire
from orders.templatetags import order_queue
from tests.connector_client import ConnectorClient
from tests.factories import (
    ShippingPolicyFactory,
    SkuFactory,
    StockFactory,
    WarehouseFactory,
    band,
    connector,
    member,
)
from tests.orders.payloads import order_body
from tests.support.orders import place_held
from tests.support.pages import messages, page, text_of

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


def select(client, action, orders, **extra):
    return client.post(
        QUEUE,
        {"action": action, "index": "0", "_selected_action": [order.pk for order in orders], **extra},
        follow=True,
    )


@pytest.fixture
def queue(hold):
    """Two held orders: A (15 %, Ana and Bo) waiting 3 h 12 min, B (25 %, Bo only) waiting 10 min."""
    older = hold("A")
    newer = hold("B", paid=TWENTY_FIVE)
    age(older, hours=3, minutes=12)
    age(newer, minutes=10)
    return older, newer


# What the queue shows


def test_the_queue_lists_waiting_orders_oldest_first_with_what_an_approver_needs(client, viewer, mkp, queue):
    mkp.place(order_body(marketplaceOrderId="PAID-IN-FULL"))  # authorized: not in the queue
    client.force_login(viewer)
    listing = page(client, QUEUE)
    assert rows(listing) == ["MKP-A", "MKP-B"]
    assert "MKP-PAID-IN-FULL" not in listing
    first = listing[listing.index("MKP-A") : listing.index("MKP-B")]
    for text in [
        "SkyHub",
        "25.71",
        "30.25",
        "+15.01 %",
        "10.00–20.00 %",
        "3 h 12 min",
        "approver 1 of 2",
        ANA,
        "A · SkyHub (MKP)",
    ]:
        assert text in first, text
    assert re.search(r"23 h 5\d min left", first)
    assert "+24.99 %" in listing and "20.00–30.00 %" in listing and "10 min" in listing
    assert "2 orders waiting" in listing
    assert "results" not in text_of(listing)


def test_a_viewer_sees_the_queue_without_any_way_to_decide(client, viewer, queue):
    client.force_login(viewer)
    listing = page(client, QUEUE)
    assert rows(listing) == ["MKP-A", "MKP-B"]
    assert "Approve the selected orders" not in listing
    assert 'name="_selected_action"' not in listing
    response = select(client, "approve_selected", queue)
    assert messages_of(response) == [
        "You may read the queue but not decide orders: your role does not approve."
    ]
    assert set(Order.objects.values_list("status", flat=True)) == {"waiting-for-manual-authorization"}


def test_orders_of_another_account_are_not_in_the_queue(client, approver, queue, other_account, other_server):
    member(other_account, Role.OWNER, "owner@globex.example")
    warehouse = WarehouseFactory(account=other_account, warehouse_id="WH1")
    sku = SkuFactory(account=other_account, sku_id="1", price_cents=975)
    StockFactory(sku=sku, warehouse=warehouse, quantity=10)
    ShippingPolicyFactory(account=other_account, policy_id="Express").warehouses.add(warehouse)
    theirs, _ = connector(other_account, endpoint=other_server.url, name="Globex", affiliate_id="GLX")
    place_held(theirs, bands=[band(0, 100, "manual", ["owner@globex.example"])], marketplaceOrderId="THEIRS")
    client.force_login(approver)
    listing = page(client, QUEUE)
    assert rows(listing) == ["MKP-A", "MKP-B"]
    assert "THEIRS" not in listing and "Globex" not in listing


def test_the_queue_shows_who_was_notified_and_the_level_after_an_escalation(client, viewer, queue):
    from orders.approvals import approvals_notify_due

    approvals_notify_due(now=timezone.now() + timedelta(hours=5))
    client.force_login(viewer)
    first = page(client, QUEUE).split("MKP-B")[0]
    assert "approver 2 of 2" in first
    notified = html.unescape(re.search(r'title="(Notified: [^"]*)">' + re.escape(BO), first).group(1))
    assert re.fullmatch(
        rf"Notified: {re.escape(ANA)} \(held: first approver, [^)]+\); {re.escape(BO)} \(escalated, [^)]+\)",
        notified,
    ), notified


# Filters


def test_needs_my_decision_shows_the_orders_whose_band_lists_me(client, approver, second_approver, queue):
    client.force_login(approver)
    assert rows(page(client, f"{QUEUE}?mine=yes")) == ["MKP-A"]
    client.force_login(second_approver)
    assert rows(page(client, f"{QUEUE}?mine=yes")) == ["MKP-A", "MKP-B"]


def test_needs_my_decision_is_empty_for_a_viewer_even_when_listed(client, account, queue, owner):
    listed_viewer = member(account, Role.VIEWER, "vera@acme.example")
    order = Order.objects.get(marketplace_order_id="A")
    Order.objects.filter(pk=order.pk).update(band={**order.band, "approvers": ["vera@acme.example"]})
    client.force_login(listed_viewer)
    assert rows(page(client, f"{QUEUE}?mine=yes")) == []


def test_filter_by_divergence_range_either_sign(client, viewer, queue):
    client.force_login(viewer)
    assert rows(page(client, f"{QUEUE}?divergence_from=20&divergence_to=30")) == ["MKP-B"]
    assert rows(page(client, f"{QUEUE}?divergence_to=20")) == ["MKP-A"]
    assert rows(page(client, f"{QUEUE}?divergence_from=15")) == ["MKP-A", "MKP-B"]
    assert rows(page(client, f"{QUEUE}?divergence_from=25")) == []


def test_filter_by_time_waiting(client, viewer, queue):
    client.force_login(viewer)
    assert rows(page(client, f"{QUEUE}?age=1h-4h")) == ["MKP-A"]
    assert rows(page(client, f"{QUEUE}?age=lt1h")) == ["MKP-B"]
    assert rows(page(client, f"{QUEUE}?age=gt1d")) == []


def test_filter_by_connector(client, viewer, queue, mkp, shop, connector_server):
    _, credentials = connector(shop.account, endpoint=connector_server.url, name="Amazon", affiliate_id="AMZ")
    ConnectorClient(mkp.client, credentials, mkp.capture).place(
        order_body(marketplaceOrderId="Z1", marketplacePaymentValue=FIFTEEN)
    )
    amazon = Order.objects.get(marketplace_order_id="Z1")
    client.force_login(viewer)
    listing = page(client, f"{QUEUE}?connector__id__exact={amazon.connector_id}")
    assert "AMZ-Z1" in listing and rows(listing) == []
    assert rows(page(client, f"{QUEUE}?connector__id__exact={shop.connector.pk}")) == ["MKP-A", "MKP-B"]


def test_an_expired_reservation_is_flagged_and_can_be_filtered(client, viewer, queue, shop):
    older, _ = queue
    Order.objects.filter(pk=older.pk).update(reservation_expires_at=timezone.now() - timedelta(minutes=1))
    assert reservations_expire() == 1
    client.force_login(viewer)
    listing = page(client, QUEUE)
    first = listing[listing.index("MKP-A") : listing.index("MKP-B")]
    assert '<span class="oa-badge oa-badge--bad">expired</span>' in first
    assert rows(page(client, f"{QUEUE}?reservation=expired")) == ["MKP-A"]
    assert rows(page(client, f"{QUEUE}?reservation=held")) == ["MKP-B"]
    shop.stock.refresh_from_db()
    assert shop.stock.reserved == 1


# Counts and cost


def test_the_admin_index_counts_waiting_orders_and_mine(client, approver, second_approver, viewer, queue):
    client.force_login(approver)
    index = page(client, "/admin/")
    assert "2 orders waiting" in index and "1 needs my decision" in index
    assert 'href="/admin/orders/waitingorder/?mine=yes"' in index
    assert "Waiting for manual authorization" in index
    client.force_login(second_approver)
    assert "2 need my decision" in page(client, "/admin/")
    client.force_login(viewer)
    assert "0 need my decision" in page(client, "/admin/")


def test_the_index_counts_stop_at_their_caps(client, second_approver, queue, hold, monkeypatch):
    hold("C")
    monkeypatch.setattr(order_queue, "COUNT_CAP", 2)
    monkeypatch.setattr(order_queue, "MINE_CAP", 1)
    client.force_login(second_approver)
    index = page(client, "/admin/")
    assert "2+ orders waiting" in index and "1+ need my decision" in index


def test_a_page_of_the_queue_costs_the_same_queries_however_many_orders_wait(
    client, second_approver, queue, hold
):
    client.force_login(second_approver)
    page(client, QUEUE)  # the session and the user's roles are read once, whatever the page

    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            page(client, url)
        return [query["sql"] for query in captured.captured_queries]

    few = queries(QUEUE), queries(f"{QUEUE}?mine=yes")
    for marketplace_order_id in ["C", "D", "E", "F"]:
        hold(marketplace_order_id)
    many = queries(QUEUE), queries(f"{QUEUE}?mine=yes")
    assert [len(sqls) for sqls in many] == [len(sqls) for sqls in few]
    for sql in many[0] + many[1]:
        if "COUNT(" in sql.upper():
            assert "LIMIT" in sql.upper(), sql


def test_pages_follow_the_queue_oldest_first_without_counting_it(client, viewer, queue, hold, monkeypatch):
    from django.contrib import admin

    from orders.models import WaitingOrder

    hold("C")
    monkeypatch.setattr(admin.site.get_model_admin(WaitingOrder), "list_per_page", 2)
    client.force_login(viewer)
    first = page(client, QUEUE)
    assert rows(first) == ["MKP-A", "MKP-B"]
    assert "More than 2 orders waiting" in first
    assert '<a role="button" href="?p=2">2</a>' in first
    second = page(client, f"{QUEUE}?p=2")
    assert rows(second) == ["MKP-C"]
    assert "3 orders waiting" in second


@pytest.mark.parametrize("per_page", [1, 2, 3])
def test_pages_hold_every_order_once_in_order_even_when_times_tie(
    client, viewer, queue, hold, monkeypatch, per_page
):
    from django.contrib import admin

    from orders.models import WaitingOrder

    for marketplace_order_id in ["C", "D", "E", "F"]:
        hold(marketplace_order_id)
    moment = timezone.now() - timedelta(hours=1)
    Order.objects.filter(marketplace_order_id__in=["B", "C", "D", "E"]).update(created_at=moment)
    expected = [order.main_order_id for order in Order.objects.order_by("created_at", "pk")]
    monkeypatch.setattr(admin.site.get_model_admin(WaitingOrder), "list_per_page", per_page)
    monkeypatch.setattr(admin.site.get_model_admin(Order), "list_per_page", per_page)
    client.force_login(viewer)
    for url, in_order in [(QUEUE, expected), ("/admin/orders/order/", expected[::-1])]:
        seen, number = [], 1
        while True:
            listing = page(client, f"{url}?p={number}")
            seen += re.findall(r'href="/admin/orders/order/\d+/change/[^"]*">(MKP-[^<]+)</a>', listing)
            if 'id="queue-count">More than' not in listing:
                break
            number += 1
        assert seen == in_order, url


# CSV export


def test_csv_export_has_the_filtered_queue_with_times_in_the_account_time_zone(
    client, approver, queue, account
):
    account.time_zone = "America/Sao_Paulo"
    account.save()
    client.force_login(approver)
    listing = page(client, f"{QUEUE}?mine=yes")
    assert 'href="/admin/orders/waitingorder/export.csv?mine=yes"' in listing
    response = client.get(f"{QUEUE}export.csv?mine=yes")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment;" in response["Content-Disposition"]
    table = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["main_order_id"] for row in table] == ["MKP-A"]
    (row,) = table
    assert row["account"] == "acme"
    assert row["marketplace_order_id"] == "A"
    assert row["connector"] == "SkyHub"
    assert (row["paid_value_cents"], row["seller_value_cents"], row["divergence_percent"]) == (
        "2571",
        "3025",
        "15.01",
    )
    assert row["band"] == "10.00–20.00 %"
    assert row["approvers"] == f"{ANA} {BO}"
    assert row["approver_level"] == f"1 of 2: {ANA}"
    assert row["notified"] == ANA
    assert row["waiting"] == "3 h 12 min"
    assert row["created_at (America/Sao_Paulo)"].endswith("-03:00")
    assert row["reservation_expires_at (America/Sao_Paulo)"].endswith("-03:00")
    assert re.fullmatch(r"23 h 5\d min left", row["reservation"])


def test_csv_export_of_the_whole_queue_ignores_the_page(client, viewer, queue):
    client.force_login(viewer)
    response = client.get(f"{QUEUE}export.csv?p=3&divergence_from=20")
    table = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["main_order_id"] for row in table] == ["MKP-B"]


# Bulk decisions


def test_bulk_approve_reports_what_became_of_each_order(
    client, approver, second_approver, queue, hold, api_client_for
):
    mine, not_mine = queue
    decided_meanwhile = hold("C")
    no_stock = hold("D")
    api_client_for(second_approver).post("/api/orders/MKP-C/approve?an=acme", {}, format="json")
    Order.objects.filter(pk=no_stock.pk).update(reservation_expires_at=timezone.now() - timedelta(minutes=1))
    reservations_expire()
    Stock.objects.update(quantity=F("reserved"))
    client.force_login(approver)

    response = select(client, "approve_selected", [mine, not_mine, decided_meanwhile, no_stock])

    said = messages_of(response)
    assert "Order MKP-A approved." in said
    assert (
        f"Order MKP-B: not yours to decide; only the approvers of the band that held it may ({BO})." in said
    )
    assert any(message.startswith(f"Order MKP-C was already approved by {BO} at ") for message in said)
    assert "Order MKP-D cannot be approved: its reservation ran out and SKU 1 has no stock left." in said
    assert "1 of 4 selected orders approved." in said
    statuses = dict(Order.objects.values_list("marketplace_order_id", "status"))
    assert statuses == {
        "A": "payment-pending",
        "B": "waiting-for-manual-authorization",
        "C": "payment-pending",
        "D": "waiting-for-manual-authorization",
    }
    assert rows(html.unescape(response.content.decode())) == ["MKP-B", "MKP-D"]


def test_bulk_deny_asks_for_a_reason_and_a_note_then_denies_each(
    client, second_approver, queue, connector_server
):
    client.force_login(second_approver)
    confirmation = select(client, "deny_selected", queue)
    text = html.unescape(confirmation.content.decode())
    assert "Deny 2 orders." in text
    assert "MKP-A" in text and "MKP-B" in text
    assert '<option value="price-error">Price error</option>' in text

    missing_note = client.post(
        QUEUE,
        {
            "action": "deny_selected",
            "_selected_action": [order.pk for order in queue],
            "confirm": "1",
            "reason_code": "price-error",
            "note": "",
        },
    )
    assert missing_note.status_code == 200
    assert "This field is required." in missing_note.content.decode()
    assert Order.objects.filter(status="canceled").count() == 0

    response = client.post(
        QUEUE,
        {
            "action": "deny_selected",
            "_selected_action": [order.pk for order in queue],
            "confirm": "1",
            "reason_code": "price-error",
            "note": "Feed had the old price",
        },
        follow=True,
    )
    said = messages_of(response)
    assert "Order MKP-A denied (Price error)." in said and "Order MKP-B denied (Price error)." in said
    assert "2 of 2 selected orders denied." in said
    assert set(Order.objects.values_list("status", flat=True)) == {"canceled"}
    assert rows(html.unescape(response.content.decode())) == []


def test_a_large_selection_runs_as_a_job_with_a_progress_page(
    client, second_approver, approver, queue, hold, settings, django_capture_on_commit_callbacks
):
    third = hold("C")
    settings.BULK_DECISION_INLINE_MAX = 2
    client.force_login(second_approver)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = select(client, "approve_selected", [*queue, third])
    job = BulkDecision.objects.get()
    assert messages(response) == [
        ("info", "3 orders are being approved in the background: follow the progress.")
    ]
    assert f'<a href="{QUEUE}bulk/{job.pk}/">follow the progress</a>' in response.content.decode()
    progress = page(client, f"{QUEUE}bulk/{job.pk}/")
    assert "Waiting to start: 0 of 3 orders done, 0 approved, 0 not." in text_of(progress)
    assert (job.user, job.total, job.state) == (second_approver, 3, "pending")

    for callback in queued:
        callback()  # the worker picks the job up

    progress = text_of(page(client, f"{QUEUE}bulk/{job.pk}/"))
    assert "Done: 3 of 3 orders done, 3 approved, 0 not." in progress
    for marketplace_order_id in "ABC":
        assert f"Order MKP-{marketplace_order_id} approved." in progress
    assert set(Order.objects.values_list("status", flat=True)) == {"payment-pending"}
    polled = client.get(f"{QUEUE}bulk/{job.pk}/progress.json?since=2").json()
    assert (polled["state"], polled["done"], polled["total"], polled["decided"]) == ("done", 3, 3, 3)
    assert [result["main_order_id"] for result in polled["results"]] == ["MKP-C"]
    assert polled["results"][0]["url"] == f"/admin/orders/order/{third.pk}/change/"

    client.force_login(approver)
    assert client.get(f"{QUEUE}bulk/{job.pk}/").status_code == 404


def test_a_job_run_again_decides_nothing_twice(
    client, second_approver, queue, settings, django_capture_on_commit_callbacks
):
    from orders.bulk import bulk_decision_run

    settings.BULK_DECISION_INLINE_MAX = 1
    client.force_login(second_approver)
    with django_capture_on_commit_callbacks(execute=True):
        select(client, "approve_selected", queue)
    job = BulkDecision.objects.get()
    assert job.state == "done"
    assert bulk_decision_run(job_id=job.pk) is None
    job.refresh_from_db()
    assert len(job.results) == 2


def test_a_job_whose_message_was_lost_is_started_by_the_sweep(
    client, second_approver, queue, settings, django_capture_on_commit_callbacks
):
    from orders.tasks import sweep_bulk_decisions

    settings.BULK_DECISION_INLINE_MAX = 1
    client.force_login(second_approver)
    with django_capture_on_commit_callbacks(execute=False):
        select(client, "approve_selected", queue)  # the broker never hears of it
    job = BulkDecision.objects.get()
    assert sweep_bulk_decisions() == 0  # too early: the worker may still pick it up
    BulkDecision.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    assert sweep_bulk_decisions() == 1
    job.refresh_from_db()
    assert (job.state, job.done) == ("done", 2)
    assert set(Order.objects.values_list("status", flat=True)) == {"payment-pending"}
