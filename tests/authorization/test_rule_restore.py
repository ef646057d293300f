"""Restoring an earlier version of the rule from its history, as its editors see it (without JavaScript)."""

import re

import pytest

from accounts.roles import Role
from authorization.models import RuleRevision
from authorization.selectors import rule_bands, rule_of
from authorization.services import rule_delete, rule_replace
from tests.factories import band, member
from tests.support.rule_editor import formset_data, input_value, restore_url, rule_url, three_band_rule

RESTORE = "Restore this version"


def upper_ends(account):
    return [b.upper_percent for b in rule_bands(rule=rule_of(account=account))]


@pytest.fixture
def versions(account, owner, oms_full, approver, second_approver):
    """Version 1 by the owner (three bands), then version 2 by the OMS Full user (two)."""
    three_band_rule(account, owner)
    rule_replace(account=account, bands=[band(0, 5, "authorize"), band(5, 100, "deny")], actor=oms_full)
    return list(RuleRevision.objects.filter(account=account).order_by("pk"))


def restored_draft(page):
    """The posted form of a restore page, as the editor's Save button sends it."""
    rows = int(input_value(page, "bands-TOTAL_FORMS"))
    data = {
        name: input_value(page, name)
        for name in ("bands-TOTAL_FORMS", "bands-INITIAL_FORMS", "based_on", "restored_from")
    }
    for index in range(rows):
        for field in ("lower_percent", "upper_percent", "escalate_after_minutes"):
            data[f"bands-{index}-{field}"] = input_value(page, f"bands-{index}-{field}")
        chosen = re.search(
            rf'<select[^>]*name="bands-{index}-action".*?<option value="(\w+)"[^>]*selected', page, re.S
        )
        data[f"bands-{index}-action"] = chosen.group(1) if chosen else ""
        approvers = re.search(
            rf'<textarea[^>]*name="bands-{index}-approvers"[^>]*>(.*?)</textarea>', page, re.S
        )
        data[f"bands-{index}-approvers"] = approvers.group(1).strip() if approvers else ""
    return data


def test_the_history_offers_each_earlier_version_and_restoring_one_opens_it_as_a_draft(
    owner_client, account, versions
):
    first, newest = versions
    history = owner_client.get(rule_url("rule_history", account)).text
    assert history.count(RESTORE) == 1
    assert f'href="{restore_url(account, first)}"' in history
    assert restore_url(account, newest) not in history  # the rule as it is now

    page = owner_client.get(restore_url(account, first)).text

    assert re.search(r"Restoring version 1 from .+ by owner@acme\.example: review and save\.", page), (
        "no restoring note"
    )
    assert [input_value(page, f"bands-{index}-upper_percent") for index in range(3)] == ["10", "30", "100"]
    assert upper_ends(account) == [5, 100]  # nothing saved yet


def test_saving_a_restored_version_brings_its_bands_back_and_the_history_says_so(
    owner_client, account, versions
):
    page = owner_client.get(restore_url(account, versions[0])).text

    saved = owner_client.post(rule_url("editor", account), restored_draft(page), follow=True)

    assert "The price divergence rule of acme was saved: version 1 restored." in saved.text
    assert upper_ends(account) == [10, 30, 100]
    newest = RuleRevision.objects.filter(account=account).order_by("-pk").first()
    assert newest.restored_from == versions[0]
    history = owner_client.get(rule_url("rule_history", account)).text
    assert re.search(
        r'<td class="revision-change">Updated<span class="revision-restored">restored version 1', history
    )


def test_a_restored_draft_based_on_a_version_someone_changed_since_is_refused(
    owner_client, account, owner, versions
):
    page = owner_client.get(restore_url(account, versions[0])).text
    rule_replace(account=account, bands=[band(0, 100, "authorize")], actor=owner)  # someone, meanwhile

    refused = owner_client.post(rule_url("editor", account), restored_draft(page))

    assert refused.status_code == 200
    assert "The rule was changed by owner@acme.example at " in refused.text
    assert "nothing was saved" in refused.text
    assert "Restoring version 1 from " in refused.text
    assert input_value(refused.text, "bands-1-upper_percent") == "30"  # the draft is kept
    assert upper_ends(account) == [100]


@pytest.mark.parametrize("role_fixture", ["viewer", "approver"])
def test_who_may_not_edit_the_rule_may_not_restore_it(
    request, client, account, owner, versions, role_fixture
):
    client.force_login(request.getfixturevalue(role_fixture))
    history = client.get(rule_url("rule_history", account))
    page_of_owner = client.get(restore_url(account, versions[0]))
    save = client.post(
        rule_url("editor", account),
        {**formset_data((0, 10, "authorize"), (10, 100, "deny")), "restored_from": str(versions[0].pk)},
    )

    assert history.status_code == 200
    assert RESTORE not in history.text
    assert (page_of_owner.status_code, save.status_code) == (403, 403)
    assert upper_ends(account) == [5, 100]


def test_a_version_of_another_account_cannot_be_restored(
    owner_client, account, owner, versions, other_account
):
    other_owner = member(other_account, Role.OWNER, "owner@globex.example")
    rule_replace(
        account=other_account, bands=[band(0, 50, "authorize"), band(50, 100, "deny")], actor=other_owner
    )
    theirs = RuleRevision.objects.get(account=other_account)

    page = owner_client.get(restore_url(account, theirs))
    save = owner_client.post(
        rule_url("editor", account),
        {**formset_data((0, 50, "authorize"), (50, 100, "deny")), "restored_from": str(theirs.pk)},
    )
    their_page = owner_client.get(restore_url(other_account, theirs))

    assert (page.status_code, save.status_code, their_page.status_code) == (404, 404, 404)
    assert upper_ends(account) == [5, 100]


def test_the_deleted_rule_is_no_version_to_restore(owner_client, account, owner, versions):
    rule_delete(account=account, actor=owner)
    deleted = RuleRevision.objects.filter(account=account).order_by("-pk").first()
    history = owner_client.get(rule_url("rule_history", account)).text
    assert history.count(RESTORE) == 2  # both versions with bands: no rule is in force now

    answer = owner_client.get(restore_url(account, deleted), follow=True)

    assert "Version 3 deleted the rule: it has no bands to restore." in answer.text
    assert rule_of(account=account) is None
