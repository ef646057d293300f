"""The rule editor's drafts in a real browser: leaving unsaved changes asks first; a version restored."""

import re

import pytest
from playwright.sync_api import expect

from authorization.selectors import rule_bands, rule_of
from authorization.services import rule_replace
from tests.factories import band
from tests.support.rule_editor import rule_url, three_band_rule

pytestmark = pytest.mark.browser


@pytest.fixture
def rule(account, owner, approver, second_approver):
    return three_band_rule(account, owner)


@pytest.fixture
def dialogs(page):
    """The dialogs the page opened, by type, each dismissed (a beforeunload one: the page stays)."""
    opened = []

    def dismiss(dialog):
        opened.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", dismiss)
    return opened


def history_link(page):
    return page.locator("#content").get_by_role("link", name="Full history of the rule")


def test_leaving_a_changed_draft_asks_first_and_discarding_goes_back_to_the_saved_rule(
    page, log_in, account, owner, rule, dialogs
):
    log_in(owner)
    editor = rule_url("editor", account)
    page.goto(editor)
    first_end = page.locator("#id_bands-0-upper_percent")
    discard = page.get_by_role("button", name="Discard changes")
    expect(discard).to_be_hidden()

    page.fill("#id_bands-0-upper_percent", "12")
    page.fill("#id_bands-1-lower_percent", "12")
    expect(discard).to_be_visible()
    for link in (history_link(page), page.locator(".breadcrumbs").get_by_role("link", name="Home")):
        with page.expect_event("dialog"):
            link.click()

        assert page.url.endswith(editor)
        expect(first_end).to_have_value("12")
    assert dialogs == ["beforeunload", "beforeunload"]

    discard.click()

    expect(first_end).to_have_value("10")
    expect(discard).to_be_hidden()
    history_link(page).click()
    expect(page.locator("h1")).to_contain_text("History of the price divergence rule")
    assert dialogs == ["beforeunload", "beforeunload"]
    assert [b.upper_percent for b in rule_bands(rule=rule_of(account=account))] == [10, 30, 100]
    assert page.script_errors == []


def test_saving_the_draft_leaves_without_asking(page, log_in, account, owner, rule, dialogs):
    log_in(owner)
    page.goto(rule_url("editor", account))

    page.fill("#id_bands-2-lower_percent", "40")
    page.fill("#id_bands-1-upper_percent", "40")
    page.click("input[name=_save]")

    expect(page.locator(".messagelist")).to_contain_text("The price divergence rule of acme was saved.")
    history_link(page).click()
    expect(page.locator("h1")).to_contain_text("History of the price divergence rule")
    assert dialogs == []
    assert page.script_errors == []


def test_a_refused_draft_shown_again_is_still_unsaved(page, log_in, account, owner, rule, dialogs):
    log_in(owner)
    page.goto(rule_url("editor", account))

    page.fill("#id_bands-2-lower_percent", "20")  # overlaps the band 10–30 %
    page.click("input[name=_save]")

    expect(page.locator(".errornote")).to_be_visible()
    expect(page.locator("#rule-editor")).to_have_class(re.compile(r"\bis-enhanced\b"))  # its script ran
    expect(page.get_by_role("button", name="Discard changes")).to_be_visible()
    with page.expect_event("dialog"):
        history_link(page).click()
    assert dialogs == ["beforeunload"]
    expect(page.locator("#id_bands-2-lower_percent")).to_have_value("20")
    assert page.script_errors == []


def test_an_earlier_version_restored_from_the_history_is_a_draft_until_saved(
    page, log_in, account, owner, rule, dialogs
):
    rule_replace(account=account, bands=[band(0, 5, "authorize"), band(5, 100, "deny")], actor=owner)
    log_in(owner)
    page.goto(rule_url("rule_history", account))

    page.get_by_role("link", name="Restore this version").click()

    expect(page.locator("#rule-restoring")).to_contain_text("Restoring version 1 from ")
    expect(page.locator("#rule-restoring")).to_contain_text(" by owner@acme.example: review and save.")
    expect(page.locator("#id_bands-1-upper_percent")).to_have_value("30")
    expect(page.get_by_role("button", name="Discard changes")).to_be_visible()
    assert [b.upper_percent for b in rule_bands(rule=rule_of(account=account))] == [5, 100]
    page.click("input[name=_save]")

    expect(page.locator(".messagelist")).to_contain_text(
        "The price divergence rule of acme was saved: version 1 restored."
    )
    expect(page.locator(".revision-restored").first).to_have_text("restored version 1")
    assert [b.upper_percent for b in rule_bands(rule=rule_of(account=account))] == [10, 30, 100]
    assert dialogs == []
    assert page.script_errors == []
