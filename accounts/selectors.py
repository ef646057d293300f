"""Reads of accounts and their people, shared by the admin and the APIs."""

import zoneinfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Max, Min, QuerySet

from .backends import account_roles, kept_on_user
from .models import Account, Preferences
from .roles import DECIDING_ROLES, Role


def accounts_for(*, user) -> QuerySet[Account]:
    """Return the accounts the user may see: their memberships, or all for a superuser."""
    if user.is_superuser:
        return Account.objects.all()
    return Account.objects.filter(pk__in=account_roles(user).keys())


def accounts_listed(*, user) -> list[Account]:
    """The accounts of `accounts_for`, read once a request (kept on the user): an admin page asks
    for them from its filters, its permissions and its menu."""
    return kept_on_user(user, "_accounts_listed", lambda: list(accounts_for(user=user)))


def accounts_where(user, perm: str) -> QuerySet[Account]:
    """The user's accounts in which they hold `perm`."""
    if user.is_superuser:
        return accounts_for(user=user)
    return Account.objects.filter(
        pk__in=[account.pk for account in accounts_listed(user=user) if user.has_perm(perm, account)]
    )


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


def language_for(*, user) -> str:
    """The language the user chose for themselves, or "" (none chosen, signed out)."""
    if not getattr(user, "is_authenticated", False):
        return ""
    return kept_on_user(
        user,
        "_language",
        lambda: Preferences.objects.filter(user=user).values_list("language", flat=True).first() or "",
    )


def role_in(*, user, account) -> str | None:
    return account_roles(user).get(account.pk)


def owns(*, user, account) -> bool:
    """Whether the user is an Owner of the account (or the site's operator, a superuser)."""
    return bool(getattr(user, "is_superuser", False)) or role_in(user=user, account=account) == Role.OWNER


def possible_approvers(*, account):
    """Return the users of an account who may stand on a manual band's approver list."""
    return (
        get_user_model()
        .objects.filter(memberships__account=account, memberships__role__in=DECIDING_ROLES, is_active=True)
        .exclude(email="")
        .order_by("email")
    )


def account_owners(*, account_id: int):
    """The active Owners of an account who have an e-mail address."""
    return (
        get_user_model()
        .objects.filter(memberships__account_id=account_id, memberships__role=Role.OWNER, is_active=True)
        .exclude(email="")
        .order_by("email")
    )


def email_normalized(email: str) -> str:
    """The form of an e-mail kept as a user's e-mail and username (their login)."""
    return get_user_model().objects.normalize_email(email.strip()).lower()


def user_by_email(*, email: str):
    """Return the user whose login is this e-mail (any case), or None."""
    return get_user_model().objects.filter(username=email_normalized(email)).first()


def mail_language(*, email: str) -> str:
    """The language to write to a user in: their choice, else their browser's at their last
    sign-in, else the site's own (English)."""
    chosen, browser = (
        Preferences.objects.filter(user__email__iexact=email, user__is_active=True)
        .values_list("language", "browser_language")
        .first()
    ) or ("", "")
    return chosen or browser or settings.LANGUAGE_CODE
