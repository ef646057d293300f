"""Real-browser fixtures: Playwright driving Debian's Chromium against pytest-django's live server.

Chromium is /usr/bin/chromium (Playwright cannot download its own here). Without it the browser
tests are skipped, unless REQUIRE_BROWSER=1 makes its absence a failure (CI). Every test leaves
a full-page screenshot in test-artifacts/, named after the test, and fails when anything the
Content-Security-Policy refused happened on any of its pages (`page.csp_violations`).
"""

import os
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.factories import PASSWORD

# Playwright's sync API runs an event loop in the test thread; Django's ORM would refuse it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Runs in every document before its own scripts: reports each violation of the policy.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
    window.reportCspViolation(
        `${event.effectiveDirective} refused ${event.blockedURI || "inline"} on ${event.documentURI}` +
            ` (${event.sourceFile || "the page"}:${event.lineNumber}): ${event.sample}`,
    );
});
"""


@pytest.fixture(scope="session")
def browser():
    """Launch headless Chromium once for the session."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is not installed (apt-get install chromium) so real-browser tests cannot run"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason}, and REQUIRE_BROWSER=1 requires them.")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@contextmanager
def open_page(browser, live_server, settings, request, **context_options):
    """Open a fresh page on the live server; screenshot it when done, named after the test."""
    # The live server speaks plain HTTP.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    context = browser.new_context(
        base_url=live_server.url, **{"viewport": {"width": 1400, "height": 1000}, **context_options}
    )
    # What the policy refused, from the page's event (scripts on) and the browser's console (always).
    violations = []
    context.expose_binding("reportCspViolation", lambda source, text: violations.append(text))
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    context.on(
        "console",
        lambda message: "Content Security Policy" in message.text and violations.append(message.text),
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.script_errors = []
    page.csp_violations = violations
    page.on("pageerror", lambda error: page.script_errors.append(str(error)))
    try:
        yield page
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        name = "".join(c if c.isalnum() or c in "-_" else "-" for c in request.node.name)
        with suppress(PlaywrightTimeoutError):  # a page too long to picture whole (Redoc's): no picture
            page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True, timeout=30_000)
        context.close()
    assert violations == [], "The Content-Security-Policy refused:\n" + "\n".join(violations)


@pytest.fixture
def page(browser, live_server, settings, request):
    """Return a browser page on the live server (`page.script_errors` collects script errors)."""
    with open_page(browser, live_server, settings, request) as page:
        yield page


@pytest.fixture
def page_without_javascript(browser, live_server, settings, request):
    """Return a browser page with JavaScript switched off, to check the plain-HTML path."""
    with open_page(browser, live_server, settings, request, java_script_enabled=False) as page:
        yield page


def log_in_on(page, user, password=PASSWORD):
    """Log the user in through the admin's login page."""
    page.goto("/admin/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")


@pytest.fixture
def log_in(page):
    """Return a function logging a user in on `page`."""
    return lambda user, password=PASSWORD: log_in_on(page, user, password)


def drag_on_bar(page, handle, to_x_percent):
    """Drag a handle of the rule editor's bar with the mouse to `to_x_percent` of the bar's width."""
    start = handle.bounding_box()
    bar = page.locator(".rule-bar").bounding_box()
    y = start["y"] + start["height"] / 2
    page.mouse.move(start["x"] + start["width"] / 2, y)
    page.mouse.down()
    page.mouse.move(bar["x"] + bar["width"] * to_x_percent / 100, y, steps=12)
    page.mouse.up()
