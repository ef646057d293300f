"""The rule's bar: every band and gap of a rule, on a scale zoomed to where its boundaries are.

Linear from 0 to 100 %, a rule of small bands (0–5 %, 5–10 %, then deny up to 100 %) draws
most of its width as the last band and its first bands as slivers too narrow to name or grab.
So the bar is zoomed by default: linear from 0 to a round number a little past the last
boundary below 100 %, the rest up to 100 % compressed into a short tail. Zoomed or whole, each
stretch between two boundaries keeps a minimum share of the width, so no two handles overlap
however close their ends are. The editor's script draws with the knots of this scale (answered
again by the preview for the draft as edited) and switches between the zoomed and whole views.
"""

import math
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kit.numbers import percent

from .bands import segments
from .decision import HUNDRED, BandAction
from .rule_editor import band_range, format_percent

GAP_LABEL = _("Not integrated (gap)")
SHORT_LABELS = {
    "authorize": _("Authorize"),
    "manual": _("Approval"),
    "deny": _("Deny"),
    "gap": _("Not integrated"),
}

TAIL_SHARE = 0.12  # of the width, for what lies past the zoomed stretch, up to 100 %
MIN_SHARE = 0.04  # of the width, for each stretch between two boundaries at least
MOST_ZOOMED = 60  # zoomed further out than this, the whole 0–100 % says as much
ZOOM_ENDS = (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8)  # round ends of the zoomed stretch, × a power of 10
TICK_STEPS = (0.5, 1, 2, 2.5, 5, 10, 20, 25)
MOST_TICKS = 6  # steps between 0 and the end of the zoomed stretch
TICK_SPACING = 7  # percent of the width between two labelled ticks at least
WHOLE_TICKS = (0, 25, 50, 75, 100)


def boundaries(bands) -> list[float]:
    """Every band end within 0–100, with 0 and 100, in order."""
    points = {0.0, 100.0}
    for band in bands:
        for end in (band.lower_percent, band.upper_percent):
            points.add(min(100.0, max(0.0, float(end))))
    return sorted(points)


def _round_above(value: float) -> float:
    power = 10 ** math.floor(math.log10(value))
    return next(end * scale for scale in (power, power * 10) for end in ZOOM_ENDS if end * scale >= value)


def zoom_end(bands) -> float | None:
    """Where the zoomed stretch ends: a round number past the last boundary below 100; None: no zoom."""
    inner = [point for point in boundaries(bands) if 0 < point < 100]
    if not inner:
        return None
    end = _round_above(max(inner) * 1.2)
    return end if end <= MOST_ZOOMED else None


def _at_least(shares: list[float], minimum: float) -> list[float]:
    """The shares, each raised to `minimum` at least, the others shrunk to keep the sum."""
    minimum = min(minimum, 1 / len(shares))
    held: set[int] = set()
    while True:
        free = sum(share for index, share in enumerate(shares) if index not in held)
        factor = (1 - minimum * len(held)) / free if free else 0
        small = {
            index for index, share in enumerate(shares) if index not in held and share * factor < minimum
        }
        if not small:
            break
        held |= small
    return [minimum if index in held else share * factor for index, share in enumerate(shares)]


@dataclass(frozen=True)
class Tick:
    at: float  # percent of the bar's width
    label: str


@dataclass(frozen=True)
class BarScale:
    """Where a divergence stands on the bar: linear between knots of (percent, percent of the width)."""

    knots: tuple[tuple[float, float], ...]
    ticks: tuple[Tick, ...]
    zoomed_to: float | None

    def at(self, value) -> float:
        point = min(100.0, max(0.0, float(value)))
        for (lower, left), (upper, right) in pairwise(self.knots):
            if point <= upper:
                return left + (right - left) * (point - lower) / (upper - lower)
        return 100.0

    @property
    def break_at(self) -> float | None:
        """Where the zoomed stretch ends and the compressed tail begins, in percent of the width."""
        return None if self.zoomed_to is None else self.at(self.zoomed_to)

    def as_json(self) -> dict:
        return {
            "knots": [[round(point, 2), round(x, 3)] for point, x in self.knots],
            "ticks": [[round(tick.at, 3), tick.label] for tick in self.ticks],
            "breakAt": None if self.break_at is None else round(self.break_at, 3),
        }


