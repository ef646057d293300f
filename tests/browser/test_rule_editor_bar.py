"""The rule editor's bar at 1280×800: zoomed to where the bands are, every label whole, handles apart."""

import pytest
from playwright.sync_api import expect

from authorization.rule_bar import bar_scale
from authorization.selectors import rule_bands, rule_of
from authorization.services import rule_replace
from tests.browser.conftest import drag_on_bar, log_in_on, open_page
from tests.factories import band
from tests.support.rule_editor import ANA, BO, rule_url

pytestmark = pytest.mark.browser

SCREEN = {"width": 1280, "height": 800}
HANDLES_APART = 16  # pixels between two handles' middles at least

SMALL_BANDS = [band(0, 5, "authorize"), band(5, 10, "manual", [ANA, BO]), band(10, 100, "deny")]
WITH_A_GAP = [band(0, 3, "authorize"), band(5, 10, "manual", [ANA, BO]), band(10, 100, "deny")]


@pytest.fixture
def screen(browser, live_server, settings, request):
    with open_page(browser, live_server, settings, request, viewport=SCREEN) as page:
        yield page


def labels_shown(page) -> dict[str, str]:
    """How each segment's label shows: "whole" inside its segment, "hidden" out of sight, or "cut"."""
    return page.evaluate(
        """() => Object.fromEntries(Array.from(document.querySelectorAll(".rule-bar .rule-segment")).map((segment) => {
            const label = segment.querySelector(".rule-segment-label");
            const outer = segment.getBoundingClientRect();
            const inner = label.getBoundingClientRect();
            const text = label.textContent.replace(/\\s+/g, " ").trim();
            if (inner.top >= outer.bottom - 0.5) {
                return [text, "hidden"];
            }
            const whole = inner.left >= outer.left - 0.5 && inner.right <= outer.right + 0.5
                && inner.top >= outer.top - 0.5 && inner.bottom <= outer.bottom + 0.5
                && label.scrollWidth <= label.clientWidth && label.scrollHeight <= label.clientHeight;
            return [text, whole ? "whole" : "cut"];
        }))"""
    )


def handle_gaps(page) -> list[float]:
    """The distances in pixels between the middles of neighbouring handles."""
    return page.evaluate(
        """() => {
            const middles = Array.from(document.querySelectorAll(".rule-handle"))
                .map((node) => { const box = node.getBoundingClientRect(); return box.left + box.width / 2; })
                .sort((a, b) => a - b);
            return middles.slice(1).map((middle, index) => middle - middles[index]);
        }"""
    )


def segment_labels(page) -> list[str]:
    return [
        " ".join(text.split()) for text in page.locator(".rule-bar .rule-segment-label").all_text_contents()
    ]


@pytest.mark.parametrize(
    ("bands", "labels", "ticks"),
    [
        (
            SMALL_BANDS,
            ["Authorize 0–5 %", "Approval 5–10 %", "Deny 10–100 %"],
            ["0 %", "2 %", "4 %", "6 %", "8 %", "10 %", "12 %", "… to 100 %"],
        ),
        (
            WITH_A_GAP,
            ["Authorize 0–3 %", "Not integrated 3–5 %", "Approval 5–10 %", "Deny 10–100 %"],
            ["0 %", "2 %", "4 %", "6 %", "8 %", "10 %", "12 %", "… to 100 %"],
        ),
    ],
    ids=["small-bands", "with-a-gap"],
)
def test_the_bar_zooms_to_the_bands_and_shows_every_label_whole(
    screen, account, owner, approver, second_approver, bands, labels, ticks
):
    page = screen
    rule_replace(account=account, bands=bands, actor=owner)
    log_in_on(page, owner)
    page.goto(rule_url("editor", account))

    expect(page.locator(".rule-tick")).to_have_text(ticks)
    assert segment_labels(page) == labels
    assert labels_shown(page) == dict.fromkeys(labels, "whole")
    assert min(handle_gaps(page)) >= HANDLES_APART, handle_gaps(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= SCREEN["width"]
    assert page.script_errors == []


def test_the_whole_0_to_100_view_and_back_and_dragging_in_both(
    screen, account, owner, approver, second_approver
):
    page = screen
    rule_replace(account=account, bands=SMALL_BANDS, actor=owner)
    log_in_on(page, owner)
    page.goto(rule_url("editor", account))
    toggle = page.get_by_role("button", name="Show 0–100 %")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    boundary = "Boundary: end of band 2 and start of band 3"

    toggle.focus()
    page.keyboard.press("Enter")

    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".rule-tick")).to_have_text(["0 %", "25 %", "50 %", "75 %", "100 %"])
    assert min(handle_gaps(page)) >= HANDLES_APART
    whole = bar_scale(SMALL_BANDS, whole=True)
    drag_on_bar(page, page.get_by_role("slider", name=boundary), whole.at(40))
    expect(page.locator("#id_bands-1-upper_percent")).to_have_value("40")

    page.keyboard.press("Tab")  # away from the handle, back to the button
    toggle.focus()
    page.keyboard.press("Space")

    expect(toggle).to_have_attribute("aria-pressed", "false")
    # The draft's boundaries now end at 40 %: the zoom follows them.
    expect(page.locator(".rule-tick").last).to_have_text("… to 100 %")
    expect(page.locator(".rule-tick").nth(-2)).to_have_text("50 %")
    zoomed = bar_scale([band(0, 5, "authorize"), band(5, 40, "manual"), band(40, 100, "deny")])
    drag_on_bar(page, page.get_by_role("slider", name=boundary), zoomed.at(20))
    expect(page.locator("#id_bands-1-upper_percent")).to_have_value("20")
    assert [b.upper_percent for b in rule_bands(rule=rule_of(account=account))] == [5, 10, 100]
    assert page.script_errors == []


def test_a_band_of_half_a_percent_keeps_its_handles_apart_in_both_views(
    screen, account, owner, approver, second_approver
):
    page = screen
    rule_replace(
        account=account,
        bands=[band(0, 5, "authorize"), band(5, "5.5", "manual", [ANA, BO]), band("5.5", 100, "deny")],
        actor=owner,
    )
    log_in_on(page, owner)
    page.goto(rule_url("editor", account))
    assert min(handle_gaps(page)) >= HANDLES_APART

    page.get_by_role("button", name="Show 0–100 %").click()

    expect(page.locator(".rule-tick").last).to_have_text("100 %")
    assert min(handle_gaps(page)) >= HANDLES_APART
    # Too narrow for their labels, the first two bands are named in the list under the bar.
    assert labels_shown(page) == {
        "Authorize 0–5 %": "hidden",
        "Approval 5–5.5 %": "hidden",
        "Deny 5.5–100 %": "whole",
    }
    expect(page.locator("#rule-segment-list")).to_contain_text("0–5 %: band 1, Authorize")
    expect(page.locator("#rule-segment-list")).to_contain_text("5–5.5 %: band 2, Hold for approval")
    handle = page.get_by_role("slider", name="Boundary: end of band 2 and start of band 3")
    handle.focus()
    handle.press("ArrowRight")
    expect(page.locator("#id_bands-2-lower_percent")).to_have_value("6")
    assert page.script_errors == []
