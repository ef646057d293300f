"""Deciding held orders from the keyboard alone, at 1280×800: the queue's rows and the order page's
shortcuts (static/orders/shortcuts.js), which never fire while the approver types."""

import pytest
from playwright.sync_api import expect

from orders.models import Order
from tests.support.axe import serious_violations
from tests.support.orders import BO_ALONE, HELD, place_in_turn

from .conftest import log_in_on, open_page

pytestmark = pytest.mark.browser

SCREEN = {"width": 1280, "height": 800}
QUEUE = "/admin/orders/waitingorder/"
WAITING = "waiting-for-manual-authorization"


@pytest.fixture
def held(shop, owner, approver, second_approver):
    """MKP-A, MKP-B, MKP-X and MKP-C held in that order: X for Bo alone, the others for Ana and Bo."""
    return place_in_turn(shop.connector, {"A": HELD, "B": HELD, "X": BO_ALONE, "C": HELD})


@pytest.fixture
def screen(browser, live_server, settings, request):
    with open_page(browser, live_server, settings, request, viewport=SCREEN) as page:
        yield page


def order_url(order) -> str:
    return f"/admin/orders/order/{order.pk}/change/"


def status_of(order) -> str:
    return Order.objects.values_list("status", flat=True).get(pk=order.pk)


def test_an_approver_approves_three_orders_one_after_another_with_a_alone(
    screen, live_server, approver, held
):
    page = screen
    log_in_on(page, approver)
    page.goto(order_url(held["A"]))
    for decided, following in [("A", "B"), ("B", "C")]:  # X is Bo's: Ana never lands on it
        page.keyboard.press("a")
        expect(page.locator(".messagelist")).to_contain_text(f"Order MKP-{decided} approved")
        expect(page).to_have_url(live_server.url + order_url(held[following]))
    page.keyboard.press("a")

    expect(page.locator(".messagelist")).to_contain_text("Order MKP-C approved")
    expect(page.locator(".messagelist")).to_contain_text(
        "That was the last order waiting for your decision: nothing left to decide for now."
    )
    assert page.url.endswith(QUEUE)
    assert [status_of(held[name]) for name in "ABXC"] == ["payment-pending"] * 2 + [
        WAITING,
        "payment-pending",
    ]
    assert page.script_errors == []


def test_j_k_and_enter_on_the_queue_open_the_second_order(screen, approver, held):
    page = screen
    log_in_on(page, approver)
    page.goto(QUEUE)
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(4)

    for key in ["j", "j", "j", "k"]:
        page.keyboard.press(key)
    expect(rows.nth(1)).to_be_focused()
    expect(rows.nth(1)).to_have_class("oa-row-current")
    page.keyboard.press("x")
    expect(rows.nth(1).locator("input.action-select")).to_be_checked()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")

    expect(page.locator("#order-decision")).to_be_visible()
    assert page.url.endswith(order_url(held["B"]))
    assert page.script_errors == []


def test_a_and_d_press_the_highlighted_rows_controls_and_nothing_without_them(
    screen, live_server, approver, held
):
    page = screen
    log_in_on(page, approver)
    page.goto(QUEUE)
    rows = page.locator("#result_list tbody tr")
    for _ in range(3):  # down to MKP-X, which only Bo may decide: its row has no controls
        page.keyboard.press("j")
    page.keyboard.press("a")
    page.keyboard.press("d")
    expect(rows.nth(2)).to_be_focused()  # nothing else happened
    assert page.url == live_server.url + QUEUE

    page.keyboard.press("k")
    page.keyboard.press("d")
    expect(rows.nth(1).locator("details.oa-row-deny")).to_have_attribute("open", "")
    assert [status_of(order) for order in held.values()] == [WAITING] * 4
    page.keyboard.press("a")
    expect(page.locator(".messagelist")).to_contain_text("Order MKP-B approved")
    assert page.url == live_server.url + QUEUE
    assert [status_of(order) != WAITING for order in held.values()] == [False, True, False, False]
    assert page.script_errors == []


def test_typing_a_into_the_deny_note_does_not_approve(screen, live_server, approver, held):
    page = screen
    log_in_on(page, approver)
    page.goto(order_url(held["A"]))

    page.keyboard.press("d")
    expect(page.locator("#id_reason_code")).to_be_focused()
    page.select_option("#id_reason_code", "suspicious")
    page.locator("#id_note").focus()
    page.keyboard.type("a card used on ten orders")
    page.keyboard.press("Control+a")

    expect(page.locator("#id_note")).to_have_value("a card used on ten orders")
    assert page.url.endswith(order_url(held["A"]))
    assert status_of(held["A"]) == WAITING
    page.locator("#id_note").blur()
    page.keyboard.press("n")  # away from the field the shortcuts work again
    expect(page).to_have_url(live_server.url + order_url(held["B"]))
    assert status_of(held["A"]) == WAITING
    assert page.script_errors == []


def test_the_help_lists_the_shortcuts_in_the_readers_language_and_is_accessible(
    browser, live_server, settings, request, approver, held
):
    with open_page(
        browser,
        live_server,
        settings,
        request,
        viewport=SCREEN,
        locale="pt-BR",
        extra_http_headers={"Accept-Language": "pt-BR"},
        bypass_csp=True,  # axe-core is injected as a script (tests/support/axe.py)
    ) as page:
        log_in_on(page, approver)
        page.goto(order_url(held["B"]))
        help_dialog = page.get_by_role("dialog", name="Atalhos de teclado")
        expect(help_dialog).to_be_hidden()

        page.keyboard.press("?")
        expect(help_dialog).to_be_visible()
        expect(help_dialog).to_contain_text("Aprovar e abrir o próximo pedido")
        expect(help_dialog).to_contain_text("Próximo pedido para você decidir")
        assert serious_violations(page) == []
        page.keyboard.press("a")  # the help is open: nothing is decided behind it
        page.keyboard.press("Escape")
        expect(help_dialog).to_be_hidden()
        assert status_of(held["B"]) == WAITING

        expect(page.locator('[aria-keyshortcuts="a"]')).to_have_text("Aprovar e abrir o próximo")
        expect(page.locator('a[rel="next"][aria-keyshortcuts="n"]')).to_contain_text("MKP-C")
        assert serious_violations(page) == []
        assert page.script_errors == []
