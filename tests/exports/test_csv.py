"""Exporting a list to CSV at once: the rows the list shows, every page, in the account's time zone, safe to open."""

import zoneinfo
from decimal import Decimal

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.roles import Role
from accounts.services import membership_set
from exports.tables import cell
from insight.models import DecisionRecord
from orders.approvals import order_approve, order_deny
from orders.models import Order
from tests.exports.conftest import ANA, BO, DECISIONS, ORDERS, QUEUE, downloaded
from tests.factories import member
from tests.orders.payloads import order_body


def ids(rows, column="main_order_id"):
    return [row[column] for row in rows]


def export(client, url, query=""):
    return downloaded(client.get(f"{url}export.csv{query}"))


# What the list shows, every page


def test_the_export_link_carries_the_list_filter_search_and_date_range(client, viewer, placed):
    client.force_login(viewer)
    query = "?outcome=no-divergence&q=MKP&p=1"
    listing = client.get(ORDERS + query).content.decode()
    assert 'href="/admin/orders/order/export.csv?outcome=no-divergence&amp;q=MKP"' in listing
    listing = client.get(DECISIONS + "?manual=waiting").content.decode()
    assert 'href="/admin/insight/decisionrecord/export.csv?manual=waiting"' in listing


def test_the_order_export_has_every_page_of_the_list_as_filtered(client, viewer, placed, monkeypatch):
    monkeypatch.setattr(admin.site.get_model_admin(Order), "list_per_page", 2)
    client.force_login(viewer)
    today = timezone.localdate()
    day = f"created_at__year={today.year}&created_at__month={today.month}&created_at__day={today.day}"

    assert "MKP-N1" not in client.get(ORDERS).content.decode()  # on the second page
    assert ids(export(client, ORDERS)[1]) == ["MKP-M1", "MKP-A1", "MKP-N2", "MKP-N1"]
    assert ids(export(client, ORDERS, "?p=2")[1]) == ["MKP-M1", "MKP-A1", "MKP-N2", "MKP-N1"]
    assert ids(export(client, ORDERS, "?outcome=no-divergence")[1]) == ["MKP-N2", "MKP-N1"]
    assert ids(export(client, ORDERS, "?q=MKP-A")[1]) == ["MKP-A1"]
    assert ids(export(client, ORDERS, "?status__exact=waiting-for-manual-authorization")[1]) == ["MKP-M1"]
    assert ids(export(client, ORDERS, f"?{day}")[1]) == ["MKP-M1", "MKP-A1", "MKP-N2", "MKP-N1"]
    assert ids(export(client, ORDERS, f"?created_at__year={today.year - 1}")[1]) == []
    # Sorted as the list is: by paid value, lowest first.
    paid_column = admin.site.get_model_admin(Order).list_display.index(
        "values"
    )  # paid over seller, sorted by paid
    assert ids(export(client, ORDERS, f"?o={paid_column}")[1])[:2] == ["MKP-M1", "MKP-A1"]


def test_a_filter_the_list_refuses_sends_back_to_the_list(client, viewer, placed):
    client.force_login(viewer)
    response = client.get(f"{QUEUE}export.csv?divergence_from=many")
    assert response.status_code == 302
    assert response["Location"] == f"{QUEUE}?e=1"


def test_the_order_export_says_what_the_rule_and_the_approver_decided(client, viewer, approver, placed):
    order_approve(order=Order.objects.get(marketplace_order_id="M1"), approver=approver, note="Promotion")
    client.force_login(viewer)

    header, rows = export(client, ORDERS)

    assert header[:3] == ["account", "main_order_id", "marketplace_order_id"]
    held, authorized = rows[0], rows[1]
    assert (held["main_order_id"], held["status"], held["outcome"], held["decision_reason"]) == (
        "MKP-M1",
        "payment-pending",
        "manual",
        "rule:band",
    )
    assert (held["paid_value_cents"], held["seller_value_cents"], held["divergence_percent"]) == (
        "2571",
        "3025",
        "15.01",
    )
    assert (held["band"], held["approvers"]) == ("5.00–20.00 %", f"{ANA} {BO}")
    assert (held["manual_decision"], held["decided_by"], held["decision_note"]) == (
        "approved",
        ANA,
        "Promotion",
    )
    assert held["decided_at (UTC)"].endswith("+00:00")
    assert (authorized["outcome"], authorized["band"], authorized["manual_decision"]) == (
        "authorize",
        "0.00–5.00 %",
        "",
    )
    assert (authorized["connector"], authorized["affiliate_id"]) == ("SkyHub", "MKP")


