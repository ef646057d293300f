"""The rule editor of the admin: its addresses, and its form as the seller's browser posts it."""

import re

from django.urls import reverse

from authorization.services import rule_replace
from tests.factories import band


def rule_url(view: str, account) -> str:
    """The address of the account's rule `view`: editor, preview, replay, delete_rule or rule_history."""
    return reverse(f"admin:authorization_pricedivergencerule_{view}", kwargs={"account_id": account.pk})


def restore_url(account, revision) -> str:
    """The address that opens `revision`'s version of the account's rule in the editor as a draft."""
    return reverse(
        "admin:authorization_pricedivergencerule_restore",
        kwargs={"account_id": account.pk, "revision_id": revision.pk},
    )


def formset_data(*rows, initial=0):
    """Return the editor's POST data for rows of (from, to, action[, approvers[, minutes]])."""
    data = {
        "bands-TOTAL_FORMS": str(len(rows)),
        "bands-INITIAL_FORMS": str(initial),
        "bands-MIN_NUM_FORMS": "0",
        "bands-MAX_NUM_FORMS": "1000",
    }
    for index, (lower, upper, action, *rest) in enumerate(rows):
        approvers = rest[0] if rest else []
        minutes = rest[1] if len(rest) > 1 else ""
        data.update(
            {
                f"bands-{index}-lower_percent": str(lower),
                f"bands-{index}-upper_percent": str(upper),
                f"bands-{index}-action": action,
                f"bands-{index}-approvers": "\n".join(approvers),
                f"bands-{index}-escalate_after_minutes": str(minutes),
            }
        )
    return data


ANA = "ana@acme.example"
BO = "bo@acme.example"


def three_band_rule(account, actor):
    """Save the rule most editor tests start from: 0–10 % authorize, 10–30 % held for ANA then BO, 30–100 % deny.

    ANA and BO must be approvers of the account (the `approver` and `second_approver` fixtures).
    """
    return rule_replace(
        account=account,
        bands=[band(0, 10, "authorize"), band(10, 30, "manual", [ANA, BO]), band(30, 100, "deny")],
        actor=actor,
    )[0]


# Reading the editor page.


def row_html(html, index):
    found = re.search(rf'<tr class="band-row" data-form-prefix="bands-{index}">(.*?)</tr>', html, re.S)
    assert found, f"no band row {index} on the page"
    return found.group(1)


def cell_html(html, index, field):
    found = re.search(rf'<td class="field-{field}[^"]*">(.*?)</td>', row_html(html, index), re.S)
    assert found, f"no {field} cell in band row {index}"
    return found.group(1)


def input_value(html, name):
    found = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', html)
    assert found, f"no input {name} on the page"
    value = re.search(r'value="([^"]*)"', found.group(0))
    return value.group(1) if value else ""
