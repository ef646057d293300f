"""Writes to accounts, users, memberships, API tokens and the price divergence rule."""

import hashlib
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kit.enqueue import enqueue_on_commit
from kit.errors import DomainError

from .decision import Band, BandProblem, band_problems_listed, check_bands
from .models import (
    Account,
    ApiToken,
    AuthorizationBand,
    MemberNotice,
    Membership,
    PriceDivergenceRule,
    RuleRevision,
)
from .roles import Role
from .selectors import email_normalized, possible_approvers, rule_bands, rule_of, user_by_email
from .signals import rule_saved
from .tasks import notify_member_added

logger = logging.getLogger(__name__)


class RuleInvalid(DomainError):
    """A draft rule that cannot be saved; `problems` and `warnings` are `BandProblem`s."""

    code = "invalid"
    status = 400

    def __init__(self, problems: list[BandProblem], warnings: list[BandProblem]):
        super().__init__(_("The rule has errors; nothing was saved."))
        self.problems = problems
        self.warnings = warnings

    @property
    def errors(self) -> list[dict]:
        return band_problems_listed(self.problems)

    def details(self) -> dict:
        return {"warnings": band_problems_listed(self.warnings)}


class RuleChanged(DomainError):
    """Someone changed the rule after the version a draft was based on; nothing was saved.

    `revision` is the newest change (who, when, the bands after it), or None when the rule
    the draft was based on has since been deleted without a trace in the history.
    """

    code = "rule_changed"
    status = 412

    def __init__(self, revision: RuleRevision | None):
        who = (revision.actor.email if revision and revision.actor else None) or "someone"
        when = ""
        if revision:
            local = revision.created_at.astimezone(ZoneInfo(revision.account.time_zone))
            when = f" at {local:%Y-%m-%d %H:%M} ({revision.account.time_zone})"
        super().__init__(
            _("The rule was changed by %(who)s%(when)s after you opened it; nothing was saved.")
            % {"who": who, "when": when}
        )
        self.revision = revision


def rule_version(*, account: Account) -> int:
    """The version of the account's rule: its newest revision's number, 0 before the first.

    A save that names the version its draft was based on (`based_on`) is refused with
    `RuleChanged` when the rule has changed since, so two editors never overwrite each other
    unknowingly.
    """
    return account.rule_revisions.order_by("-pk").values_list("pk", flat=True).first() or 0


def _check_based_on(account: Account, based_on: int | None) -> None:
    """Under the account's row lock: refuse a draft based on an older version of the rule."""
    if based_on is not None and rule_version(account=account) != based_on:
        raise RuleChanged(account.rule_revisions.select_related("actor", "account").order_by("-pk").first())


@dataclass
class RuleCheck:
    errors: list[BandProblem] = field(default_factory=list)
    warnings: list[BandProblem] = field(default_factory=list)


def account_create(*, name: str, parent: Account | None = None, order_prefix: str = "") -> Account:
    account = Account(name=name, parent=parent, order_prefix=order_prefix)
    account.full_clean()
    account.save()
    return account


def sync_role_groups_of(*, user) -> None:
    """Put the user in exactly the groups of the roles they hold in any account.

    The groups only open the admin's modules; what the user may do to a row is decided by
    their role in its account (`AccountRoleBackend`), so a role in one account grants nothing
    in another.
    """
    labels = {Role(role).label for role in user.memberships.values_list("role", flat=True)}
    user.groups.set(Group.objects.filter(name__in=labels))
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


def token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def token_issue(*, user) -> str:
    """Issue a new API token for the user, replacing any earlier one; return it (shown once)."""
    key = secrets.token_urlsafe(32)
    ApiToken.objects.update_or_create(user=user, defaults={"key_digest": token_digest(key)})
    return key


def rule_check(*, account: Account, bands: Sequence[Band]) -> RuleCheck:
    """Check a draft rule: the pure band checks, then that approvers may approve in the account."""
    errors, warnings = check_bands(bands)
    allowed = {email.lower() for email in possible_approvers(account=account).values_list("email", flat=True)}
    for index, band in enumerate(bands):
        unknown = [email for email in band.approvers if email.lower() not in allowed]
        if unknown:
            errors.append(
                BandProblem(
                    f"Not an approver, owner or OMS Full user of {account.name}: {', '.join(unknown)}.",
                    index,
                    "approvers",
                )
            )
    return RuleCheck(errors=errors, warnings=warnings)


def _band_rows(bands: Sequence[Band]) -> list[dict]:
    return [band.as_dict() for band in sorted(bands, key=lambda band: band.lower_percent)]


@transaction.atomic
def rule_replace(
    *, account: Account, bands: Sequence[Band], actor, based_on: int | None = None
) -> tuple[PriceDivergenceRule, list[BandProblem]]:
    """Replace the account's rule with `bands`; return the rule and the warnings.

    Raises `RuleInvalid` and changes nothing when the draft has errors, and `RuleChanged`
    when `based_on` (a `rule_version`) is given and the rule has changed since. Every change
    is kept as a `RuleRevision` with the bands before and after.
    """
    bands = [
        Band(
            lower_percent=band.lower_percent,
            upper_percent=band.upper_percent,
            action=band.action,
            approvers=tuple(email.strip().lower() for email in band.approvers),
            escalate_after_minutes=band.escalate_after_minutes,
        )
        for band in bands
    ]
    check = rule_check(account=account, bands=bands)
    if check.errors:
        raise RuleInvalid(check.errors, check.warnings)
    Account.objects.select_for_update().filter(pk=account.pk).first()
    _check_based_on(account, based_on)
    rule = rule_of(account=account)
    before = _band_rows(rule_bands(rule=rule))
    after = _band_rows(bands)
    if rule is None:
        rule = PriceDivergenceRule.objects.create(account=account, updated_by=actor)
        change = RuleRevision.Change.CREATED
    else:
        rule.updated_by = actor
        rule.save(update_fields=["updated_by", "updated_at"])
        rule.bands.all().delete()
        change = RuleRevision.Change.UPDATED
    AuthorizationBand.objects.bulk_create(
        AuthorizationBand(
            rule=rule,
            lower_percent=band.lower_percent,
            upper_percent=band.upper_percent,
            action=band.action,
            approvers=list(band.approvers),
            escalate_after_minutes=band.escalate_after_minutes,
        )
        for band in sorted(bands, key=lambda band: band.lower_percent)
    )
    if before != after or change == RuleRevision.Change.CREATED:
        RuleRevision.objects.create(
            account=account, change=change, actor=actor, bands_before=before, bands_after=after
        )
    rule_saved.send(sender=PriceDivergenceRule, account=account)
    return rule, check.warnings


@transaction.atomic
def rule_delete(*, account: Account, actor, based_on: int | None = None) -> bool:
    """Delete the account's rule, for good; return False when there was none.

    Raises `RuleChanged` when `based_on` is given and the rule has changed since.
    """
    Account.objects.select_for_update().filter(pk=account.pk).first()
    _check_based_on(account, based_on)
    rule = rule_of(account=account)
    if rule is None:
        return False
    before = _band_rows(rule_bands(rule=rule))
    rule.delete()
    RuleRevision.objects.create(
        account=account,
        change=RuleRevision.Change.DELETED,
        actor=actor,
        bands_before=before,
        bands_after=[],
    )
    return True
