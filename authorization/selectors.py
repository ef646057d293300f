"""Reads of the price divergence rule, shared by the admin, the API and processing."""

from django.utils.translation import gettext as _

from kit.numbers import percent_range

from .decision import Band, BandAction, OnDeadline
from .models import PriceDivergenceRule


def rule_of(*, account) -> PriceDivergenceRule | None:
    return (
        PriceDivergenceRule.objects.filter(account=account)
        .select_related("updated_by")
        .prefetch_related("bands")
        .first()
    )


BAND_FIELDS = (
    "lower_percent",
    "upper_percent",
    "action",
    "approvers",
    "escalate_after_minutes",
    "on_deadline",
    "deadline_minutes",
    "approve_up_to_cents",
)


def _band(
    lower_percent,
    upper_percent,
    action,
    approvers,
    escalate_after_minutes,
    on_deadline,
    deadline_minutes,
    approve_up_to_cents,
) -> Band:
    return Band(
        lower_percent=lower_percent,
        upper_percent=upper_percent,
        action=BandAction(action),
        approvers=tuple(approvers),
        escalate_after_minutes=escalate_after_minutes,
        on_deadline=OnDeadline(on_deadline),
        deadline_minutes=deadline_minutes,
        approve_up_to_cents=approve_up_to_cents,
    )


def rule_bands(*, rule: PriceDivergenceRule | None) -> list[Band]:
    """Return the rule's bands as the pure decision function takes them."""
    if rule is None:
        return []
    return [_band(*(getattr(band, name) for name in BAND_FIELDS)) for band in rule.bands.all()]


def account_bands(*, account) -> list[Band] | None:
    """Return the bands of the account's rule in one query, or None when the account has no rule.

    For processing, which decides every order: `rule_of` and `rule_bands` take two queries.
    """
    rows = (
        PriceDivergenceRule.objects.filter(account=account)
        .order_by("bands__lower_percent")
        .values_list(*(f"bands__{name}" for name in BAND_FIELDS))
    )
    bands = list(rows)
    if not bands:
        return None
    return [_band(*row) for row in bands if row[0] is not None]  # a rule without bands: one empty row


def bands_left_without_approver(sender, *, account, email: str, away: frozenset[str], **kwargs) -> list[str]:
    """Answer `accounts.absences.absence_uncovered`: the manual bands of the account's rule on
    which the absent approver stands and every other approver would be away too."""
    reasons = []
    for band in account_bands(account=account) or []:
        approvers = {approver.lower() for approver in band.approvers}
        if band.action == BandAction.MANUAL and email in approvers and approvers <= away:
            reasons.append(
                _("%(who)s is the only approver left of the band %(band)s of the rule.")
                % {"who": email, "band": percent_range(band.lower_percent, band.upper_percent, 2)}
            )
    return reasons
