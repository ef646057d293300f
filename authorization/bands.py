"""A rule's bands checked: what the editor, the rule API and a saved rule refuse or warn of, and
the 0–100 % bar they cover. Pure functions of the bands (`authorization.decision.Band`).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise

from django.utils.translation import gettext

from kit.numbers import percent_range

from .decision import HUNDRED, ZERO, Band, BandAction, OnDeadline


@dataclass(frozen=True)
class Segment:
    """A stretch of the 0–100 % bar: a band, or a gap where orders are not integrated."""

    lower_percent: Decimal
    upper_percent: Decimal
    kind: str  # a BandAction value, or "gap"
    band_index: int | None = None


def segments(bands: Sequence[Band]) -> list[Segment]:
    """Cover 0–100 with the bands in order and the gaps between them (for the editor's bar)."""
    covered = []
    cursor = ZERO
    for index, band in sorted(enumerate(bands), key=lambda pair: pair[1].lower_percent):
        if band.lower_percent > cursor:
            covered.append(Segment(cursor, band.lower_percent, "gap"))
        covered.append(Segment(band.lower_percent, band.upper_percent, str(band.action), index))
        cursor = max(cursor, band.upper_percent)
    if cursor < HUNDRED:
        covered.append(Segment(cursor, HUNDRED, "gap"))
    return covered


@dataclass(frozen=True)
class BandProblem:
    """A problem with a draft rule; `band_index` None means the rule as a whole."""

    message: str
    band_index: int | None = None
    field: str | None = None


def band_problems_listed(problems: Sequence[BandProblem]) -> list[dict]:
    """The problems as the rule API lists them: `{field, message}`, the field a path into its body."""
    return [
        {
            "field": "bands"
            if problem.band_index is None
            else f"bands[{problem.band_index}]" + (f".{problem.field}" if problem.field else ""),
            "message": problem.message,
        }
        for problem in problems
    ]


def check_bands(bands: Sequence[Band]) -> tuple[list[BandProblem], list[BandProblem]]:
    """Return (errors, warnings) of a draft rule, by PRODUCT.md §5.1.

    Errors: a band outside 0–100 or empty, overlapping bands, a manual band with no approver,
    an approver listed twice. Warning: a manual band with fewer than two approvers.
    """
    errors: list[BandProblem] = []
    warnings: list[BandProblem] = []
    # The messages are read by the person who drew the rule (the editor, the rule API): their language.
    if not bands:
        errors.append(BandProblem(gettext("A rule needs at least one band.")))
    for index, band in enumerate(bands):
        if not ZERO <= band.lower_percent <= HUNDRED:
            errors.append(BandProblem(gettext("“From” must be between 0 and 100."), index, "from"))
        if not ZERO <= band.upper_percent <= HUNDRED:
            errors.append(BandProblem(gettext("“To” must be between 0 and 100."), index, "to"))
        if band.lower_percent >= band.upper_percent:
            errors.append(BandProblem(gettext("“From” must be lower than “To”."), index, "to"))
        if band.action == BandAction.MANUAL:
            if not band.approvers:
                errors.append(
                    BandProblem(
                        gettext("A band held for approval needs at least one approver."), index, "approvers"
                    )
                )
            elif len(band.approvers) < 2:
                warnings.append(
                    BandProblem(
                        gettext("Only one approver: name a second so orders never wait on one person."),
                        index,
                        "approvers",
                    )
                )
            duplicated = sorted({a for a in band.approvers if band.approvers.count(a) > 1})
            if duplicated:
                errors.append(
                    BandProblem(
                        gettext("Approver listed twice: %(emails)s.") % {"emails": ", ".join(duplicated)},
                        index,
                        "approvers",
                    )
                )
        if band.escalate_after_minutes < 1:
            errors.append(
                BandProblem(
                    gettext("The escalation delay must be at least one minute."),
                    index,
                    "escalateAfterMinutes",
                )
            )
        errors.extend(deadline_problems(band, index))
    ordered = sorted(enumerate(bands), key=lambda pair: (pair[1].lower_percent, pair[1].upper_percent))
    for (_, left), (right_index, right) in pairwise(ordered):
        if right.lower_percent < left.upper_percent:
            errors.append(
                BandProblem(
                    gettext("Overlaps the band %(range)s.")
                    % {"range": percent_range(left.lower_percent, left.upper_percent)},
                    right_index,
                    "from",
                )
            )
    return errors, warnings


def deadline_problems(band: Band, index: int) -> list[BandProblem]:
    """What is wrong with a band's deadline: only a manual band has one, after its chain's time, and
    a cap only when it approves up to one."""
    problems = []
    if band.on_deadline != OnDeadline.WAIT and band.action != BandAction.MANUAL:
        problems.append(
            BandProblem(gettext("Only a band held for approval has a deadline."), index, "onDeadline")
        )
    if band.on_deadline == OnDeadline.WAIT:
        if band.deadline_minutes is not None:
            problems.append(
                BandProblem(
                    gettext("A band that keeps waiting has no deadline: leave the minutes empty."),
                    index,
                    "deadlineMinutes",
                )
            )
    elif band.deadline_minutes is None:
        problems.append(
            BandProblem(
                gettext("Say after how many minutes from the hold the deadline comes."),
                index,
                "deadlineMinutes",
            )
        )
    elif band.action == BandAction.MANUAL and band.deadline_minutes < band.chain_minutes:
        problems.append(
            BandProblem(
                gettext(
                    "The deadline must leave every approver their turn: at least %(least)s min "
                    "(%(approvers)s approvers × %(minutes)s min)."
                )
                % {
                    "least": band.chain_minutes,
                    "approvers": max(len(band.approvers), 1),
                    "minutes": band.escalate_after_minutes,
                },
                index,
                "deadlineMinutes",
            )
        )
    if band.on_deadline == OnDeadline.APPROVE_UP_TO:
        if band.approve_up_to_cents is None or band.approve_up_to_cents < 1:
            problems.append(
                BandProblem(
                    gettext("Name the most paid value the deadline approves (above zero)."),
                    index,
                    "approveUpToCents",
                )
            )
    elif band.approve_up_to_cents is not None:
        problems.append(
            BandProblem(
                gettext("Only a deadline that approves up to a cap has a cap: leave it empty."),
                index,
                "approveUpToCents",
            )
        )
    return problems
