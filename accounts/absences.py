"""Out of office: who is away from an account, and whose turn in a chain passes to whom meanwhile.

An absence names a member of one account, from when until when, and a substitute: while it is in
force the absent approver's turn passes to the substitute, who may decide what the absent one
could (`orders.approvals.may_decide`). A substitute may be away too; the turn then follows their
own substitute, and so on. Setting an absence refuses what would make that chain a loop, and an
absence without a substitute that would leave a band or a waiting order with no approver: the
apps that know those (the rule, the orders) answer `absence_uncovered`.

Setting an absence replaces every other absence of the same person in the same account that
overlaps it (an absence is changed by setting it again).
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from kit.errors import DomainError

from .backends import account_roles, kept_on_user
from .models import Absence, Account, Membership
from .roles import DECIDING_ROLES, SET_ABSENCE

# Sent before an absence without a substitute is set, with `account`, `email` (the absent one),
# `away` (every e-mail whose turn would pass to nobody at some time of the absence, theirs too),
# `starts_at` and `ends_at`. Each receiver returns the sentences saying what would be left with
# no approver, or none.
absence_uncovered = Signal()


class AbsenceRefused(DomainError):
    code = "absence_refused"
    status = 400


class AbsenceConflict(AbsenceRefused):
    """Refused by the account as it is now (its members, its rule, its waiting orders, others'
    absences), not by the request's own values: the same request may be taken another day."""

    status = 409


class AbsenceForbidden(AbsenceRefused):
    code = "permission_denied"
    status = 403


# Reads ----------------------------------------------------------------------------------------


def _in_force(at: datetime) -> Q:
    return Q(starts_at__lte=at, ends_at__gt=at)


def absence_in_force(*, account_id: int, email: str, at: datetime) -> Absence | None:
    """The absence of this approver from this account at `at`, or None when they are in."""
    return (
        Absence.objects.select_related("user", "substitute")
        .filter(_in_force(at), account_id=account_id, user__email__iexact=email.strip())
        .order_by("starts_at", "pk")
        .first()
    )


def _away(queryset) -> dict[int, dict[str, str | None]]:
    """{account id: {absent e-mail: substitute's e-mail, or None}} of the absences given."""
    away = defaultdict(dict)
    for account_id, email, substitute in queryset.values_list(
        "account_id", "user__email", "substitute__email"
    ):
        away[account_id][email.lower()] = substitute.lower() if substitute else None
    return away


def _follow(away: dict[str, str | None], email: str) -> str | None:
    seen = set()
    while email in away and email not in seen:
        seen.add(email)
        email = away[email]
        if email is None:
            return None
    return None if email in seen else email


def covering_for(*, account_id: int, email: str, at: datetime) -> str | None:
    """Whose turn an approver's is at `at`: theirs when they are in, else their substitute's (or
    that one's substitute's, when away too); None when they are away without a substitute."""
    return turn_takers(account_ids=[account_id], at=at)(account_id, email)


def turn_takers(*, account_ids, at: datetime) -> Callable[[int, str], str | None]:
    """`covering_for` of these accounts at `at`, read in one query: a function of (account id, e-mail)."""
    away = _away(Absence.objects.filter(_in_force(at), account_id__in=set(account_ids)))
    return lambda account_id, email: _follow(away[account_id], email.strip().lower())


@dataclass(frozen=True)
class Turn:
    """One approver of a chain at a moment: away or in, and who takes their turn (None: nobody)."""

    email: str
    absence: Absence | None
    taker: str | None


def chain_turns(*, account_id: int, emails, at: datetime) -> list[Turn]:
    """Each approver of a chain at `at`, in one query: their absence in force and whose their turn is."""
    absences = {
        absence.user.email.lower(): absence
        for absence in Absence.objects.select_related("user", "substitute")
        .filter(_in_force(at), account_id=account_id)
        .order_by("-starts_at")
    }
    away = {
        email: (absence.substitute.email.lower() if absence.substitute else None)
        for email, absence in absences.items()
    }
    return [Turn(email, absences.get(email.lower()), _follow(away, email.lower())) for email in emails]


def covered_by(*, user, at: datetime | None = None) -> dict[int, frozenset[str]]:
    """{account id: the e-mails of the approvers away whose turn the user takes} at `at` (now).

    Directly or through a chain of substitutes. One query, kept on the user for the request
    when asked of now, as the user's roles are (`accounts.backends.account_roles`).
    """
    email = (getattr(user, "email", "") or "").strip().lower()
    if not email or not getattr(user, "is_authenticated", False):
        return {}
    if at is None:
        return kept_on_user(user, "_covered", lambda: _covered(user, email, timezone.now()))
    return _covered(user, email, at)


def _covered(user, email: str, at: datetime) -> dict[int, frozenset[str]]:
    absences = Absence.objects.filter(_in_force(at), substitute__isnull=False)
    if not user.is_superuser:
        absences = absences.filter(account__in=sorted(account_roles(user)))
    covered = {}
    for account_id, away in _away(absences).items():
        mine = frozenset(absent for absent in away if _reaches(away, absent, email))
        if mine:
            covered[account_id] = mine
    return covered


def _reaches(away: dict[str, str | None], start: str, email: str) -> bool:
    """Whether the chain of substitutes from `start` passes through `email`."""
    seen = {start}
    current = away.get(start)
    while current is not None and current not in seen:
        if current == email:
            return True
        seen.add(current)
        current = away.get(current)
    return False


def absences_of(*, account, user=None):
    """The account's absences (of one member, if given) that have not ended, soonest first."""
    queryset = Absence.objects.filter(account=account, ends_at__gt=timezone.now()).select_related(
        "user", "substitute", "account"
    )
    if user is not None:
        queryset = queryset.filter(user=user)
    return queryset.order_by("starts_at", "pk")


