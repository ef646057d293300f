"""Deciding held orders one after another from the order page: "approve (deny) and open the next",
and the links to the previous and next order waiting for the reader's decision."""

import re

import pytest

from accounts.absences import covered_by
from accounts.backends import account_roles
from accounts.roles import Role
from orders.models import Order
from orders.selectors import next_order_to_decide
from tests.factories import member
from tests.support.orders import ANA, BO, BO_ALONE, HELD, place_in_turn
from tests.support.pages import markup, messages
from tests.support.pages import page as page_at

QUEUE = "/admin/orders/waitingorder/"
LAST = "That was the last order waiting for your decision: nothing left to decide for now."


@pytest.fixture
def held(shop, owner, approver, second_approver):
    """MKP-A, MKP-B, MKP-C and MKP-D held in that order: C for Bo alone, the others for Ana and Bo."""
    return place_in_turn(shop.connector, {"A": HELD, "B": HELD, "C": BO_ALONE, "D": HELD})


def url(order, action=""):
    return f"/admin/orders/order/{order.pk}/{action + '/' if action else 'change/'}"


def decide_then_next(client, order, action, **data):
    return client.post(url(order, action), {**data, "_open_next": "1"}, follow=True)


def landed_on(response) -> str:
    return response.redirect_chain[-1][0]


def waiting_links(client, order) -> dict[str, str]:
    """The page's links to the orders waiting before and after it, as {rel: order number}."""
    shown = page_at(client, url(order))
    return dict(re.findall(r'<a rel="(prev|next)" href="[^"]+"[^>]*>[^<]*?(MKP-\w+)', shown))


# Approve or deny, then the next


def test_approve_and_open_the_next_lands_on_the_next_order_naming_the_one_decided(client, approver, held):
    client.force_login(approver)
    response = decide_then_next(client, held["A"], "approve", note="Known promotion")
    assert landed_on(response) == url(held["B"])
    assert messages(response) == [("success", "Order MKP-A approved: it is now payment pending.")]
    assert "Approve and open the next" in markup(response)  # B waits for Ana too: she decides on


def test_the_next_skips_an_order_the_approver_may_not_decide(client, approver, held):
    client.force_login(approver)
    response = decide_then_next(client, held["B"], "deny", reason_code="suspicious", note="Same card")
    assert landed_on(response) == url(held["D"])  # not MKP-C, held for Bo alone
    assert messages(response) == [
        ("success", "Order MKP-B denied (Suspicious order): it is canceled and its stock released.")
    ]


def test_the_approver_of_every_band_gets_the_order_others_skip(client, second_approver, held):
    client.force_login(second_approver)
    assert landed_on(decide_then_next(client, held["B"], "approve")) == url(held["C"])


def test_after_the_newest_the_next_is_the_oldest_still_waiting(client, approver, held):
    client.force_login(approver)
    response = decide_then_next(client, held["D"], "approve")
    assert landed_on(response) == url(held["A"])
    assert messages(response) == [("success", "Order MKP-D approved: it is now payment pending.")]


def test_after_the_last_one_the_queue_says_nothing_is_left(client, approver, held):
    client.force_login(approver)
    for name in "AB":
        client.post(url(held[name], "approve"), follow=True)  # its messages read
    response = decide_then_next(client, held["D"], "deny", reason_code="price-error", note="Too cheap")
    assert landed_on(response) == QUEUE
    assert messages(response) == [
        ("success", "Order MKP-D denied (Price error): it is canceled and its stock released."),
        ("info", LAST),
    ]


def test_a_refused_decision_stays_on_the_order_with_the_refusal(client, approver, account, held):
    client.force_login(approver)
    response = decide_then_next(client, held["A"], "deny", reason_code="other", note=" ")
    assert landed_on(response) == url(held["A"])
    assert messages(response) == [("error", "Say in a note why the order is denied: the connector is told.")]

    client.force_login(member(account, Role.APPROVER, "carla@acme.example"))
    response = decide_then_next(client, held["B"], "approve")
    assert landed_on(response) == url(held["B"])
    assert messages(response) == [
        ("error", f"Only the approvers of the band that held order MKP-B may decide it ({ANA}, {BO}).")
    ]
    assert set(Order.objects.values_list("status", flat=True)) == {"waiting-for-manual-authorization"}


def test_the_next_order_is_found_in_one_query(approver, held, django_assert_num_queries):
    # Read once a request, by the admin's first permission check: the roles, and whom they cover.
    account_roles(approver)
    covered_by(user=approver)
    with django_assert_num_queries(1):
        following = next_order_to_decide(user=approver, order=held["D"])
    assert following.main_order_id == "MKP-A"  # none after D: round to the oldest, in the same query


# The links to the previous and the next


def test_the_page_links_the_previous_and_next_order_waiting_for_the_reader(client, approver, held):
    client.force_login(approver)
    assert waiting_links(client, held["B"]) == {"prev": "MKP-A", "next": "MKP-D"}
    assert waiting_links(client, held["A"]) == {"prev": "MKP-D", "next": "MKP-B"}  # round the ends
    assert waiting_links(client, held["C"]) == {"prev": "MKP-B", "next": "MKP-D"}  # Bo's: Ana reads on


def test_a_decided_order_links_on_to_those_still_waiting(client, approver, held):
    client.force_login(approver)
    client.post(url(held["B"], "approve"))
    assert waiting_links(client, held["B"]) == {"prev": "MKP-A", "next": "MKP-D"}
    client.post(url(held["A"], "approve"))
    client.post(url(held["D"], "approve"))
    assert waiting_links(client, held["B"]) == {}


def test_a_viewer_gets_no_links_to_orders_waiting(client, viewer, held):
    client.force_login(viewer)
    shown = page_at(client, url(held["B"]))
    assert 'rel="next"' not in shown and 'rel="prev"' not in shown
    assert "open the next" not in shown
