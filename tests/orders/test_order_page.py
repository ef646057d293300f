"""The order page: items side by side, the approval task, approve and deny for the band's approvers, handle and invoice."""

import re
from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from accounts.roles import Role
from authorization.decision import BandAction
from authorization.services import rule_replace
from catalog.models import Stock
from orders.approval_mail import approval_digests_send
from orders.escalation import approvals_notify_due
from orders.reservations import reservations_expire
from tests.factories import OrderFactory, band, member
from tests.support.observe import observed
from tests.support.orders import ANA, BO
from tests.support.pages import markup, messages, section, text_of
from tests.support.pages import page as page_at

APPROVE = "Approve order"
# A time as the page writes it in English: "7:05 a.m.", "3 p.m.", and at twelve "noon" or "midnight".
MOMENT = r"\d\d/\d\d/\d{4} (\d+(:\d\d)? [ap]\.m\.|noon|midnight)"
DENY = "Deny order"


def url(order, action=""):
    return f"/admin/orders/order/{order.pk}/{action + '/' if action else 'change/'}"


def page(client, order) -> str:
    return page_at(client, url(order))


def post(client, order, action, **data):
    return client.post(url(order, action), data, follow=True)


# What the page shows


def test_items_side_by_side_with_totals_and_the_band_as_it_was(client, viewer, held_order, owner):
    rule_replace(account=held_order.account, bands=[band(0, 100, "authorize")], actor=owner)
    client.force_login(viewer)
    shown = page(client, held_order)
    items = section(shown, "order-items")
    assert "SKU Name Quantity Marketplace unit price Seller unit price Divergence" in items
    assert "1 Shirt 1 R$9.75 R$9.75 +0.00 %" in items
    assert "Items total (unit price × quantity) 1 R$9.75 R$9.75" in items
    assert "Freight R$20.50 R$20.50" in items
    assert "Order: paid value and seller value R$25.71 R$30.25 +15.01 %" in items
    assert f"10.00–20.00 % {BandAction.MANUAL.label} (approvers: {ANA}, {BO})" in text_of(shown)


def test_the_approval_task_shows_the_chain_and_who_was_notified_when(client, viewer, held_order):
    escalated = timezone.now() + timedelta(minutes=241)
    approvals_notify_due(now=escalated)
    client.force_login(viewer)
    waiting = text_of(page(client, held_order).split('id="approval-notified"')[1].split("</table>")[0])
    assert re.search(rf"{MOMENT} 1 {re.escape(ANA)} held: first approver", waiting)
    assert re.search(rf"in the next e-mail \(since {MOMENT}\) 2 {re.escape(BO)} escalated", waiting)

    approval_digests_send(now=escalated)
    shown = page(client, held_order)
    task = section(shown, "order-approval-task")
    assert f"Approvers, in escalation order 1. {ANA}, 2. {BO} (current)" in task
    assert f"Current level 2 of 2: {BO}" in task
    assert "Escalates after 240 min without a decision" in task
    assert "Decision Not decided yet." in task
    notified = text_of(shown[shown.index('id="approval-notified"') :].split("</table>")[0])
    assert re.search(rf"{MOMENT} 1 {re.escape(ANA)} held: first approver", notified)
    assert re.search(rf"{MOMENT} 2 {re.escape(BO)} escalated", notified)
    assert "in the next e-mail" not in notified


def test_the_event_log_and_the_notifications_are_on_the_page(client, viewer, held_order):
    client.force_login(viewer)
    shown = page(client, held_order)
    assert "Created" in section(shown, "order-events")
    assert "SOI001" in section(shown, "order-notifications")


# Who may decide


def test_a_listed_approver_sees_the_buttons_and_approves(
    client, approver, held_order, connector_server, django_capture_on_commit_callbacks
):
    client.force_login(approver)
    shown = page(client, held_order)
    assert APPROVE in shown and DENY in shown
    assert '<option value="suspicious">Suspicious order</option>' in shown

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, held_order, "approve", note="Known promotion")

    assert messages(response) == [("success", "Order MKP-123456789 approved: it is now payment pending.")]
    held_order.refresh_from_db()
    assert held_order.status == "payment-pending"
    shown = markup(response)
    assert APPROVE not in shown
    assert f"Decision Approved by {ANA} at " in section(shown, "order-approval-task")
    assert "Known promotion" in section(shown, "order-events")
    # The marketplace had not asked to approve: nothing more is sent, SOI002 waits for its request.
    assert connector_server.codes() == ["SOI001"]