def test_the_decision_export_has_each_decision_who_when_band_and_reason(
    client, viewer, approver, second_approver, placed, mkp
):
    order_approve(order=Order.objects.get(marketplace_order_id="M1"), approver=approver, note="Promotion")
    mkp.place(order_body(marketplaceOrderId="M2", marketplacePaymentValue=2571))
    order_deny(
        order=Order.objects.get(marketplace_order_id="M2"),
        approver=second_approver,
        reason_code="price-error",
        note="Wrong price",
    )
    client.force_login(viewer)

    header, rows = export(client, DECISIONS)

    assert header == [
        "account",
        "decided_at (UTC)",
        "decided_by",
        "on_behalf_of",
        "decision",
        "band",
        "reason",
        "note",
        "marketplace_order_id",
        "main_order_id",
        "connector",
        "divergence_percent",
        "paid_value_cents",
        "seller_value_cents",
        "currency",
    ]
    said = [
        (
            row["marketplace_order_id"],
            row["decided_by"],
            row["decision"],
            row["band"],
            row["reason"],
            row["note"],
        )
        for row in rows
    ]
    assert said == [
        ("M2", "rule", "manual", "5.00–20.00 %", "rule:band", ""),
        ("M2", BO, "denied", "5.00–20.00 %", "price-error", "Wrong price"),
        ("D1", "rule", "deny", "20.00–100.00 %", "rule:band", ""),
        ("M1", "rule", "manual", "5.00–20.00 %", "rule:band", ""),
        ("M1", ANA, "approved", "5.00–20.00 %", "", "Promotion"),
        ("A1", "rule", "authorize", "0.00–5.00 %", "rule:band", ""),
        ("N2", "rule", "no-divergence", "", "rule:no-divergence", ""),
        ("N1", "rule", "no-divergence", "", "rule:no-divergence", ""),
    ]
    denied = Order.objects.get(marketplace_order_id="M2").approval_task
    assert rows[1]["decided_at (UTC)"] == denied.decided_at.isoformat(timespec="seconds")
    assert (rows[2]["main_order_id"], rows[2]["divergence_percent"], rows[2]["paid_value_cents"]) == (
        "",
        "33.88",
        "2000",
    )
    assert ids(export(client, DECISIONS, "?manual=denied")[1], "decision") == ["manual", "denied"]
    assert ids(export(client, DECISIONS, "?outcome=deny")[1], "marketplace_order_id") == ["D1"]
    assert ids(export(client, DECISIONS, "?q=M1")[1], "decided_by") == ["rule", ANA]


# Time zones


def test_times_are_in_the_account_time_zone_with_the_offset_and_the_header_names_it(
    client, viewer, approver, placed, account
):
    account.time_zone = "America/Sao_Paulo"
    account.save()
    order_approve(order=Order.objects.get(marketplace_order_id="M1"), approver=approver)
    client.force_login(viewer)
    zone = zoneinfo.ZoneInfo("America/Sao_Paulo")

    header, rows = export(client, ORDERS)
    assert "created_at (America/Sao_Paulo)" in header
    assert "decided_at (America/Sao_Paulo)" in header
    held = Order.objects.get(marketplace_order_id="M1")
    assert rows[0]["created_at (America/Sao_Paulo)"] == held.created_at.astimezone(zone).isoformat(
        timespec="seconds"
    )
    assert rows[0]["created_at (America/Sao_Paulo)"].endswith("-03:00")
    assert rows[0]["decided_at (America/Sao_Paulo)"].endswith("-03:00")

    header, rows = export(client, DECISIONS)
    assert header[1] == "decided_at (America/Sao_Paulo)"
    assert all(row["decided_at (America/Sao_Paulo)"].endswith("-03:00") for row in rows)


# Safe to open in a spreadsheet


def test_text_that_would_start_a_formula_is_quoted_and_numbers_are_not(client, viewer, placed):
    Order.objects.filter(marketplace_order_id="M1").update(
        customer_name='=HYPERLINK("http://evil.example","click")', customer_email="@SUM(A1:A9)"
    )
    Order.objects.filter(marketplace_order_id="N1").update(customer_name="+1+2", franchise_order_id="-3")
    Order.objects.filter(marketplace_order_id="N2").update(divergence_percent=Decimal("-2.48"))
    client.force_login(viewer)

    rows = {row["main_order_id"]: row for row in export(client, ORDERS)[1]}

    assert rows["MKP-M1"]["customer_name"] == '\'=HYPERLINK("http://evil.example","click")'
    assert rows["MKP-M1"]["customer_email"] == "'@SUM(A1:A9)"
    assert (rows["MKP-N1"]["customer_name"], rows["MKP-N1"]["franchise_order_id"]) == ("'+1+2", "'-3")
    assert rows["MKP-N2"]["divergence_percent"] == "-2.48"  # a number, left alone
    assert rows["MKP-A1"]["customer_name"] == "John Doe"


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("a=b", "a=b"),
        (-5, -5),
        (True, "yes"),
        (None, ""),
    ],
)
def test_a_cell_is_quoted_only_when_it_is_text_starting_like_a_formula(value, written):
    assert cell(value) == written


