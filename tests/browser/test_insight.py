"""The dashboard and the replay of past orders in a real browser: the pictures are drawn and say what the data says."""

import pytest
from playwright.sync_api import expect

from orders.models import Order
from tests.browser.conftest import ARTIFACTS, log_in_on
from tests.insight.conftest import DASHBOARD, placed, rule  # noqa: F401 (fixtures)
from tests.support.rule_editor import rule_url

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("placed")]

FIGURES = ("divergence", "decisions", "queue-age", "value-waiting", "approvers", "connectors", "skus")


def test_the_dashboard_draws_every_picture_with_words_that_match_it(page, log_in, owner):
    log_in(owner)
    page.goto("/admin/")
    page.get_by_role("link", name="Dashboard").click()

    expect(page.locator("h1")).to_have_text("Dashboard of acme")
    expect(page.locator("#tile-decided")).to_have_text("5")
    expect(page.locator("#tile-waiting")).to_have_text("1")
    expect(page.locator("#tile-waiting-value")).to_have_text("R$25.71")
    for slug in FIGURES:
        picture = page.locator(f"#chart-{slug} svg[role=img]")
        expect(picture).to_be_visible()
        expect(picture.locator("title").first).not_to_be_empty()
        expect(picture.locator("desc")).not_to_be_empty()

    divergence = page.locator("#chart-divergence")
    expect(divergence.locator(".chart-bars rect")).to_have_count(3)  # 2.48 %, 15.01 % and 33.88 %
    expect(divergence.locator(".chart-bands rect")).to_have_count(3)
    expect(divergence.locator(".chart-bands rect.band-manual title")).to_have_text(
        "5–20 %: hold for approval"
    )
    expect(divergence.locator("figcaption")).to_contain_text("5 orders decided from ")
    expect(divergence.locator("figcaption")).to_contain_text(": 2 without divergence, 3 (60 %) with one.")
    expect(divergence.locator("figcaption")).to_contain_text("1 authorized; 1 held for approval; 1 denied")

    decisions = page.locator("#chart-decisions")
    expect(decisions.locator(".chart-bars rect")).to_have_count(4)
    expect(decisions.locator(".insight-legend li")).to_have_text(
        ["No divergence", "Authorized by 0–5 %", "Held for approval by 5–20 %", "Denied by 20–100 %"]
    )
    expect(page.locator("#chart-queue-age figcaption")).to_contain_text("1 order waits for a decision")
    expect(page.locator("#chart-value-waiting figcaption")).to_contain_text("R$25.71 waits for a decision")
    expect(page.locator("#chart-connectors figcaption")).to_contain_text(
        "SkyHub (MKP) had the most divergence: 3 of 5 orders (60 %), paid R$15.54 less than the seller's prices."
    )

    page.locator("#chart-divergence summary").click()
    expect(page.locator("#chart-divergence table")).to_contain_text("15–15.5 %")
    assert page.script_errors == []


def test_a_custom_period_without_orders_says_so(page, log_in, owner):
    log_in(owner)
    page.goto(DASHBOARD)
    page.select_option("#id_period", "custom")
    page.fill("#id_first", "2020-01-01")
    page.fill("#id_last", "2020-01-31")
    page.get_by_role("button", name="Show").click()

    expect(page.locator(".insight-period-shown")).to_have_text(
        "acme, Jan. 1, 2020 – Jan. 31, 2020 (31 days)."
    )
    expect(page.locator("#tile-decided")).to_have_text("0")
    expect(page.locator("#chart-divergence figcaption")).to_contain_text(
        "No order was decided from Jan. 1, 2020 to Jan. 31, 2020."
    )
    expect(page.locator("#chart-divergence .chart-bars rect")).to_have_count(0)
    expect(page.locator("#tile-waiting")).to_have_text("1")  # the queue is now, whatever the period


def test_owner_replays_a_draft_and_sees_which_orders_change(page, log_in, account, owner):
    log_in(owner)
    page.goto(rule_url("editor", account))
    page.fill("#id_bands-0-upper_percent", "16")
    page.fill("#id_bands-1-lower_percent", "16")

    page.get_by_role("button", name="Replay").click()

    result = page.locator("#rule-replay-result")
    expect(result.locator("#replay-summary")).to_have_text(
        "Replayed 5 orders decided in the last 30 days. Under this rule 1 would change outcome: "
        "1 authorized instead of held for approval."
    )
    expect(result.locator("svg[role=img] desc")).to_have_text(result.locator("#replay-summary").inner_text())
    # Four outcomes before and after, but none is held for approval under the draft.
    expect(result.locator("svg .chart-bars rect")).to_have_count(7)
    authorized = result.locator("#replay-table tr.replay-row-authorize")
    expect(authorized.locator("td")).to_have_text(["1", "2", "+1", "R$29.50", "R$55.21", "+R$25.71"])
    held = result.locator("#replay-table tr.replay-row-manual")
    expect(held.locator("td")).to_have_text(["1", "0", "−1", "R$25.71", "R$0.00", "−R$25.71"])
    link = result.locator("#replay-changes a")
    expect(link).to_have_text("MKP-M1")
    held_order = Order.objects.get(marketplace_order_id="M1")
    expect(link).to_have_attribute("href", f"/admin/orders/order/{held_order.pk}/change/")
    expect(page.locator("#id_bands-0-upper_percent")).to_have_value("16")  # nothing saved, the draft stays
    page.screenshot(path=ARTIFACTS / "replay-in-the-rule-editor.png", full_page=True)

    link.click()
    expect(page.locator("#content")).to_contain_text("MKP-M1")
    expect(page.locator("#content")).to_contain_text("Waiting for manual authorization")
    assert page.script_errors == []


def test_a_draft_that_could_not_be_saved_is_not_replayed(page, log_in, account, owner):
    log_in(owner)
    page.goto(rule_url("editor", account))
    page.fill("#id_bands-0-upper_percent", "30")

    page.get_by_role("button", name="Replay").click()

    expect(page.locator("#rule-replay-result .errornote")).to_contain_text("Correct the draft to replay it")
    expect(page.locator("#rule-replay-result .errornote")).to_contain_text("Overlaps the band 0–30 %.")


def test_without_javascript_the_replay_opens_as_a_page(page_without_javascript, account, owner):
    page = page_without_javascript
    log_in_on(page, owner)
    page.goto(rule_url("editor", account))
    page.fill("#id_bands-2-lower_percent", "40")
    page.fill("#id_bands-1-upper_percent", "40")

    page.get_by_role("button", name="Replay").click()

    expect(page.locator("h1")).to_have_text("Replay of the price divergence rule of acme")
    expect(page.locator("#replay-summary")).to_contain_text(
        "Under this rule 1 would change outcome: 1 held for approval instead of denied."
    )
    expect(page.locator("#replay-changes a")).to_have_text("MKP-D1")
