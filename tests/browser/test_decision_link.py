"""A decision link from the e-mail, opened on a phone: the page fits its screen, reads well to
assistive technology, and its form denies the order with the CSRF cookie a real browser keeps."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.models import Account
from authorization.services import rule_replace
from orders.models import Order
from tests.browser.conftest import open_page
from tests.factories import band
from tests.orders.payloads import order_body
from tests.support.axe import serious_violations

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}
ANA, BO = "ana@acme.example", "bo@acme.example"


@pytest.fixture
def phone(browser, live_server, settings, request):
    # axe's script is written into the page: the policy is checked on the page's own markup instead
    # (tests/security/test_headers.py).
    with open_page(
        browser,
        live_server,
        settings,
        request,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        bypass_csp=True,
    ) as page:
        yield page


@pytest.fixture
def emailed_link(mkp, shop, owner, approver, second_approver, live_server, settings) -> str:
    """The link of Ana's e-mail about MKP-123456789, held for Ana then Bo."""
    settings.SITE_URL = live_server.url
    Account.objects.filter(pk=shop.account.pk).update(email_decisions=True)
    rule_replace(
        account=shop.account,
        bands=[band(0, 10, "authorize"), band(10, 20, "manual", [ANA, BO]), band(20, 100, "deny")],
        actor=owner,
    )
    mkp.place(order_body(marketplacePaymentValue=2571))
    (message,) = [message for message in mail.outbox if message.to == [ANA]]
    return re.search(rf"{re.escape(live_server.url)}/decide/[A-Za-z0-9_-]+", message.body).group(0)


def test_an_approver_denies_from_the_emails_link_on_a_phone(phone, emailed_link):
    phone.goto(emailed_link)
    expect(phone.get_by_role("heading", name="Why it diverges")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    deny = phone.get_by_role("button", name="Deny order")
    box = deny.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert serious_violations(phone) == []
    phone.select_option("#id_deny-reason_code", "price-error")
    phone.fill("#id_deny-note", "Wrong price.")
    deny.click()
    expect(phone.locator("#decide-done")).to_contain_text("Order MKP-123456789 is denied.")
    assert Order.objects.get().status == "canceled"
    phone.go_back()
    phone.reload()  # the link is spent
    expect(phone.locator("#decide-refusal")).to_contain_text("was already denied by ana@acme.example")
