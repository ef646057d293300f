"""The manual-authorization queue in a real browser: an approver decides, a viewer only reads, the connector hears."""

import pytest
from playwright.sync_api import expect

from authorization.services import rule_replace
from orders.models import Order
from tests.browser.conftest import log_in_on, open_page
from tests.factories import band
from tests.orders.payloads import order_body
from tests.support.axe import serious_violations

pytestmark = pytest.mark.browser

ANA = "ana@acme.example"
BO = "bo@acme.example"
QUEUE = "/admin/orders/waitingorder/"


@pytest.fixture
def held(mkp, shop, owner, approver, second_approver, connector_server):
    """A and B held for Ana and Bo, C for Bo alone; the marketplace asked to approve A and B meanwhile."""
    rule_replace(
        account=shop.account,
        bands=[band(0, 10, "authorize"), band(10, 20, "manual", [ANA, BO]), band(20, 100, "manual", [BO])],
        actor=owner,
    )
    for marketplace_order_id, paid in [("A", 2571), ("B", 2571), ("C", 2269)]:
        mkp.place(order_body(marketplaceOrderId=marketplace_order_id, marketplacePaymentValue=paid))
    mkp.approve("A")
    mkp.approve("B")
    connector_server.wait_for(5)
    assert connector_server.codes().count("EOI011") == 2
    return {order.marketplace_order_id: order for order in Order.objects.all()}


def queue_rows(page):
    return page.locator("#result_list tbody tr td.field-main_order_link a")


def queue_row(page, main_order_id):
    return page.locator("#result_list tbody tr").filter(
        has=page.get_by_role("link", name=main_order_id, exact=True)
    )


def test_an_approver_approves_one_from_its_page_and_denies_another_from_the_queue(
    page, log_in, approver, held, connector_server
):
    log_in(approver)
    page.goto(QUEUE)
    expect(queue_rows(page)).to_have_text(["MKP-A", "MKP-B", "MKP-C"])

    page.locator("#changelist-filter").get_by_role("link", name="Needs my decision").click()
    expect(queue_rows(page)).to_have_text(["MKP-A", "MKP-B"])
    expect(page.locator("#queue-count")).to_have_text("2 orders waiting")

    page.get_by_role("link", name="MKP-A", exact=True).click()
    expect(page.locator("#order-decision")).to_contain_text("Waiting for manual authorization")
    page.fill("#id_approve_note", "Marketplace promotion")
    page.get_by_role("button", name="Approve order").click()
    expect(page.locator(".messagelist")).to_contain_text(
        "Order MKP-A approved: it is now ready for handling."
    )
    expect(page.locator("#order-decision")).to_have_count(0)
    expect(page.locator("#order-approval-task")).to_contain_text(f"Approved by {ANA} at ")

    page.goto(f"{QUEUE}?mine=yes")
    expect(queue_rows(page)).to_have_text(["MKP-B"])
    page.check(f'input[name="_selected_action"][value="{held["B"].pk}"]')
    page.select_option('select[name="action"]', "deny_selected")
    page.locator('button[name="index"]').first.click()
    expect(page.locator(".oa-selection-question")).to_have_text("Deny 1 order, paid R$25.71?")
    expect(page.locator("#selected-orders")).to_contain_text("MKP-B")
    page.select_option("#id_reason_code", "suspicious")
    page.fill("#id_note", "Same card on ten orders")
    page.get_by_role("button", name="Deny the orders").click()
    expect(page.locator(".messagelist li")).to_have_text(["1 of 1 order denied (R$25.71)."])
    expect(queue_rows(page)).to_have_count(0)

    received = connector_server.wait_for(7)
    approved = next(r.body for r in received if r.body["code"] == "SOI002")
    denied = next(r.body for r in received if r.body["code"] == "EOI009")
    assert (approved["marketplaceOrderId"], approved["flow"]) == ("A", "ApproveOrder")
    assert denied["marketplaceOrderId"] == "B"
    assert denied["errors"] == [
        {
            "source": "Order Integration",
            "code": "SUSPICIOUS",
            "description": "Denied by the seller (Suspicious order): Same card on ten orders",
        }
    ]
    statuses = dict(Order.objects.values_list("marketplace_order_id", "status"))
    assert statuses == {"A": "ready-for-handling", "B": "canceled", "C": "waiting-for-manual-authorization"}
    assert page.script_errors == []


