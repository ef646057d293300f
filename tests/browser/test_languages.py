"""Each person's screens in their language, at 1280×800, accessible: checked in Chromium.

Screenshots of every page in every language are kept in test-artifacts/.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import Order
from tests.factories import PASSWORD
from tests.support.axe import serious_violations
from tests.support.i18n import english_left
from tests.support.orders import place_held
from tests.support.rule_editor import rule_url

from .conftest import ARTIFACTS, open_page

LANGUAGES = [
    ("en", "en", "Your preferences"),
    ("pt-BR", "pt_BR", "Suas preferências"),
    ("es", "es", "Sus preferencias"),
]
SCREEN = {"width": 1280, "height": 800}


def page_in(accept, browser, live_server, settings, request):
    """A page of a browser asking for `accept` at 1280×800, open to axe-core (see tests/support/axe.py)."""
    return open_page(
        browser,
        live_server,
        settings,
        request,
        locale=accept,
        extra_http_headers={"Accept-Language": accept},
        viewport=SCREEN,
        bypass_csp=True,
    )


def sign_in(page, user):
    page.goto(reverse("admin:login"))
    page.fill("#id_username", user.email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")


@pytest.mark.parametrize(("accept", "catalog", "title"), LANGUAGES, ids=[code for code, _, _ in LANGUAGES])
def test_the_preferences_page_speaks_the_browsers_language_and_is_accessible(
    browser, live_server, settings, request, owner, accept, catalog, title
):
    with page_in(accept, browser, live_server, settings, request) as page:
        sign_in(page, owner)
        page.goto(reverse("preferences"))
        assert page.get_attribute("html", "lang") == accept.lower()
        assert title in page.inner_text("#content")
        if catalog != "en":
            assert english_left(page.inner_html("#content"), catalog) == []
        assert serious_violations(page) == []


def persona_pages(account, order) -> dict[str, list[tuple[str, str]]]:
    """What each persona works on, as (name, address): the screens checked in every language."""
    return {
        "approver": [
            ("queue", "/admin/orders/waitingorder/"),
            ("held-order", f"/admin/orders/order/{order.pk}/change/"),
        ],
        "owner": [
            ("rule-editor", rule_url("editor", account)),
            ("dashboard", "/admin/insight/dashboard/"),
        ],
        "viewer": [("orders", "/admin/orders/order/")],
    }


@pytest.mark.parametrize("persona", ["approver", "owner", "viewer"])
@pytest.mark.parametrize(
    ("accept", "catalog"),
    [(code, catalog) for code, catalog, _ in LANGUAGES],
    ids=[code for code, _, _ in LANGUAGES],
)
def test_each_persona_works_in_the_browsers_language_on_accessible_pages(
    browser, live_server, settings, request, account, held_order, viewer, persona, accept, catalog
):
    # One browser context per persona and language, its screens visited in turn: a picture of each.
    with page_in(accept, browser, live_server, settings, request) as page:
        sign_in(page, request.getfixturevalue(persona))
        for name, url in persona_pages(account, held_order)[persona]:
            response = page.goto(url)
            assert response.ok and page.url == live_server.url + url, (name, response.status, page.url)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=ARTIFACTS / f"languages-{persona}-{name}-{accept}.png", full_page=True)
            assert page.get_attribute("html", "lang") == accept.lower(), name
            if catalog != "en":
                assert english_left(page.content(), catalog) == [], name
            assert serious_violations(page) == [], name
            # Longer words must not push the page sideways: what is wider scrolls in its own box.
            assert page.evaluate("document.documentElement.scrollWidth") <= SCREEN["width"], name


# The lists an approver works through fit a laptop: no column off-screen, rows one or two lines high.

QUEUE = "/admin/orders/waitingorder/"
ORDERS = "/admin/orders/order/"
# The columns an approver decides by, each holding one or two facts.
QUEUE_COLUMNS = ["main_order_link", "values", "divergence", "why", "waiting", "approver_level", "decide"]
ORDER_COLUMNS = ["order_link", "status_badge", "values", "divergence", "outcome_words", "created"]
# Two lines of the admin's 13 px text with the cell's padding; a third line would pass it.
ROW_HEIGHT_MAX = 60

MEASURE = """(columns) => {
    const box = document.querySelector("#changelist .results").getBoundingClientRect();
    const results = document.querySelector("#changelist .results");
    const outside = [];
    for (const column of columns) {
        const cells = [
            document.querySelector(`#result_list thead th.column-${column}`),
            ...document.querySelectorAll(`#result_list tbody td.field-${column}`),
        ];
        for (const cell of cells) {
            const rect = cell ? cell.getBoundingClientRect() : null;
            if (!rect || rect.width === 0 || rect.right > box.right + 0.5 || rect.right > window.innerWidth) {
                outside.push(column);
                break;
            }
        }
    }
    const rows = [...document.querySelectorAll("#result_list tbody tr")];
    return {
        scrollWidth: results.scrollWidth,
        clientWidth: results.clientWidth,
        outside,
        rows: rows.length,
        tallest: Math.max(...rows.map((row) => row.getBoundingClientRect().height)),
        sidebarOpen: document.querySelector("#nav-sidebar").getBoundingClientRect().width > 0,
    };
}"""


@pytest.fixture
def waiting(shop, owner, approver, second_approver):
    """Three orders held for Ana and Bo some hours ago, one with a long marketplace order number."""
    for marketplace_order_id in ["A", "B", "1398471234567-01"]:
        place_held(shop.connector, marketplaceOrderId=marketplace_order_id)
    Order.objects.update(created_at=timezone.now() - timedelta(hours=3, minutes=12))


@pytest.mark.parametrize("accept", [code for code, _, _ in LANGUAGES])
def test_the_queue_and_the_order_list_fit_a_laptop_with_the_sidebar_open(
    browser, live_server, settings, request, second_approver, waiting, accept
):
    with page_in(accept, browser, live_server, settings, request) as page:
        sign_in(page, second_approver)
        for url, columns in [(QUEUE, QUEUE_COLUMNS), (ORDERS, ORDER_COLUMNS)]:
            page.goto(url)
            shown = page.evaluate(MEASURE, columns)
            assert shown["sidebarOpen"], url
            assert shown["rows"] == 3, url
            assert shown["scrollWidth"] <= shown["clientWidth"], (url, shown)
            assert shown["outside"] == [], (url, shown)
            assert shown["tallest"] <= ROW_HEIGHT_MAX, (url, shown)