# Accounts


def test_an_export_holds_only_the_accounts_the_user_belongs_to(client, viewer, globex_orders, other_account):
    assert DecisionRecord.objects.filter(account=other_account).count() == 5  # there to leak
    client.force_login(viewer)
    assert ids(export(client, ORDERS)[1]) == ["MKP-M1", "MKP-A1", "MKP-N2", "MKP-N1"]
    # Naming another account in the filter filters the user's own rows, as the list does: none.
    assert export(client, ORDERS, f"?account={other_account.pk}")[1] == []
    decisions = export(client, DECISIONS)[1]
    assert {row["account"] for row in decisions} == {"acme"}
    assert sorted(ids(decisions, "marketplace_order_id")) == ["A1", "D1", "M1", "N1", "N2"]
    assert export(client, DECISIONS, f"?account={other_account.pk}")[1] == []


def test_a_member_of_two_accounts_exports_both_or_the_one_chosen(
    client, globex_orders, account, other_account
):
    other_account.time_zone = "Asia/Tokyo"
    other_account.save()
    both = member(account, Role.VIEWER, "both@example.com")
    membership_set(user=both, account=other_account, role=Role.VIEWER)
    client.force_login(both)

    header, rows = export(client, ORDERS)
    assert "created_at (each account's time zone)" in header
    assert sorted(ids(rows)) == [
        "GLX-A1",
        "GLX-M1",
        "GLX-N1",
        "GLX-N2",
        "MKP-A1",
        "MKP-M1",
        "MKP-N1",
        "MKP-N2",
    ]
    tokyo = next(row for row in rows if row["account"] == other_account.name)
    assert tokyo["created_at (each account's time zone)"].endswith("+09:00")

    header, rows = export(client, ORDERS, f"?account={other_account.pk}")
    assert "created_at (Asia/Tokyo)" in header
    assert sorted(ids(rows)) == ["GLX-A1", "GLX-M1", "GLX-N1", "GLX-N2"]

    header, rows = export(client, DECISIONS, f"?account={other_account.pk}")
    assert header[1] == "decided_at (Asia/Tokyo)"
    said = sorted(
        (row["marketplace_order_id"], row["main_order_id"], row["connector"], row["decision"], row["band"])
        for row in rows
    )
    assert said == [
        ("A1", "GLX-A1", "Globex market", "authorize", "0.00–10.00 %"),
        ("D1", "", "Globex market", "deny", "20.00–100.00 %"),
        ("M1", "GLX-M1", "Globex market", "manual", "10.00–20.00 %"),
        ("N1", "GLX-N1", "Globex market", "no-divergence", ""),
        ("N2", "GLX-N2", "Globex market", "no-divergence", ""),
    ]
    assert all(row["decided_at (Asia/Tokyo)"].endswith("+09:00") for row in rows)
    both_accounts = {row["account"] for row in export(client, DECISIONS)[1]}
    assert both_accounts == {"acme", "globex"}


# Cost


@pytest.mark.parametrize(
    ("url", "one", "several"),
    [(ORDERS, "?q=MKP-A1", ""), (DECISIONS, "?q=M1", ""), (QUEUE, "?q=MKP-M1", "")],
    ids=["orders", "decisions", "queue"],
)
def test_each_row_costs_no_query_of_its_own(client, viewer, approver, placed, mkp, url, one, several):
    mkp.place(order_body(marketplaceOrderId="M2", marketplacePaymentValue=2571))
    mkp.place(order_body(marketplaceOrderId="M3", marketplacePaymentValue=2571))
    order_approve(order=Order.objects.get(marketplace_order_id="M3"), approver=approver, note="ok")
    client.force_login(viewer)
    export(client, url)  # the session and the user's roles, read once

    def queries(query):
        with CaptureQueriesContext(connection) as captured:
            rows = export(client, url, query)[1]
        return len(captured), len(rows)

    (few, lines_of_one), (many, lines_of_several) = queries(one), queries(several)
    assert lines_of_one < lines_of_several
    assert few == many
