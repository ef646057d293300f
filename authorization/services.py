"""Writes to the price divergence rule: checked, replaced or deleted, each change kept as a revision."""

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import Account
from accounts.selectors import possible_approvers
from kit.errors import DomainError

from .bands import BandProblem, band_problems_listed, check_bands
from .decision import Band
from .models import AuthorizationBand, PriceDivergenceRule, RuleRevision
from .selectors import rule_bands, rule_of
from .signals import rule_saved


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
        who = (revision.actor.email if revision and revision.actor else None) or _("someone")
        if revision:
            zone = revision.account.time_zone
            when = date_format(revision.created_at.astimezone(ZoneInfo(zone)), "SHORT_DATETIME_FORMAT")
            message = _(
                "The rule was changed by %(who)s at %(when)s (%(zone)s) after you opened it; nothing was saved."
            ) % {"who": who, "when": when, "zone": zone}
        else:
            message = _("The rule was changed by %(who)s after you opened it; nothing was saved.") % {
                "who": who
            }
        super().__init__(message)
        self.revision = revision

    def headers(self) -> dict:
        # The rule's version now (its newest revision's), to base a new draft on.
        return {"ETag": version_tag(self.revision.pk if self.revision else 0)}


def version_tag(version: int) -> str:
    """A version of the rule as the HTTP entity tag (`ETag`) that `If-Match` names back."""
    return f'"{version}"'


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


def rule_check(*, account: Account, bands: Sequence[Band]) -> RuleCheck:
    """Check a draft rule: the pure band checks, then that approvers may approve in the account."""
    errors, warnings = check_bands(bands)
    allowed = {email.lower() for email in possible_approvers(account=account).values_list("email", flat=True)}
    for index, band in enumerate(bands):
        unknown = [email for email in band.approvers if email.lower() not in allowed]
        if unknown:
            errors.append(
                BandProblem(
                    _("Not an approver, Owner or OMS Full user of %(account)s: %(emails)s.")
                    % {"account": account.name, "emails": ", ".join(unknown)},
                    index,
                    "approvers",
                )
            )
    return RuleCheck(errors=errors, warnings=warnings)


def _band_rows(bands: Sequence[Band]) -> list[dict]:
    return [band.as_dict() for band in sorted(bands, key=lambda band: band.lower_percent)]


@transaction.atomic
def rule_replace(
    *,
    account: Account,
    bands: Sequence[Band],
    actor,
    based_on: int | None = None,
    restored_from: RuleRevision | None = None,
) -> tuple[PriceDivergenceRule, list[BandProblem]]:
    """Replace the account's rule with `bands`; return the rule and the warnings.

    Raises `RuleInvalid` and changes nothing when the draft has errors, and `RuleChanged`
    when `based_on` (a `rule_version`) is given and the rule has changed since. Every change
    is kept as a `RuleRevision` with the bands before and after, and the earlier revision it
    brought back when the draft was `restored_from` one.
    """
    if restored_from is not None and restored_from.account_id != account.pk:
        raise ValueError("A rule is restored only from its own account's history.")
    bands = [
        replace(band, approvers=tuple(email.strip().lower() for email in band.approvers)) for band in bands
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
            on_deadline=band.on_deadline,
            deadline_minutes=band.deadline_minutes,
            approve_up_to_cents=band.approve_up_to_cents,
        )
        for band in sorted(bands, key=lambda band: band.lower_percent)
    )
    if before != after or change == RuleRevision.Change.CREATED:
        RuleRevision.objects.create(
            account=account,
            change=change,
            actor=actor,
            bands_before=before,
            bands_after=after,
            restored_from=restored_from,
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
