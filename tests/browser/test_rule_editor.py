"""The rule editor in a real browser: dragging, live preview, approvers, saving."""

import pytest
from playwright.sync_api import expect

from authorization.rule_bar import bar_scale
from authorization.selectors import rule_bands, rule_of
from tests.browser.conftest import drag_on_bar, log_in_on, open_page
from tests.support.rule_editor import ANA, BO, rule_url, three_band_rule

pytestmark = pytest.mark.browser


@pytest.fixture
def rule(account, owner, approver, second_approver):
    return three_band_rule(account, owner)


def test_owner_drags_the_end_of_the_first_band_saves_and_finds_it_after_reload(
    page, log_in, account, owner, rule
):
    log_in(owner)
    page.goto(rule_url("editor", account))
    first_end = page.locator("#id_bands-0-upper_percent")
    second_start = page.locator("#id_bands-1-lower_percent")
    expect(first_end).to_have_value("10")

    handle = page.locator('.rule-handle[aria-label="Boundary: end of band 1 and start of band 2"]')
    drag_on_bar(page, handle, bar_scale(rule_bands(rule=rule)).at(20))  # the bar zoomed to 0–40 %

    expect(first_end).to_have_value("20")
    expect(second_start).to_have_value("20")
    expect(page.locator("#rule-segment-list")).to_contain_text("0–20 %: band 1, Authorize")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("The price divergence rule of acme was saved.")

    page.reload()

    expect(first_end).to_have_value("20")
    expect(second_start).to_have_value("20")
    expect(page.locator("#id_bands-2-lower_percent")).to_have_value("30")
    expect(page.locator("#rule-segment-list")).to_contain_text("20–30 %: band 2, Hold for approval")
    assert [(b.lower_percent, b.upper_percent) for b in rule_bands(rule=rule_of(account=account))] == [
        (0, 20),
        (20, 30),
        (30, 100),
    ]
    assert page.script_errors == []


def test_typing_updates_the_bar_and_the_live_preview_shows_gaps_and_errors(
    page, log_in, account, owner, rule
):
    log_in(owner)
    page.goto(rule_url("editor", account))

    page.fill("#id_bands-2-lower_percent", "40")
    page.fill("#rule-preview-at", "35")

    expect(page.locator(".rule-segment.is-gap")).to_have_count(1)
    expect(page.locator("#rule-segment-list")).to_contain_text("30–40 %: Not integrated (gap)")
    expect(page.locator("#rule-preview-result")).to_have_text(
        "At 35 %: in a gap between bands; the order is not integrated (denied)."
    )

    page.fill("#id_bands-2-lower_percent", "25")

    expect(page.locator('tr[data-form-prefix="bands-2"] .field-lower_percent .band-error')).to_have_text(
        "Overlaps the band 10–30 %."
    )
    expect(page.locator(".rule-segment.is-overlap")).to_have_count(1)
    assert rule_bands(rule=rule_of(account=account))[2].lower_percent == 30
    assert page.script_errors == []


def test_owner_reorders_approvers_adds_a_band_and_saves(page, log_in, account, owner, rule):
    log_in(owner)
    page.goto(rule_url("editor", account))
    manual_row = page.locator('tr[data-form-prefix="bands-1"]')

    manual_row.get_by_role("button", name=f"Move {BO} up").click()
    expect(manual_row.locator(".approver-email")).to_have_text([BO, ANA])
    manual_row.get_by_role("button", name=f"Remove {ANA}").click()
    expect(manual_row.locator(".field-approvers .band-warning")).to_contain_text("Only one approver")
    page.fill("#id_bands-2-lower_percent", "50")
    page.get_by_role("button", name="Add band").click()
    new_row = page.locator('tr[data-form-prefix="bands-3"]')
    expect(new_row.locator("input[name$=lower_percent]")).to_have_value("30")
    expect(new_row.locator("input[name$=upper_percent]")).to_have_value("50")
    new_row.locator('select[data-field="action"]').select_option("manual")
    new_row.get_by_label("Add an approver's e-mail").fill(ANA)
    new_row.get_by_role("button", name="Add", exact=True).click()
    new_row.get_by_label("Add an approver's e-mail").fill(owner.email)
    new_row.get_by_label("Add an approver's e-mail").press("Enter")
    expect(new_row.locator(".approver-email")).to_have_text([ANA, owner.email])

    page.click("input[name=_save]")

    expect(page.locator(".messagelist")).to_contain_text("The price divergence rule of acme was saved.")
    expect(page.locator(".messagelist")).to_contain_text("Band 10–30 %: Only one approver")
    saved = rule_bands(rule=rule_of(account=account))
    assert [(b.lower_percent, b.upper_percent, str(b.action), b.approvers) for b in saved] == [
        (0, 10, "authorize", ()),
        (10, 30, "manual", (BO,)),
        (30, 50, "manual", (ANA, owner.email)),
        (50, 100, "deny", ()),
    ]
    assert page.script_errors == []