def test_a_viewer_sees_no_buttons_and_a_post_is_refused(client, viewer, held_order):
    client.force_login(viewer)
    shown = page(client, held_order)
    assert APPROVE not in shown and DENY not in shown
    assert f"Only the approvers of the band that held this order may decide it: {ANA}, {BO}." in text_of(
        shown
    )
    response = post(client, held_order, "approve")
    assert messages(response) == [
        (
            "error",
            f"Only the approvers of the band that held order MKP-123456789 may decide it ({ANA}, {BO}).",
        )
    ]
    held_order.refresh_from_db()
    assert held_order.status == "waiting-for-manual-authorization"


def test_an_approver_not_on_the_band_is_refused_with_a_message(client, held_order, account):
    carla = member(account, Role.APPROVER, "carla@acme.example")
    client.force_login(carla)
    assert APPROVE not in page(client, held_order)
    response = post(client, held_order, "deny", reason_code="other", note="no")
    assert messages(response) == [
        (
            "error",
            f"Only the approvers of the band that held order MKP-123456789 may decide it ({ANA}, {BO}).",
        )
    ]
    held_order.refresh_from_db()
    assert held_order.status == "waiting-for-manual-authorization"


def test_the_band_as_it_was_decides_even_after_the_rule_changed(client, held_order, owner, approver):
    rule_replace(
        account=held_order.account, bands=[band(0, 100, "manual", ["owner@acme.example"])], actor=owner
    )
    client.force_login(owner)
    assert APPROVE not in page(client, held_order)
    client.force_login(approver)
    assert APPROVE in page(client, held_order)


def test_an_order_of_another_account_is_not_found(
    client, held_order, other_account, django_capture_on_commit_callbacks
):
    stranger = member(other_account, Role.OWNER, "owner@globex.example")
    client.force_login(stranger)
    before = observed(held_order.account)
    with django_capture_on_commit_callbacks(execute=True):
        refused = client.post(url(held_order, "approve"), {"note": "Mine now"})
    assert refused.status_code == 404
    assert "MKP-123456789" not in refused.content.decode()
    assert client.get(url(held_order, "approve")).status_code == 405  # deciding is only ever a POST
    assert client.get(url(held_order)).status_code == 302  # the admin's "not found": back to the list
    assert observed(held_order.account) == before


def test_each_of_the_two_approvers_decides_once_the_second_hears_who_was_first(
    client, approver, second_approver, held_order
):
    client.force_login(approver)
    post(client, held_order, "approve")
    client.force_login(second_approver)
    response = post(client, held_order, "deny", reason_code="price-error", note="Too cheap")
    ((level, said),) = messages(response)
    assert level == "error"
    assert re.fullmatch(
        rf"Order MKP-123456789 was already approved by {re.escape(ANA)} at \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d \w+\.",
        said,
    )
    response = post(client, held_order, "approve")
    ((level, said),) = messages(response)
    assert (level, said.startswith(f"Order MKP-123456789 was already approved by {ANA} at ")) == (
        "error",
        True,
    )
    held_order.refresh_from_db()
    assert held_order.status == "payment-pending"
    assert held_order.events.filter(kind="decision", actor__isnull=False).count() == 1


# Deny


def test_a_deny_needs_a_reason_and_a_note(client, approver, held_order):
    client.force_login(approver)
    response = post(client, held_order, "deny", reason_code="", note="")
    assert messages(response) == [("error", "Choose a reason: price-error, stock, suspicious, other.")]
    response = post(client, held_order, "deny", reason_code="because", note="x")
    assert messages(response) == [("error", "Choose a reason: price-error, stock, suspicious, other.")]
    response = post(client, held_order, "deny", reason_code="other", note=" ")
    assert messages(response) == [("error", "Say in a note why the order is denied: the connector is told.")]
    held_order.refresh_from_db()
    assert held_order.status == "waiting-for-manual-authorization"


