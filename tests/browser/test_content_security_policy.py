"""The pages work under the Content-Security-Policy, from this site's own files alone.

Every browser test fails on a violation of the policy (conftest.py); these open the pages no
other browser test opens, the API docs, and check that the listener does catch one.
"""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def requests_elsewhere(page, live_server) -> list[str]:
    """Answer no request for anywhere but this site, as offline; return the list of those asked for."""
    site = urlsplit(live_server.url).netloc
    elsewhere = []

    def refuse(route):
        elsewhere.append(route.request.url)
        route.abort()

    page.route(lambda url: urlsplit(url).scheme in {"http", "https"} and urlsplit(url).netloc != site, refuse)
    return elsewhere


def test_swagger_ui_shows_every_operation_from_the_apps_own_files(page, live_server):
    elsewhere = requests_elsewhere(page, live_server)

    response = page.goto("/api/docs")

    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    expect(page.locator(".swagger-ui .info .title")).to_contain_text(
        "Order Authorization API", timeout=20_000
    )
    operation = page.locator(".opblock-summary", has_text="/api/authorization/price-divergence-rule").first
    operation.click()
    expect(page.get_by_role("button", name="Try it out").first).to_be_visible()  # the operation opens
    assert elsewhere == []
    assert page.script_errors == []


def test_redoc_shows_every_operation_from_the_apps_own_files(page, live_server):
    elsewhere = requests_elsewhere(page, live_server)

    page.goto("/api/redoc")

    expect(page.locator("h1", has_text="Order Authorization API")).to_be_visible(timeout=20_000)
    page.get_by_role("menuitem", name="Orders").first.click()
    expect(page.locator("h2", has_text="List the account's orders").first).to_be_visible()
    assert elsewhere == []
    assert page.script_errors == []
    # Redoc's bundle always asks for its maker's logo on its maker's site; the policy refuses it
    # (nothing is asked of elsewhere) and Redoc hides the image. Anything else refused fails.
    page.wait_for_function("() => !document.querySelector('img[alt=\"redocly logo\"]')")
    logo = "https://cdn.redoc.ly/redoc/logo-mini.svg"
    assert all(logo in text for text in page.csp_violations), page.csp_violations
    page.csp_violations.clear()


def test_a_violation_fails_the_test_that_met_it(page, log_in, owner):
    log_in(owner)
    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "document.body.dataset.ran = 'yes'";
            document.body.append(script);
            const image = document.createElement("img");
            image.src = "https://evil.example/pixel.png";
            document.body.append(image);
        }"""
    )

    expect(page.locator("body")).not_to_have_attribute("data-ran", "yes")
    page.wait_for_function("() => document.images.length > 0")
    page.wait_for_timeout(300)
    refused = list(page.csp_violations)
    assert any(text.startswith("script-src-elem refused inline") for text in refused), refused
    assert any("img-src refused https://evil.example/pixel.png" in text for text in refused), refused
    page.csp_violations.clear()  # met on purpose: this test passes
