"""Writes to accounts, users, memberships and API tokens."""

import hashlib
import logging
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kit.enqueue import enqueue_on_commit
from kit.errors import DomainError
from kit.money import DEFAULT_CURRENCY

from .models import Account, ApiToken, MemberNotice, Membership, Preferences
from .roles import GROUPS, Role
from .selectors import email_normalized, owns, user_by_email
from .tasks import notify_member_added

logger = logging.getLogger(__name__)


def account_create(
    *,
    name: str,
    parent: Account | None = None,
    order_prefix: str = "",
    currency: str = DEFAULT_CURRENCY,
    time_zone: str | None = None,
) -> Account:
    account = Account(name=name, parent=parent, order_prefix=order_prefix, currency=currency)
    if time_zone is not None:
        account.time_zone = time_zone
    account.full_clean()
    account.save()
    return account


def sync_role_groups_of(*, user) -> None:
    """Put the user in exactly the groups of the roles they hold in any account.

    The groups only open the admin's modules; what the user may do to a row is decided by
    their role in its account (`AccountRoleBackend`), so a role in one account grants nothing
    in another.
    """
    names = {GROUPS[role] for role in user.memberships.values_list("role", flat=True)}
    user.groups.set(Group.objects.filter(name__in=names))
    user.__dict__.pop("_account_roles", None)
    for cache in ("_perm_cache", "_group_perm_cache", "_user_perm_cache"):
        user.__dict__.pop(cache, None)


def membership_set(*, user, account: Account, role: str) -> Membership:
    """Give the user `role` in `account` (creating or changing the membership).

    Of the user, only what follows from memberships changes: `is_staff` (a member signs in
    to the admin) and the role groups.
    """
    # A block, not the decorator: mutation testing (bin/mutate) skips decorated functions.
    with transaction.atomic():
        membership, _ = Membership.objects.update_or_create(
            user=user, account=account, defaults={"role": Role(role)}
        )
        if not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        sync_role_groups_of(user=user)
        return membership


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    user = membership.user
    membership.delete()
    sync_role_groups_of(user=user)


class TeamError(DomainError):
    """A team change that cannot be made; `field` names the form field it is about, if any."""

    code = "invalid"
    status = 400


class UserExists(TeamError):
    pass


def user_create(*, email: str, password: str | None, actor=None):
    """Create a user whose e-mail is also their login; raise `UserExists` when the e-mail is taken.

    Without a password the user cannot sign in until one is set. `actor` is who created them
    (None for the server's operator).
    """
    email = email_normalized(email)
    user = get_user_model()(username=email, email=email, is_staff=True)
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise UserExists(_("A user with the e-mail %(email)s already exists.") % {"email": email}) from None
    logger.info("User %s created by %s", email, getattr(actor, "email", None) or "the operator")
    return user


def user_password_set_by_operator(*, user, password: str) -> None:
    """Set a user's password, for the server's operator (management commands) only.

    No screen or API calls this: a user's password is changed by that user (the admin's own
    password change) or by a site superuser (the user admin), never by managing a team.
    """
    user.set_password(password)
    user.save(update_fields=["password"])


def member_add(*, email: str, account: Account, role: str, actor, initial_password: str | None = None):
    """Add the person with this e-mail to `account`; return the new membership.

    A new e-mail becomes a new user with `initial_password`. An existing user is not changed
    (beyond what follows from memberships): a password given for them raises `UserExists`
    and nothing is saved, as does an e-mail already a member of the account (`TeamError`).
    The member is told by e-mail, after commit, who added them.
    """
    # A block, not the decorator: mutation testing (bin/mutate) skips decorated functions.
    with transaction.atomic():
        user = user_by_email(email=email)
        notice = MemberNotice.ADDED
        if user is None:
            user = user_create(email=email, password=initial_password, actor=actor)
            notice = MemberNotice.CREATED
        elif initial_password is not None:
            raise UserExists(
                _("%(email)s already has a user; they keep their own password. Leave the password empty.")
                % {"email": user.email},
                field="initial_password",
            )
        if Membership.objects.filter(user=user, account=account).exists():
            raise TeamError(
                _("%(email)s is already a member of %(account)s.")
                % {"email": user.email, "account": account},
                field="email",
            )
        membership = membership_set(user=user, account=account, role=role)
        Membership.objects.filter(pk=membership.pk).update(added_by=actor, notice_pending=notice)
        membership.added_by, membership.notice_pending = actor, notice
        enqueue_on_commit(notify_member_added, membership.pk)
        return membership


class OwnersOnly(DomainError):
    code = "permission_denied"
    status = 403


def email_decisions_set(*, account: Account, enabled: bool, actor) -> Account:
    """Turn one-click decisions from the e-mail on or off for the account; only its Owner may.

    Turning them off voids every link already sent: a link is honoured only while its account
    has them on.
    """
    if not owns(user=actor, account=account):
        raise OwnersOnly(
            _("Only an Owner of %(account)s may turn decisions from the e-mail on or off.")
            % {"account": account.name}
        )
    Account.objects.filter(pk=account.pk).update(email_decisions=enabled)
    account.email_decisions = enabled
    logger.info("Decisions from the e-mail %s for %s by %s", "on" if enabled else "off", account, actor.email)
    return account


class NotYourPreferences(DomainError):
    code = "forbidden"
    status = 403


def language_set(*, user, language: str, actor) -> Preferences:
    """Set the language the admin and e-mails speak to `user` ("" for the browser's).

    A user sets their own; `actor` None is the server's operator (`create_user --language`).
    No one else may, an Owner included: it is the user's own row, like their password.
    """
    if actor is not None and actor.pk != user.pk:
        raise NotYourPreferences(_("Only %(email)s may choose their language.") % {"email": user.email})
    if language not in {"", *(code for code, _name in settings.LANGUAGES)}:
        raise TeamError(
            _("“%(language)s” is not a language of this site.") % {"language": language}, field="language"
        )
    preferences, _created = Preferences.objects.update_or_create(user=user, defaults={"language": language})
    return preferences


def browser_language_note(*, user, language: str) -> None:
    """Remember the language `user`'s browser asked for as they signed in: e-mails, which answer no
    request, speak it while they choose none. Called for the user signing in, never for another."""
    if language not in {code for code, _name in settings.LANGUAGES}:
        return
    if (
        Preferences.objects.filter(user=user)
        .exclude(browser_language=language)
        .update(browser_language=language)
    ):
        return
    Preferences.objects.get_or_create(user=user, defaults={"browser_language": language})


def token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def token_issue(*, user) -> str:
    """Issue a new API token for the user, replacing any earlier one; return it (shown once)."""
    key = secrets.token_urlsafe(32)
    ApiToken.objects.update_or_create(user=user, defaults={"key_digest": token_digest(key)})
    return key
