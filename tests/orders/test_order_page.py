"""The order page: items side by side, the approval task, approve and deny for the band's approvers, handle and invoice."""

import html
import re
from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from authorization.approvals import approvals_notify_due
from authorization.roles import Role
from authorization.services import rule_replace
from catalog.models import Stock
from orders.models import Order
from orders.services import reservations_expire
from tests.factories import band, member
from tests.orders.payloads import order_body

ANA = "ana@acme.example"
BO = "bo@acme.example"
HELD = 2571  # 15.01 % below the seller's 3025
APPROVE = "Approve order"
DENY = "Deny order"


@pytest.fixture
def held_order(mkp, shop, owner, approver, second_approver):
    rule_replace(
        account=shop.account,
        bands=[band(0, 10, "authorize"), band(10, 20, "manual", [ANA, BO], escalate_after_minutes=30)],
        actor=owner,
    )
    mkp.place(order_body(marketplacePaymentValue=HELD))
    order = Order.objects.get()
    assert order.status == "waiting-for-manual-authorization"
    return order


def url(order, action=""):
    return f"/admin/orders/order/{order.pk}/{action + '/' if action else 'change/'}"


def text_of(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def page(client, order) -> str:
    response = client.get(url(order))
    assert response.status_code == 200, response.status_code
    return html.unescape(response.content.decode())


def section(markup: str, element_id: str) -> str:
    start = markup.index(f'id="{element_id}"')
    return text_of(markup[start : markup.index("</div>", start)])


def post(client, order, action, **data):
    return client.post(url(order, action), data, follow=True)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# What the page shows


def test_items_side_by_side_with_totals_and_the_band_as_it_was(client, viewer, held_order, owner):
    rule_replace(account=held_order.account, bands=[band(0, 100, "authorize")], actor=owner)
    client.force_login(viewer)
    markup = page(client, held_order)
    items = section(markup, "order-items")
    assert "SKU Name Quantity Marketplace unit price Seller unit price Divergence" in items
    assert "1 Shirt 1 9.75 9.75 +0.00 %" in items
    assert "Items total (unit price × quantity) 1 9.75 9.75" in items
    assert "Freight 20.50 20.50" in items
    assert "Order: paid value and seller value 25.71 30.25 +15.01 %" in items
    assert f"10.00–20.00 % manual (approvers: {ANA}, {BO})" in text_of(markup)


def test_the_approval_task_shows_the_chain_and_who_was_notified_when(client, viewer, held_order):
    approvals_notify_due(now=timezone.now() + timedelta(minutes=31))
    client.force_login(viewer)
    markup = page(client, held_order)
    task = section(markup, "order-approval-task")
    assert f"Approvers, in escalation order 1. {ANA}, 2. {BO} (current)" in task
    assert f"Current level 2 of 2: {BO}" in task
    assert "Escalates after 30 min without a decision" in task
    assert "Decision Not decided yet." in task
    notified = text_of(markup[markup.index('id="approval-notified"') :].split("</table>")[0])
    assert re.search(rf"\d\d:\d\d:\d\d 1 {re.escape(ANA)} held: first approver", notified)
    assert re.search(rf"\d\d:\d\d:\d\d 2 {re.escape(BO)} escalated", notified)


def test_the_event_log_and_the_notifications_are_on_the_page(client, viewer, held_order):
    client.force_login(viewer)
    markup = page(client, held_order)
    assert "Created" in section(markup, "order-events")
    assert "SOI001" in section(markup, "order-notifications")


# Who may decide


def test_a_listed_approver_sees_the_buttons_and_approves(client, approver, held_order, connector_server):
    client.force_login(approver)
    markup = page(client, held_order)
    assert APPROVE in markup and DENY in markup
    assert '<option value="suspicious">Suspicious order</option>' in markup

    response = post(client, held_order, "approve", note="Known promotion")

    assert messages_of(response) == ["Order MKP-123456789 approved: it is now payment pending."]
    held_order.refresh_from_db()
    assert held_order.status == "payment-pending"
    markup = html.unescape(response.content.decode())
    assert APPROVE not in markup
    assert f"Decision Approved by {ANA} at " in section(markup, "order-approval-task")
    assert "Known promotion" in section(markup, "order-events")
    assert connector_server.codes() == ["SOI001"]


def test_a_viewer_sees_no_buttons_and_a_post_is_refused(client, viewer, held_order):
    client.force_login(viewer)
    markup = page(client, held_order)
    assert APPROVE not in markup and DENY not in markup
    assert f"Only the approvers of the band that held this order may decide it: {ANA}, {BO}." in text_of(
        markup
    )
    response = post(client, held_order, "approve")
    assert messages_of(response) == [
        f"Only the approvers of the band that held order MKP-123456789 may decide it ({ANA}, {BO})."
    ]
    held_order.refresh_from_db()
    assert held_order.status == "waiting-for-manual-authorization"


def test_an_approver_not_on_the_band_is_refused_with_a_message(client, held_order, account):
    carla = member(account, Role.APPROVER, "carla@acme.example")
    client.force_login(carla)
    assert APPROVE not in page(client, held_order)
    response = post(client, held_order, "deny", reason_code="other", note="no")
    assert messages_of(response) == [
        f"Only the approvers of the band that held order MKP-123456789 may decide it ({ANA}, {BO})."
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


def test_an_order_of_another_account_is_not_found(client, held_order, other_account):
    stranger = member(other_account, Role.OWNER, "owner@globex.example")
    client.force_login(stranger)
    assert client.post(url(held_order, "approve")).status_code == 404
    assert client.get(url(held_order, "approve")).status_code in (404, 405)


def test_each_of_the_two_approvers_decides_once_the_second_hears_who_was_first(
    client, approver, second_approver, held_order
):
    client.force_login(approver)
    post(client, held_order, "approve")
    client.force_login(second_approver)
    response = post(client, held_order, "deny", reason_code="price-error", note="Too cheap")
    (said,) = messages_of(response)
    assert re.fullmatch(
        rf"Order MKP-123456789 was already approved by {re.escape(ANA)} at \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d \w+\.",
        said,
    )
    response = post(client, held_order, "approve")
    assert messages_of(response)[0].startswith(f"Order MKP-123456789 was already approved by {ANA} at ")
    held_order.refresh_from_db()
    assert held_order.status == "payment-pending"
    assert held_order.events.filter(kind="decision", actor__isnull=False).count() == 1


# Deny


def test_a_deny_needs_a_reason_and_a_note(client, approver, held_order):
    client.force_login(approver)
    response = post(client, held_order, "deny", reason_code="", note="")
    (said,) = messages_of(response)
    assert said.startswith("Order MKP-123456789 was not denied. Reason: This field is required.")
    assert "Note: This field is required." in said
    response = post(client, held_order, "deny", reason_code="because", note="x")
    assert "Reason: Select a valid choice." in messages_of(response)[0]
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
    assert messages_of(response) == [
        "Order MKP-123456789 denied (Price error): it is canceled and its stock released."
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
    assert messages_of(response) == ["Order MKP-123456789 approved: it is now ready for handling."]
    assert connector_server.wait_for(3)[2].body["code"] == "SOI002"


# The stock reservation


def test_an_expired_reservation_is_flagged_and_approving_reserves_again(client, approver, held_order, shop):
    reservations_expire(now=timezone.now() + timedelta(days=2))
    client.force_login(approver)
    markup = page(client, held_order)
    assert "expired The stock reservation ran out; approving the order reserves stock again." in text_of(
        markup
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
    assert messages_of(response) == [
        "Order MKP-123456789 cannot be approved: its reservation ran out and SKU 1 has no stock left."
    ]
    held_order.refresh_from_db()
    assert held_order.status == "waiting-for-manual-authorization"
    assert APPROVE in html.unescape(response.content.decode())


# Handling and invoicing


@pytest.fixture
def ready_order(mkp, shop):
    mkp.place(order_body(marketplaceOrderStatus="approved"))
    order = Order.objects.get()
    assert order.status == "ready-for-handling"
    return order


@pytest.mark.parametrize("who", ["owner", "oms_full"])
def test_owner_and_oms_full_start_handling_then_invoice_and_the_stock_is_sold(
    request, client, ready_order, shop, who
):
    client.force_login(request.getfixturevalue(who))
    assert "Start handling" in page(client, ready_order)
    response = post(client, ready_order, "start-handling")
    assert messages_of(response) == ["Order MKP-123456789 is now being handled."]
    markup = html.unescape(response.content.decode())
    assert "Mark invoiced" in markup and "Start handling" not in markup

    response = post(client, ready_order, "invoice", invoice_number="")
    assert messages_of(response) == ["Give the invoice number to mark the order invoiced."]
    response = post(client, ready_order, "invoice", invoice_number="NF-1001")
    assert messages_of(response) == ["Order MKP-123456789 invoiced: invoice NF-1001."]
    ready_order.refresh_from_db()
    shop.stock.refresh_from_db()
    assert ready_order.status == "invoiced"
    assert (shop.stock.quantity, shop.stock.reserved) == (9, 0)
    events = section(html.unescape(response.content.decode()), "order-events")
    assert "Invoiced: invoice NF-1001." in events and "Reserved stock sold with the invoice." in events
    assert "Mark invoiced" not in html.unescape(response.content.decode())


@pytest.mark.parametrize("who", ["approver", "viewer"])
def test_approvers_and_viewers_may_not_handle_or_invoice(request, client, ready_order, who):
    client.force_login(request.getfixturevalue(who))
    assert "Start handling" not in page(client, ready_order)
    response = post(client, ready_order, "start-handling")
    assert messages_of(response) == [
        "Only an Owner or OMS Full user may handle or invoice order MKP-123456789."
    ]
    ready_order.refresh_from_db()
    assert ready_order.status == "ready-for-handling"


def test_invoicing_an_order_not_in_handling_is_refused(client, owner, ready_order):
    client.force_login(owner)
    response = post(client, ready_order, "invoice", invoice_number="NF-1")
    assert messages_of(response) == ["Order MKP-123456789 is ready-for-handling; it cannot become invoiced."]
