"""Reads shared by the admin and the API."""

import zoneinfo

from django.contrib.auth import get_user_model
from django.db.models import Max, Min, QuerySet

from .backends import account_roles
from .decision import Band, BandAction
from .models import Account, PriceDivergenceRule
from .roles import DECIDING_ROLES


def accounts_for(*, user) -> QuerySet[Account]:
    """Return the accounts the user may see: their memberships, or all for a superuser."""
    if user.is_superuser:
        return Account.objects.all()
    return Account.objects.filter(pk__in=account_roles(user).keys())


def time_zone_for(*, user) -> zoneinfo.ZoneInfo | None:
    """The time zone all the user's accounts share, or None: signed out, no account, several zones."""
    if not getattr(user, "is_authenticated", False):
        return None
    # One row, whatever the number of accounts: the zones are all one when the least is the greatest.
    zones = accounts_for(user=user).aggregate(least=Min("time_zone"), greatest=Max("time_zone"))
    if zones["least"] is None or zones["least"] != zones["greatest"]:
        return None
    try:
        return zoneinfo.ZoneInfo(zones["least"])
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def role_in(*, user, account) -> str | None:
    return account_roles(user).get(account.pk)


def rule_of(*, account) -> PriceDivergenceRule | None:
    return (
        PriceDivergenceRule.objects.filter(account=account)
        .select_related("updated_by")
        .prefetch_related("bands")
        .first()
    )


BAND_FIELDS = ("lower_percent", "upper_percent", "action", "approvers", "escalate_after_minutes")


def _band(lower_percent, upper_percent, action, approvers, escalate_after_minutes) -> Band:
    return Band(
        lower_percent=lower_percent,
        upper_percent=upper_percent,
        action=BandAction(action),
        approvers=tuple(approvers),
        escalate_after_minutes=escalate_after_minutes,
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


def possible_approvers(*, account):
    """Return the users of an account who may stand on a manual band's approver list."""
    return (
        get_user_model()
        .objects.filter(memberships__account=account, memberships__role__in=DECIDING_ROLES, is_active=True)
        .exclude(email="")
        .order_by("email")
    )


def email_normalized(email: str) -> str:
    """The form of an e-mail kept as a user's e-mail and username (their login)."""
    return get_user_model().objects.normalize_email(email.strip()).lower()


def user_by_email(*, email: str):
    """Return the user whose login is this e-mail (any case), or None."""
    return get_user_model().objects.filter(username=email_normalized(email)).first()