def test_deny_cancels_releases_stock_and_tells_a_connector_that_asked(
    client, second_approver, held_order, mkp, shop, connector_server
):
    mkp.approve("123456789")
    assert connector_server.codes() == ["SOI001", "EOI011"]
    client.force_login(second_approver)
    with mkp.capture(execute=True):
        response = post(client, held_order, "deny", reason_code="price-error", note="Feed had the old price")
    assert messages(response) == [
        ("success", "Order MKP-123456789 denied (Price error): it is canceled and its stock released.")
    ]
    held_order.refresh_from_db()
    shop.stock.refresh_from_db()
    assert (held_order.status, shop.stock.reserved) == ("canceled", 0)
    denied = connector_server.wait_for(3)[2].body
    assert denied["code"] == "EOI009"
    assert denied["errors"][0]["code"] == "PRICE-ERROR"
    assert denied["errors"][0]["description"] == "Denied by the seller (Price error): Feed had the old price"


def test_approval_applies_a_marketplace_approval_asked_for_meanwhile(
    client, approver, held_order, mkp, connector_server
):
    mkp.approve("123456789")
    client.force_login(approver)
    with mkp.capture(execute=True):
        response = post(client, held_order, "approve")
    assert messages(response) == [("success", "Order MKP-123456789 approved: it is now ready for handling.")]
    assert connector_server.wait_for(3)[2].body["code"] == "SOI002"


# The stock reservation


def test_an_expired_reservation_is_flagged_and_approving_reserves_again(client, approver, held_order, shop):
    reservations_expire(now=timezone.now() + timedelta(days=2))
    client.force_login(approver)
    assert "expired The stock reservation ran out; approving the order reserves stock again." in text_of(
        page(client, held_order)
    )
    post(client, held_order, "approve")
    shop.stock.refresh_from_db()
    held_order.refresh_from_db()
    assert (held_order.status, shop.stock.reserved, held_order.reservation_expired) == (
        "payment-pending",
        1,
        False,
    )


def test_approving_after_expiry_without_stock_names_the_sku(client, approver, held_order, shop):
    reservations_expire(now=timezone.now() + timedelta(days=2))
    Stock.objects.update(quantity=F("reserved"))
    client.force_login(approver)
    response = post(client, held_order, "approve")
    assert messages(response) == [
        (
            "error",
            "Order MKP-123456789 cannot be approved: its reservation ran out and SKU 1 has no stock left.",
        )
    ]
    held_order.refresh_from_db()
    assert held_order.status == "waiting-for-manual-authorization"
    assert APPROVE in markup(response)


# Handling and invoicing


@pytest.fixture
def ready_order(shop):
    order = OrderFactory(connector=shop.connector, marketplace_order_id="123456789", status="approved")
    assert order.status == "ready-for-handling"
    return order


@pytest.mark.parametrize("who", ["owner", "oms_full"])
def test_owner_and_oms_full_start_handling_then_invoice_and_the_stock_is_sold(
    request, client, ready_order, shop, who
):
    client.force_login(request.getfixturevalue(who))
    assert "Start handling" in page(client, ready_order)
    response = post(client, ready_order, "start-handling")
    assert messages(response) == [("success", "Order MKP-123456789 is now being handled.")]
    shown = markup(response)
    assert "Mark invoiced" in shown and "Start handling" not in shown

    response = post(client, ready_order, "invoice", invoice_number="")
    assert messages(response) == [("error", "Give the invoice number to mark the order invoiced.")]
    response = post(client, ready_order, "invoice", invoice_number="NF-1001")
    assert messages(response) == [("success", "Order MKP-123456789 invoiced: invoice NF-1001.")]
    ready_order.refresh_from_db()
    shop.stock.refresh_from_db()
    assert ready_order.status == "invoiced"
    assert (shop.stock.quantity, shop.stock.reserved) == (9, 0)
    events = section(markup(response), "order-events")
    assert "Invoiced: invoice NF-1001." in events and "Reserved stock sold with the invoice." in events
    assert "Mark invoiced" not in markup(response)


@pytest.mark.parametrize("who", ["approver", "viewer"])
def test_approvers_and_viewers_may_not_handle_or_invoice(request, client, ready_order, who):
    client.force_login(request.getfixturevalue(who))
    assert "Start handling" not in page(client, ready_order)
    response = post(client, ready_order, "start-handling")
    assert messages(response) == [
        ("error", "Only an Owner or OMS Full user may handle or invoice order MKP-123456789.")
    ]
    ready_order.refresh_from_db()
    assert ready_order.status == "ready-for-handling"


def test_invoicing_an_order_not_in_handling_is_refused(client, owner, ready_order):
    client.force_login(owner)
    response = post(client, ready_order, "invoice", invoice_number="NF-1")
    assert messages(response) == [
        ("error", "Order MKP-123456789 is ready for handling; it cannot become invoiced.")
    ]
