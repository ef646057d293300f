"""The rule editor of the admin: its addresses, and its form as the seller's browser posts it."""

from django.urls import reverse


def rule_url(view: str, account) -> str:
    """The address of the account's rule `view`: editor, preview, replay, delete_rule or rule_history."""
    return reverse(f"admin:authorization_pricedivergencerule_{view}", kwargs={"account_id": account.pk})


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
