"""The rule's history as the admin shows it: its versions, numbered, and each one's bands in words.

A version of the rule is what a change left it as (`RuleRevision.bands_after`), numbered from 1
in each account's history. Any earlier one can be restored: its bands become the editor's draft,
saved like any other, against the version the draft was based on.
"""

from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.utils.translation import gettext

from .decision import DEFAULT_ESCALATE_AFTER_MINUTES, Band, BandAction
from .decision_words import deadline_words
from .models import RuleRevision
from .rule_editor import band_range


def _number_of(revision_field: str):
    """The number, in its account's history, of the revision `revision_field` names: 1 for the first."""
    earlier = (
        RuleRevision.objects.filter(account=OuterRef("account"), pk__lte=OuterRef(revision_field))
        .order_by()
        .values("account")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Subquery(earlier, output_field=IntegerField())


def rule_revisions(*, account):
    """Return the account's rule history, newest first, each with its `number` and `restored_number`."""
    return (
        RuleRevision.objects.filter(account=account)
        .select_related("actor")
        .annotate(number=_number_of("pk"), restored_number=_number_of("restored_from"))
    )


def revision_bands(revision: RuleRevision) -> list[Band]:
    """The bands of the version a change left the rule as."""
    return [Band.from_dict(row) for row in revision.bands_after or []]


def describe_band_row(row: dict, *, currency: str) -> str:
    """Say what a band stored in a revision (`Band.as_dict()`) does, in a line; money in `currency`."""
    action = BandAction(row["action"])
    words = {"range": band_range(row["from"], row["to"]), "action": action.label}
    if action is not BandAction.MANUAL:
        return gettext("%(range)s: %(action)s") % words
    words["approvers"] = ", ".join(row.get("approvers") or []) or gettext("no approver")
    words["minutes"] = row.get("escalateAfterMinutes", DEFAULT_ESCALATE_AFTER_MINUTES)
    line = gettext("%(range)s: %(action)s by %(approvers)s (escalating after %(minutes)s min)") % words
    deadline = deadline_words(Band.from_dict(row), currency)
    return (
        gettext("%(band)s; at the deadline, %(deadline)s") % {"band": line, "deadline": deadline}
        if deadline
        else line
    )


@dataclass(frozen=True)
class RevisionLine:
    text: str
    state: str  # "kept", "removed" or "added"


def revision_lines(revision: RuleRevision, *, currency: str) -> tuple[list[RevisionLine], list[RevisionLine]]:
    """Return the bands before and after a change, each marked kept, removed or added."""
    before, after = revision.bands_before or [], revision.bands_after or []
    return (
        [
            RevisionLine(describe_band_row(row, currency=currency), "kept" if row in after else "removed")
            for row in before
        ],
        [
            RevisionLine(describe_band_row(row, currency=currency), "kept" if row in before else "added")
            for row in after
        ],
    )