def _ticks(scale_at, end: float | None) -> list[Tick]:
    if end is None:
        values = [(value, percent(value)) for value in WHOLE_TICKS]
    else:
        step = next(step for step in TICK_STEPS if end / step <= MOST_TICKS)
        values = [(index * step, percent(index * step)) for index in range(int(end / step) + 1)]
        values.append((100, gettext("… to %(percent)s") % {"percent": percent(100)}))
    kept: list[Tick] = []
    for value, label in values:
        tick = Tick(scale_at(value), label)
        if kept and tick.at - kept[-1].at < TICK_SPACING:
            if value != values[-1][0]:
                continue
            kept.pop()  # the last tick, 100 %, stays
        kept.append(tick)
    return kept


def bar_scale(bands, *, whole: bool = False) -> BarScale:
    """The bar's scale for these bands: zoomed to their boundaries, or `whole` 0–100 %."""
    end = None if whole else zoom_end(bands)
    points = sorted({*boundaries(bands), *([end] if end else [])})

    def linear(point):
        if end is None:
            return point / 100
        if point <= end:
            return point / end * (1 - TAIL_SHARE)
        return 1 - TAIL_SHARE + (point - end) / (100 - end) * TAIL_SHARE

    shares = _at_least([linear(upper) - linear(lower) for lower, upper in pairwise(points)], MIN_SHARE)
    total, knots = 0.0, [(points[0], 0.0)]
    for point, share in zip(points[1:], shares, strict=True):
        total += share
        knots.append((point, 100 * total))
    knots[-1] = (100.0, 100.0)
    unticked = BarScale(tuple(knots), (), end)
    return BarScale(unticked.knots, tuple(_ticks(unticked.at, end)), end)


def bar_scales(bands) -> dict:
    """Both views of the bar, for the editor's script: zoomed (its default) and whole."""
    return {
        "zoomable": zoom_end(bands) is not None,
        "zoomed": bar_scale(bands).as_json(),
        "whole": bar_scale(bands, whole=True).as_json(),
    }


@dataclass(frozen=True)
class BarSegment:
    """A stretch of the drawn bar, in percent of its width."""

    kind: str
    label: str
    short_label: str
    lower: str
    upper: str
    range: str  # for people: 10–12,5 % in Portuguese
    left: str
    width: str


def bar_of(bands, scale: BarScale | None = None) -> list[BarSegment]:
    """Return the bar drawn without JavaScript, on `scale` (zoomed by default): every band and gap."""
    scale = scale or bar_scale(bands)
    drawn = []
    for segment in segments(bands):
        lower = max(segment.lower_percent, Decimal(0))
        upper = min(segment.upper_percent, HUNDRED)
        if upper <= lower:
            continue
        kind = segment.kind
        label = GAP_LABEL if kind == "gap" else BandAction(kind).label
        left = scale.at(lower)
        drawn.append(
            BarSegment(
                kind=kind,
                label=str(label),
                short_label=str(SHORT_LABELS[kind]),
                lower=format_percent(lower),
                upper=format_percent(upper),
                range=band_range(lower, upper),
                left=f"{left:.3f}",
                width=f"{scale.at(upper) - left:.3f}",
            )
        )
    return drawn


def rule_summary(bands) -> str:
    """Say what a whole rule does, gaps included, in a line (the account list)."""
    if not bands:
        return gettext("No rule")
    return " · ".join(f"{segment.range} {segment.label.lower()}" for segment in bar_of(bands))