def absence_current(*, account, user) -> Absence | None:
    """The member's absence in force, else their next one; None when none is to come."""
    return absences_of(account=account, user=user).first()


# Writes ---------------------------------------------------------------------------------------


def _check_may_set(*, actor, absence: Absence) -> None:
    if not actor.has_perm(SET_ABSENCE, absence):
        raise AbsenceForbidden(
            _("Only %(who)s or the Owner of %(account)s may set or end their absence.")
            % {"who": absence.user.email, "account": absence.account.name}
        )


def _deciding_member(*, account: Account, user) -> bool:
    return Membership.objects.filter(
        account=account, user=user, role__in=DECIDING_ROLES, user__is_active=True
    ).exists()


def substitute_named(*, account: Account, email: str | None):
    """The member of the account an e-mail names as a substitute; None for none named."""
    if not email:
        return None
    membership = (
        Membership.objects.select_related("user")
        .filter(account=account, user__email__iexact=email.strip())
        .first()
    )
    if membership is None:
        raise AbsenceConflict(
            _("%(who)s may not decide orders of %(account)s, so they cannot substitute.")
            % {"who": email.strip(), "account": account.name},
            field="substitute",
        )
    return membership.user


def _overlapping(*, account, starts_at, ends_at):
    return Absence.objects.filter(account=account, starts_at__lt=ends_at, ends_at__gt=starts_at)


def _check_no_loop(*, absence: Absence, others) -> None:
    """Refuse a substitute whose own chain of substitutes, at some time of the absence, comes back."""
    edges = defaultdict(set)
    for absent, substitute in others.filter(substitute__isnull=False).values_list("user_id", "substitute_id"):
        edges[absent].add(substitute)
    reached, frontier = set(), [absence.substitute_id]
    while frontier:
        current = frontier.pop()
        if current == absence.user_id:
            raise AbsenceConflict(
                _(
                    "%(substitute)s is away at that time too, and their substitutes lead back to "
                    "%(absent)s: choose a substitute who is in."
                )
                % {"substitute": absence.substitute.email, "absent": absence.user.email},
                field="substitute",
            )
        if current not in reached:
            reached.add(current)
            frontier.extend(edges[current])


def _check_someone_decides(*, absence: Absence, others) -> None:
    """Refuse an absence without a substitute that leaves a band or a waiting order with no approver."""
    # Whom the chain of each one away at some time of the absence ends with nobody: an overlap
    # of the periods is taken as though they were at once.
    chains = _away(others)[absence.account_id]
    chains[absence.user.email.lower()] = None
    away = frozenset(email for email in chains if _follow(chains, email) is None)
    reasons = [
        reason
        for _receiver, answer in absence_uncovered.send(
            sender=Absence,
            account=absence.account,
            email=absence.user.email.lower(),
            away=away,
            starts_at=absence.starts_at,
            ends_at=absence.ends_at,
        )
        for reason in answer or ()
    ]
    if reasons:
        raise AbsenceConflict(
            " ".join([*reasons, _("Name a substitute.")]),
            field="substitute",
        )


def absence_set(*, account: Account, user, starts_at, ends_at, substitute=None, actor, now=None) -> Absence:
    """Set the member's absence from the account, replacing any of theirs it overlaps.

    The approver sets their own; the account's Owner anyone's (`SET_ABSENCE`).
    """
    now = now or timezone.now()
    absence = Absence(
        account=account,
        user=user,
        substitute=substitute,
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=actor,
    )
    _check_may_set(actor=actor, absence=absence)
    if ends_at <= starts_at:
        raise AbsenceRefused(_("An absence ends after it starts."), field="endsAt")
    if ends_at <= now:
        raise AbsenceRefused(
            _("This absence would already be over: give an end still to come."), field="endsAt"
        )
    if not _deciding_member(account=account, user=user):
        raise AbsenceConflict(
            _("%(who)s decides no orders of %(account)s: there is no turn to pass on.")
            % {"who": user.email, "account": account.name},
            field="user",
        )
    if substitute is not None:
        if substitute.pk == user.pk:
            raise AbsenceRefused(_("Nobody substitutes for themselves."), field="substitute")
        if not _deciding_member(account=account, user=substitute):
            raise AbsenceConflict(
                _("%(who)s may not decide orders of %(account)s, so they cannot substitute.")
                % {"who": substitute.email, "account": account.name},
                field="substitute",
            )
    with transaction.atomic():
        # One absence set at a time per account: two at once could each miss the other's loop.
        Account.objects.select_for_update().filter(pk=account.pk).first()
        overlapping = _overlapping(account=account, starts_at=starts_at, ends_at=ends_at)
        others = overlapping.exclude(user=user)
        if substitute is not None:
            _check_no_loop(absence=absence, others=others)
        else:
            _check_someone_decides(absence=absence, others=others)
        overlapping.filter(user=user).delete()
        absence.save()
    _forget_covered(user, substitute, actor)
    return absence


def absence_end(*, absence: Absence, actor, now=None) -> Absence | None:
    """End an absence now: one in force ends at this moment, one to come is removed (None)."""
    now = now or timezone.now()
    _check_may_set(actor=actor, absence=absence)
    if absence.starts_at >= now:
        absence.delete()
        _forget_covered(absence.user, absence.substitute, actor)
        return None
    if absence.ends_at > now:
        Absence.objects.filter(pk=absence.pk).update(ends_at=now)
        absence.ends_at = now
    _forget_covered(absence.user, absence.substitute, actor)
    return absence


def _forget_covered(*users) -> None:
    for user in users:
        if user is not None:
            user.__dict__.pop("_covered", None)
