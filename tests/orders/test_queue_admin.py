"""The manual-authorization queue in the admin: what waits, for whom, filters, counts and CSV
(its bulk decisions: test_queue_bulk)."""

import csv
import html
import io
import re
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.roles import Role
from orders.models import Order
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
from tests.orders.conftest import ANA, BO, FIFTEEN, QUEUE, messages_of, rows
from tests.orders.payloads import order_body
from tests.support.orders import place_held
from tests.support.pages import page, text_of


def select(client, action, orders, **extra):
    return client.post(
        QUEUE,
        {"action": action, "index": "0", "_selected_action": [order.pk for order in orders], **extra},
        follow=True,
    )


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
    from orders.approval_mail import approval_digests_send
    from orders.escalation import approvals_notify_due

    later = timezone.now() + timedelta(hours=5)
    approvals_notify_due(now=later)
    approval_digests_send(now=later)  # the digest that lists the escalation
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


@pytest.mark.parametrize(
    "url",
    [QUEUE, f"{QUEUE}?mine=yes", "/admin/", "/admin/orders/order/", "/admin/orders/order/{order}/change/"],
)
def test_an_approver_s_page_asks_the_database_each_question_once(client, second_approver, queue, url):
    """The permissions, the menu and the filters each ask for the user's accounts, roles and
    absences: once a request, kept on the user, whichever object they are asked through."""
    url = url.format(order=queue[0].pk)
    client.force_login(second_approver)
    page(client, url)  # the session and the user's roles are read once, whatever the page

    with CaptureQueriesContext(connection) as captured:
        page(client, url)

    asked = Counter(query["sql"] for query in captured.captured_queries)
    assert [sql for sql, times in asked.items() if times > 1] == []


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
