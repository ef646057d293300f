"""The price divergence rule editor in the admin, as its users see it (without JavaScript)."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.roles import Role
from accounts.services import membership_remove
from authorization.selectors import rule_bands, rule_of
from authorization.services import rule_replace
from tests.factories import AccountFactory, band, member
from tests.support.rule_editor import cell_html, formset_data, input_value, rule_url

ANA = "ana@acme.example"
BO = "bo@acme.example"


def saved_rule(account, owner):
    return rule_replace(
        account=account,
        bands=[
            band(0, 10, "authorize"),
            band(10, 30, "manual", [ANA, BO]),
            band(30, 100, "deny"),
        ],
        actor=owner,
    )[0]


@pytest.fixture
def approvers(approver, second_approver):
    return approver, second_approver


def test_price_divergence_rules_in_the_admin_index_lead_to_the_editor_of_the_single_account(
    owner_client, account
):
    index = owner_client.get(reverse("admin:index"))
    assert "Price divergence rule" in index.text

    response = owner_client.get(reverse("admin:authorization_pricedivergencerule_changelist"))

    assert response.status_code == 302
    assert response.url == rule_url("editor", account)


def test_user_of_several_accounts_chooses_among_them_with_each_rule_summarised(
    client, account, owner, approvers
):
    saved_rule(account, owner)
    other = AccountFactory(name="initech")
    member(other, Role.VIEWER, owner.email)
    owner.refresh_from_db()
    client.force_login(owner)

    response = client.get(reverse("admin:authorization_pricedivergencerule_changelist"))

    assert response.status_code == 200
    assert rule_url("editor", account) in response.text
    assert rule_url("editor", other) in response.text
    assert "0–10 % authorize · 10–30 % hold for approval · 30–100 % deny" in response.text
    assert "No rule" in response.text


def test_owner_saves_a_rule_and_sees_it(owner_client, account, approvers):
    response = owner_client.post(
        rule_url("editor", account),
        formset_data((0, 5, "authorize"), (5, 20, "manual", [ANA, BO], 60), (20, 100, "deny")),
    )

    assert response.status_code == 302
    page = owner_client.get(response.url).text
    assert "The price divergence rule of acme was saved." in page
    assert input_value(page, "bands-1-lower_percent") == "5"
    assert input_value(page, "bands-1-upper_percent") == "20"
    assert input_value(page, "bands-1-escalate_after_minutes") == "60"
    assert f"{ANA}\n{BO}</textarea>" in cell_html(page, 1, "approvers")
    assert "5–20 %: Hold for approval" in page
    assert [b.upper_percent for b in rule_bands(rule=rule_of(account=account))] == [5, 20, 100]


def test_oms_full_saves_and_a_gap_is_shown_as_not_integrated(client, account, oms_full):
    client.force_login(oms_full)

    response = client.post(
        rule_url("editor", account), formset_data((0, 5, "authorize"), (50, 100, "deny")), follow=True
    )

    assert "The price divergence rule of acme was saved." in response.text
    assert "5–50 %: Not integrated (gap)" in response.text


def test_overlapping_bands_are_shown_next_to_the_band_and_nothing_is_saved(owner_client, account):
    response = owner_client.post(
        rule_url("editor", account), formset_data((0, 10, "authorize"), (5, 20, "deny"))
    )

    assert response.status_code == 200
    assert "The rule was not saved." in response.text
    assert "Overlaps the band 0–10 %." in cell_html(response.text, 1, "lower_percent")
    assert input_value(response.text, "bands-1-lower_percent") == "5"
    assert rule_of(account=account) is None


def test_a_band_ending_before_it_starts_is_refused_inline(owner_client, account):
    response = owner_client.post(rule_url("editor", account), formset_data((20, 10, "authorize")))

    assert "“From” must be lower than “To”." in cell_html(response.text, 0, "upper_percent")
    assert rule_of(account=account) is None


def test_a_percentage_above_100_is_refused_inline(owner_client, account):
    response = owner_client.post(rule_url("editor", account), formset_data((0, 120, "authorize")))

    assert "Ensure this value is less than or equal to 100." in cell_html(response.text, 0, "upper_percent")
    assert rule_of(account=account) is None


def test_manual_band_without_approver_is_refused(owner_client, account, approvers):
    response = owner_client.post(
        rule_url("editor", account), formset_data((0, 10, "authorize"), (10, 100, "manual"))
    )

    assert "A band held for approval needs at least one approver." in cell_html(response.text, 1, "approvers")
    assert rule_of(account=account) is None


def test_approver_who_is_not_a_deciding_user_of_the_account_is_refused(owner_client, account, viewer):
    response = owner_client.post(
        rule_url("editor", account),
        formset_data((0, 100, "manual", ["stranger@else.example", "viewer@acme.example"])),
    )

    assert (
        "Not an approver, Owner or OMS Full user of acme: stranger@else.example, viewer@acme.example."
        in cell_html(response.text, 0, "approvers")
    )
    assert rule_of(account=account) is None


def test_one_approver_saves_with_a_warning(owner_client, account, approver):
    response = owner_client.post(
        rule_url("editor", account), formset_data((0, 20, "manual", [ANA]), (20, 100, "deny")), follow=True
    )

    assert "The price divergence rule of acme was saved." in response.text
    warning = "Only one approver: name a second so orders never wait on one person."
    shown = [str(message) for message in response.context["messages"]]
    assert f"Band 0–20 %: {warning}" in shown
    assert warning in cell_html(response.text, 0, "approvers")
    assert rule_of(account=account) is not None


def test_approvers_are_kept_in_the_order_typed(owner_client, account, approvers):
    owner_client.post(rule_url("editor", account), formset_data((0, 100, "manual", [BO, ANA])))

    assert rule_bands(rule=rule_of(account=account))[0].approvers == (BO, ANA)


def test_ticking_remove_drops_the_band(owner_client, account, owner, approvers):
    saved_rule(account, owner)
    data = formset_data((0, 10, "authorize"), (10, 30, "manual", [ANA, BO]), (30, 100, "deny"), initial=3)
    data["bands-1-DELETE"] = "on"

    response = owner_client.post(rule_url("editor", account), data, follow=True)

    assert "10–30 %: Not integrated (gap)" in response.text
    assert [str(b.action) for b in rule_bands(rule=rule_of(account=account))] == ["authorize", "deny"]


def test_the_empty_row_adds_a_band_and_is_ignored_when_left_empty(owner_client, account, owner, approvers):
    saved_rule(account, owner)
    page = owner_client.get(rule_url("editor", account)).text
    assert input_value(page, "bands-3-lower_percent") == ""

    data = formset_data((0, 10, "authorize"), (10, 30, "deny"), (30, 100, "deny"), initial=3)
    data.update(
        {"bands-TOTAL_FORMS": "4", "bands-3-action": "authorize", "bands-3-escalate_after_minutes": "240"}
    )
    owner_client.post(rule_url("editor", account), data)

    assert len(rule_bands(rule=rule_of(account=account))) == 3


@pytest.mark.parametrize("role_fixture", ["viewer", "approver"])
def test_viewer_and_approver_see_the_rule_read_only(request, client, account, owner, approvers, role_fixture):
    saved_rule(account, owner)
    client.force_login(request.getfixturevalue(role_fixture))

    page = client.get(rule_url("editor", account)).text

    assert "You can read this rule. Owner and OMS Full users of acme edit it." in page
    assert 'name="_save"' not in page
    assert "Delete rules" not in page
    assert re.search(r'<input[^>]*name="bands-0-upper_percent"[^>]*disabled', page)
    assert ANA in cell_html(page, 1, "approvers")
    assert "10–30 %: Hold for approval" in page


@pytest.mark.parametrize("role_fixture", ["viewer", "approver"])
def test_viewer_and_approver_cannot_change_or_delete_the_rule(
    request, client, account, owner, approvers, role_fixture
):
    saved_rule(account, owner)
    before = rule_bands(rule=rule_of(account=account))
    client.force_login(request.getfixturevalue(role_fixture))

    change = client.post(rule_url("editor", account), formset_data((0, 100, "authorize")))
    delete_page = client.get(rule_url("delete_rule", account))
    delete = client.post(rule_url("delete_rule", account))

    assert (change.status_code, delete_page.status_code, delete.status_code) == (403, 403, 403)
    assert rule_bands(rule=rule_of(account=account)) == before


def test_user_of_another_account_cannot_see_the_rule(client, account, owner, approvers, other_account):
    saved_rule(account, owner)
    client.force_login(member(other_account, Role.OWNER, "owner@globex.example"))

    answers = [
        client.get(rule_url("editor", account)).status_code,
        client.post(rule_url("editor", account), formset_data((0, 100, "authorize"))).status_code,
        client.post(rule_url("preview", account), {"at": "5"}).status_code,
        client.get(rule_url("rule_history", account)).status_code,
        client.post(rule_url("delete_rule", account)).status_code,
    ]

    assert answers == [404, 404, 404, 404, 404]
    assert rule_of(account=account) is not None


def test_delete_asks_for_confirmation_then_deletes_and_the_history_shows_it(
    owner_client, account, owner, approvers
):
    saved_rule(account, owner)
    editor = owner_client.get(rule_url("editor", account)).text
    assert rule_url("delete_rule", account) in editor

    confirmation = owner_client.get(rule_url("delete_rule", account))

    assert "This is irreversible" in confirmation.text
    assert "10–30 %: Hold for approval by ana@acme.example, bo@acme.example" in confirmation.text
    assert rule_of(account=account) is not None

    deleted = owner_client.post(rule_url("delete_rule", account), follow=True)

    assert "The price divergence rule of acme was deleted." in deleted.text
    assert "acme has no price divergence rule yet" in deleted.text
    assert rule_of(account=account) is None
    history = owner_client.get(rule_url("rule_history", account)).text
    assert '<td class="revision-change">Deleted</td>' in history
    assert "<del>0–10 %: Authorize</del>" in history


def test_history_shows_who_changed_what_before_and_after(owner_client, account, owner, approvers):
    saved_rule(account, owner)
    owner_client.post(
        rule_url("editor", account),
        formset_data((0, 15, "authorize"), (15, 30, "manual", [ANA, BO]), (30, 100, "deny"), initial=3),
    )

    history = owner_client.get(rule_url("rule_history", account)).text

    assert '<td class="revision-change">Updated</td>' in history
    assert '<td class="revision-change">Created</td>' in history
    assert '<td class="revision-who">owner@acme.example</td>' in history
    assert "<del>0–10 %: Authorize</del>" in history
    assert "<ins>0–15 %: Authorize</ins>" in history
    assert "30–100 %: Deny" in history
    editor = owner_client.get(rule_url("editor", account)).text
    assert "<ins>0–15 %: Authorize</ins>" in editor  # the recent changes under the editor


def test_a_saved_approver_who_left_the_account_is_flagged_on_the_editor(
    owner_client, account, owner, approvers
):
    saved_rule(account, owner)
    membership_remove(membership=approvers[1].memberships.get(account=account))

    page = owner_client.get(rule_url("editor", account)).text

    assert "Not an approver, Owner or OMS Full user of acme: bo@acme.example." in cell_html(
        page, 1, "approvers"
    )


def test_editor_answers_what_happens_at_a_percentage_without_javascript(
    owner_client, account, owner, approvers
):
    saved_rule(account, owner)

    page = owner_client.get(rule_url("editor", account), {"at": "12.5"}).text

    assert (
        "At 12.5 %: the band 10–30 % holds the order for approval by ana@acme.example, "
        "then bo@acme.example (escalating after 240 min)." in page
    )


def preview(client, account, data, at):
    response = client.post(rule_url("preview", account), {**data, "at": at})
    assert response.status_code == 200
    return response.json()


def test_preview_answers_the_outcome_of_the_draft_including_gaps_and_100_percent(
    owner_client, account, approvers
):
    draft = formset_data((0, 10, "authorize"), (10, 20, "manual", [ANA, BO]), (30, 100, "deny"))

    in_manual = preview(owner_client, account, draft, "15")["decision"]
    in_gap = preview(owner_client, account, draft, "25")["decision"]
    at_100 = preview(owner_client, account, draft, "100")["decision"]
    at_0 = preview(owner_client, account, draft, "0")["decision"]

    assert (in_manual["outcome"], in_manual["band"]["form"], in_manual["gap"]) == ("manual", 1, False)
    assert (in_gap["outcome"], in_gap["gap"], in_gap["band"]) == ("deny", True, None)
    assert in_gap["summary"] == "At 25 %: in a gap between bands; the order is not integrated (denied)."
    assert (at_100["outcome"], at_100["band"]["to"], at_100["gap"]) == ("deny", "100", False)
    assert at_0["outcome"] == "no-divergence"


def test_preview_tells_a_divergence_above_the_last_band(owner_client, account):
    answer = preview(owner_client, account, formset_data((0, 90, "authorize")), "95")

    assert answer["decision"]["aboveLastBand"] is True
    assert answer["decision"]["outcome"] == "deny"


def test_preview_reports_each_bands_problems_as_the_draft_is_edited(owner_client, account, approver):
    draft = formset_data((0, 10, "authorize"), (5, 20, "manual", [ANA]), (20, "abc", "deny"))

    answer = preview(owner_client, account, draft, "")

    assert answer["decision"] is None
    assert {
        "level": "error",
        "form": 1,
        "field": "lower_percent",
        "message": "Overlaps the band 0–10 %.",
    } in (answer["errors"])
    assert {"level": "error", "form": 2, "field": "upper_percent", "message": "Enter a number."} in answer[
        "errors"
    ]
    assert [(w["form"], w["field"]) for w in answer["warnings"]] == [(1, "approvers")]


def test_preview_of_a_read_only_user_answers_for_the_saved_rule(client, account, owner, viewer, approvers):
    saved_rule(account, owner)
    client.force_login(viewer)

    answer = preview(client, account, formset_data((0, 100, "authorize")), "50")

    assert answer["decision"]["outcome"] == "deny"
    assert answer["decision"]["band"]["form"] == 2


def test_preview_needs_the_csrf_token_and_a_post(account, owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)

    assert client.post(rule_url("preview", account), {"at": "5"}).status_code == 403
    assert client.get(rule_url("preview", account)).status_code == 405


def test_the_admins_default_rule_page_leads_to_the_editor(owner_client, account, owner, approvers):
    rule = saved_rule(account, owner)

    response = owner_client.get(reverse("admin:authorization_pricedivergencerule_change", args=[rule.pk]))

    assert response.status_code == 302
    assert response.url == rule_url("editor", account)


def test_two_editors_at_once_the_second_save_is_refused_with_who_changed_it_and_the_draft_kept(
    client, account, owner, oms_full, approvers
):
    saved_rule(account, owner)
    first, second = Client(), Client()
    first.force_login(owner)
    second.force_login(oms_full)
    based_on_first = input_value(first.get(rule_url("editor", account)).text, "based_on")
    based_on_second = input_value(second.get(rule_url("editor", account)).text, "based_on")
    assert based_on_first == based_on_second

    saved = first.post(
        rule_url("editor", account),
        {**formset_data((0, 5, "authorize"), (5, 100, "deny")), "based_on": based_on_first},
    )
    assert saved.status_code == 302

    refused = second.post(
        rule_url("editor", account),
        {**formset_data((0, 50, "authorize"), (50, 100, "deny")), "based_on": based_on_second},
    )

    assert refused.status_code == 200
    assert "The rule was changed by owner@acme.example at " in refused.text
    assert "nothing was saved" in refused.text
    assert input_value(refused.text, "bands-0-upper_percent") == "50"  # the draft is not lost
    assert [b.upper_percent for b in rule_bands(rule=rule_of(account=account))] == [5, 100]

    # Having seen the other change, saving again replaces it knowingly.
    again = second.post(
        rule_url("editor", account),
        {
            **formset_data((0, 50, "authorize"), (50, 100, "deny")),
            "based_on": input_value(refused.text, "based_on"),
        },
    )
    assert again.status_code == 302
    assert [b.upper_percent for b in rule_bands(rule=rule_of(account=account))] == [50, 100]


def test_an_invalid_draft_shown_again_keeps_the_version_it_was_based_on(
    owner_client, account, owner, approvers
):
    saved_rule(account, owner)
    based_on = input_value(owner_client.get(rule_url("editor", account)).text, "based_on")
    rule_replace(account=account, bands=[band(0, 100, "authorize")], actor=owner)  # someone else meanwhile

    invalid = owner_client.post(
        rule_url("editor", account),
        {**formset_data((0, 60, "authorize"), (50, 100, "deny")), "based_on": based_on},
    )
    assert invalid.status_code == 200
    assert input_value(invalid.text, "based_on") == based_on

    fixed = owner_client.post(
        rule_url("editor", account),
        {**formset_data((0, 50, "authorize"), (50, 100, "deny")), "based_on": based_on},
    )
    assert "The rule was changed by owner@acme.example" in fixed.text
    assert [b.upper_percent for b in rule_bands(rule=rule_of(account=account))] == [100]


def test_deleting_a_rule_changed_since_the_confirmation_page_deletes_nothing(
    owner_client, account, owner, approvers
):
    saved_rule(account, owner)
    confirmation = owner_client.get(rule_url("delete_rule", account)).text
    rule_replace(account=account, bands=[band(0, 100, "authorize")], actor=owner)

    response = owner_client.post(
        rule_url("delete_rule", account), {"based_on": input_value(confirmation, "based_on")}, follow=True
    )

    assert "The rule was changed by owner@acme.example" in response.text
    assert rule_of(account=account) is not None