def test_viewer_sees_the_bar_without_handles_or_save(page, log_in, account, viewer, rule):
    log_in(viewer)
    page.goto(rule_url("editor", account))

    expect(page.locator(".rule-segment")).to_have_count(3)
    expect(page.locator(".rule-handle")).to_have_count(0)
    expect(page.locator("input[name=_save]")).to_have_count(0)
    page.fill("#rule-preview-at", "100")
    expect(page.locator("#rule-preview-result")).to_have_text(
        "At 100 %: the band 30–100 % denies; the order is not integrated."
    )
    assert page.script_errors == []


def test_band_ends_move_with_the_keyboard(page, log_in, account, owner, rule):
    log_in(owner)
    page.goto(rule_url("editor", account))
    handle = page.get_by_role("slider", name="Boundary: end of band 2 and start of band 3")

    handle.focus()
    handle.press("ArrowRight")
    handle.press("PageUp")

    expect(page.locator("#id_bands-1-upper_percent")).to_have_value("35.5")
    expect(page.locator("#id_bands-2-lower_percent")).to_have_value("35.5")
    expect(page.get_by_role("slider", name="Boundary: end of band 2 and start of band 3")).to_be_focused()
    assert page.script_errors == []


def test_numbers_are_edited_and_saved_without_javascript(page_without_javascript, account, owner, rule):
    page = page_without_javascript
    log_in_on(page, owner)
    page.goto(rule_url("editor", account))
    expect(page.locator(".rule-handle")).to_have_count(0)

    page.fill("#id_bands-0-upper_percent", "12.5")
    page.fill("#id_bands-1-lower_percent", "12.5")
    page.fill("#id_bands-3-lower_percent", "0")
    page.fill("#id_bands-3-upper_percent", "1")
    page.click("input[name=_save]")

    expect(page.locator("#id_bands-1-upper_percent")).to_have_value("30")
    expect(page.locator(".errornote")).to_have_text(
        "The rule was not saved. Please correct the problems below."
    )
    expect(page.locator('tr[data-form-prefix="bands-0"] .field-lower_percent')).to_contain_text(
        "Overlaps the band 0–1 %."
    )
    page.fill("#id_bands-3-lower_percent", "")
    page.fill("#id_bands-3-upper_percent", "")
    page.click("input[name=_save]")

    expect(page.locator(".messagelist")).to_contain_text("The price divergence rule of acme was saved.")
    expect(page.locator("#id_bands-0-upper_percent")).to_have_value("12.5")
    expect(page.locator(".rule-segment-list")).to_contain_text("0–12.5 %: Authorize")


@pytest.fixture
def page_in_portuguese(browser, live_server, settings, request):
    """A browser asking for Brazilian Portuguese (its Accept-Language and its number formats)."""
    with open_page(browser, live_server, settings, request, locale="pt-BR") as page:
        yield page


def test_the_editor_speaks_portuguese_with_its_script(page_in_portuguese, account, owner, rule):
    page = page_in_portuguese
    log_in_on(page, owner)
    page.goto(rule_url("editor", account))

    segments = page.locator("#rule-segment-list")
    expect(segments).to_contain_text("0–10 %: faixa 1, Autorizar")
    expect(segments).to_contain_text("10–30 %: faixa 2, Reter para aprovação")
    expect(page.locator(".rule-segment.is-manual .rule-segment-label")).to_have_text("Aprovação 10–30 %")
    handle = page.get_by_role("slider", name="Limite: fim da faixa 1 e início da faixa 2")
    handle.focus()
    handle.press("ArrowRight")
    expect(page.locator("#id_bands-0-upper_percent")).to_have_value("10.5")
    expect(handle.locator(".rule-handle-value")).to_have_text("10,5 %")
    expect(page.get_by_role("button", name="Adicionar faixa")).to_be_visible()
    page.fill("#rule-preview-at", "12.5")
    expect(page.locator("#rule-preview-result")).to_contain_text(
        "Em 12,5 %: a faixa 10,5–30 % retém o pedido"
    )
    assert page.script_errors == []