def test_a_viewer_sees_the_queue_and_the_order_without_buttons(page, log_in, viewer, held):
    log_in(viewer)
    page.goto("/admin/")
    expect(page.locator("#queue-summary")).to_contain_text("3 orders waiting")
    page.locator("#queue-summary-waiting").click()
    expect(queue_rows(page)).to_have_text(["MKP-A", "MKP-B", "MKP-C"])
    expect(page.locator('input[name="_selected_action"]')).to_have_count(0)
    expect(page.locator('select[name="action"]')).to_have_count(0)

    page.get_by_role("link", name="MKP-A", exact=True).click()
    expect(page.locator("#order-decision")).to_contain_text(
        f"Only the approvers of the band that held this order may decide it: {ANA}, {BO}."
    )
    expect(page.get_by_role("button", name="Approve order")).to_have_count(0)
    expect(page.get_by_role("button", name="Deny order")).to_have_count(0)
    assert page.script_errors == []


def test_an_approver_approves_two_after_a_confirmation_with_their_count_and_value(
    browser, live_server, settings, request, second_approver, held
):
    # Checked by axe, which the policy would refuse as an injected script (tests/support/axe.py).
    with open_page(
        browser, live_server, settings, request, viewport={"width": 1280, "height": 800}, bypass_csp=True
    ) as page:
        log_in_on(page, second_approver)
        page.goto(QUEUE)
        page.check(f'input[name="_selected_action"][value="{held["B"].pk}"]')
        page.check(f'input[name="_selected_action"][value="{held["C"].pk}"]')
        page.select_option('select[name="action"]', "approve_selected")
        page.locator('button[name="index"]').first.click()

        expect(page.locator(".oa-selection-question")).to_have_text("Approve 2 orders, paid R$48.40 in all?")
        expect(page.locator("#selected-orders tbody tr")).to_have_count(2)
        expect(page.locator("ol.breadcrumbs li")).to_have_text(
            ["Home", "Orders", "Waiting for manual authorization", "Approve the selected orders"]
        )
        assert serious_violations(page) == []
        assert set(Order.objects.values_list("status", flat=True)) == {"waiting-for-manual-authorization"}

        page.fill("#id_note", "Marketplace promotion")
        page.get_by_role("button", name="Approve the orders").click()

        expect(page.locator(".messagelist li")).to_have_text(["2 of 2 orders approved (R$48.40)."])
        expect(queue_rows(page)).to_have_text(["MKP-A"])
        assert page.script_errors == []


def test_an_approver_approves_one_and_denies_another_from_their_rows(page, log_in, second_approver, held):
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(second_approver)
    page.goto(f"{QUEUE}?mine=yes")
    expect(queue_rows(page)).to_have_text(["MKP-A", "MKP-B", "MKP-C"])

    queue_row(page, "MKP-A").locator(".row-approve").click()
    expect(page.locator(".messagelist")).to_have_text("Order MKP-A approved: it is now ready for handling.")
    assert page.url.endswith(f"{QUEUE}?mine=yes")
    expect(queue_rows(page)).to_have_text(["MKP-B", "MKP-C"])

    denied = queue_row(page, "MKP-B")
    denied.locator(".row-deny").click()
    # The reason and note open over the rows beneath: the list still fits its box.
    assert page.evaluate(
        "(box) => box.scrollWidth <= box.clientWidth", page.locator("#changelist .results").element_handle()
    )
    denied.get_by_label("Reason").select_option("suspicious")
    denied.get_by_label("Note").fill("Same card on ten orders")
    denied.get_by_role("button", name="Deny order").click()
    expect(page.locator(".messagelist")).to_have_text(
        "Order MKP-B denied (Suspicious order): it is canceled and its stock released."
    )
    assert page.url.endswith(f"{QUEUE}?mine=yes")
    expect(queue_rows(page)).to_have_text(["MKP-C"])
    statuses = dict(Order.objects.values_list("marketplace_order_id", "status"))
    assert statuses == {"A": "ready-for-handling", "B": "canceled", "C": "waiting-for-manual-authorization"}
    assert page.script_errors == []
