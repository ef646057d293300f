"""Deciding from the queue's rows: Approve and Deny for those who may decide the row's order, and
back to the queue as it was filtered."""

import re

import pytest

from orders.models import Order
from tests.factories import band
from tests.support.orders import place_held
from tests.support.pages import messages, page

QUEUE = "/admin/orders/waitingorder/"
ANA = "ana@acme.example"
BO = "bo@acme.example"
BANDS = [band(0, 10, "authorize"), band(10, 20, "manual", [ANA, BO]), band(20, 100, "manual", [BO])]


@pytest.fixture
def queue(shop, owner, approver, second_approver):
    """A held for Ana and Bo (15 %), B for Bo alone (25 %)."""
    return (
        place_held(shop.connector, bands=BANDS, paid=2571, marketplaceOrderId="A"),
        place_held(shop.connector, bands=BANDS, paid=2269, marketplaceOrderId="B"),
    )


def row_controls(listing: str) -> dict[str, list[str]]:
    """The row controls of each order shown: {"MKP-A": ["row-approve", "row-deny"], …}."""
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", listing, re.S)
    shown = {}
    for row in rows:
        number = re.search(r'<a href="/admin/orders/order/\d+/change/">(MKP-[^<]+)</a>', row)
        if number:
            shown[number.group(1)] = re.findall(r'class="button (row-approve|row-deny)"', row)
    return shown


def test_only_those_who_may_decide_a_row_see_its_approve_and_deny(
    client, approver, second_approver, viewer, queue
):
    client.force_login(approver)
    assert row_controls(page(client, QUEUE)) == {"MKP-A": ["row-approve", "row-deny"], "MKP-B": []}
    client.force_login(second_approver)
    assert row_controls(page(client, QUEUE)) == {
        "MKP-A": ["row-approve", "row-deny"],
        "MKP-B": ["row-approve", "row-deny"],
    }
    client.force_login(viewer)
    listing = page(client, QUEUE)
    assert row_controls(listing) == {"MKP-A": [], "MKP-B": []}
    assert "column-decide" not in listing and 'id="row-approve-form"' not in listing


def test_a_row_posts_its_decision_to_the_order_and_says_where_to_come_back(client, approver, queue):
    held, _ = queue
    client.force_login(approver)
    listing = page(client, f"{QUEUE}?mine=yes")
    assert f'formaction="/admin/orders/order/{held.pk}/approve/"' in listing
    deny = re.search(rf'<form id="row-deny-{held.pk}" method="post" action="([^"]+)">(.*?)</form>', listing)
    assert deny.group(1) == f"/admin/orders/order/{held.pk}/deny/"
    assert f'name="next" value="{QUEUE}?mine=yes"' in deny.group(2)
    assert (
        f'select name="reason_code" id="row-deny-{held.pk}-reason" form="row-deny-{held.pk}" required'
        in listing
    )


def test_approving_from_a_row_comes_back_to_the_filtered_queue(client, approver, queue):
    held, _ = queue
    client.force_login(approver)
    response = client.post(f"/admin/orders/order/{held.pk}/approve/", {"next": f"{QUEUE}?mine=yes"})
    assert response.status_code == 302 and response.url == f"{QUEUE}?mine=yes"
    shown = client.get(response.url)
    assert messages(shown) == [("success", "Order MKP-A approved: it is now payment pending.")]
    assert Order.objects.get(pk=held.pk).status == "payment-pending"


def test_denying_from_a_row_comes_back_to_the_queue_and_a_refusal_too(client, second_approver, queue):
    _, other = queue
    client.force_login(second_approver)
    deny = f"/admin/orders/order/{other.pk}/deny/"
    refused = client.post(deny, {"next": QUEUE, "reason_code": "suspicious", "note": ""})
    assert refused.url == QUEUE
    assert messages(client.get(QUEUE))[0][0] == "error"
    response = client.post(
        deny, {"next": QUEUE, "reason_code": "suspicious", "note": "Same card on ten orders"}
    )
    assert response.url == QUEUE
    assert messages(client.get(QUEUE)) == [
        ("success", "Order MKP-B denied (Suspicious order): it is canceled and its stock released.")
    ]
    assert Order.objects.get(pk=other.pk).status == "canceled"


@pytest.mark.parametrize(
    "next_url", ["https://elsewhere.example/admin/", "//elsewhere.example/", "javascript:alert(1)", ""]
)
def test_a_decision_never_returns_to_another_site(client, approver, queue, next_url):
    held, _ = queue
    client.force_login(approver)
    response = client.post(f"/admin/orders/order/{held.pk}/approve/", {"next": next_url})
    assert response.status_code == 302 and response.url == f"/admin/orders/order/{held.pk}/change/"
