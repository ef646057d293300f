"""The decisions of the period: how far orders diverged, over today's bands; decisions per band per day.

Each decision record keeps the band it was made under, so the per-day picture counts every
decision under its own band; a band since changed is named as such, and the first picture,
drawn over today's bands, says how many decisions were made under earlier ones.
"""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from authorization.bands import segments
from authorization.decision import BandAction
from authorization.decision_words import band_label

from .. import charts, selectors
from ..charts import Series, Table, count, counted, day_words, percent_range, percent_sign, share
from ..models import BUCKETS_PER_PERCENT, NO_DIVERGENCE_BUCKET

OUTCOME_ORDER = ("no-divergence", "authorize", "manual", "deny", "held")
BANDED = ("authorize", "manual", "deny")


def _segment_words(kind: str) -> str:
    """What a stretch of today's rule does, in the rule editor's words: "hold for approval"."""
    if kind == "gap":
        return _("not integrated (gap)")
    return str(BandAction(kind).label).lower()


def _outcome_counted(outcome: str, number: int) -> str:
    """How many decisions came to an outcome, in a sentence: "3 denied"."""
    template = {
        "no-divergence": lambda: ngettext(
            "%(count)s without divergence", "%(count)s without divergence", number
        ),
        "authorize": lambda: ngettext("%(count)s authorized", "%(count)s authorized", number),
        "manual": lambda: ngettext("%(count)s held for approval", "%(count)s held for approval", number),
        "deny": lambda: ngettext("%(count)s denied", "%(count)s denied", number),
        "held": lambda: ngettext(
            "%(count)s held in the connection orders", "%(count)s held in the connection orders", number
        ),
    }[outcome]()
    return counted(template, number)


def _period_words(period: selectors.Period) -> str:
    return _("from %(first)s to %(last)s") % {
        "first": day_words(period.first),
        "last": day_words(period.last),
    }


def _band_words(label: str) -> str:
    lower, upper = label.split("-")
    return percent_range(lower, upper)


def _step_upper(step: int) -> Decimal:
    return Decimal(step + 1) / BUCKETS_PER_PERCENT


def todays_bands(bands) -> set[tuple[str, str]]:
    """The (outcome, band label) of each band of today's rule, as decision records name them."""
    return {(str(band.action), band_label(band.lower_percent, band.upper_percent)) for band in bands}


def _earlier(cells, today: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """The decisions of the period made under a band today's rule no longer has, by (outcome, band)."""
    earlier: dict[tuple[str, str], int] = defaultdict(int)
    for cell in cells:
        if cell.band_label and (cell.outcome, cell.band_label) not in today:
            earlier[(cell.outcome, cell.band_label)] += cell.count
    return earlier


def divergence_chart(*, account, period, cells, bands, counts: dict[int, int]) -> charts.Chart:
    total = sum(counts.values())
    plain = counts.get(NO_DIVERGENCE_BUCKET, 0)
    divergent = total - plain
    drawn = [
        (
            segment.lower_percent,
            segment.upper_percent,
            segment.kind,
            _("%(range)s: %(action)s")
            % {
                "range": percent_range(segment.lower_percent, segment.upper_percent),
                "action": _segment_words(segment.kind),
            },
        )
        for segment in segments(bands)
    ]
    if not total:
        summary = _("No order was decided %(period)s.") % {"period": _period_words(period)}
    else:
        summary = ngettext(
            "%(count)s order decided %(period)s: %(plain)s without divergence, %(divergent)s (%(share)s) with one.",
            "%(count)s orders decided %(period)s: %(plain)s without divergence, %(divergent)s (%(share)s) with one.",
            total,
        ) % {
            "count": count(total),
            "period": _period_words(period),
            "plain": count(plain),
            "divergent": count(divergent),
            "share": share(divergent, total),
        }
        if divergent:
            summary += " " + _(
                "Half of those diverged by less than %(half)s, nine in ten by less than %(most)s."
            ) % {
                "half": percent_sign(_quantile(counts, divergent, 0.5)),
                "most": percent_sign(_quantile(counts, divergent, 0.9)),
            }
        outcomes = defaultdict(int)
        for cell in cells:
            outcomes[cell.outcome] += cell.count
        said = [_outcome_counted(o, outcomes[o]) for o in OUTCOME_ORDER[1:] if outcomes.get(o)]
        if said:
            summary += " " + _("Of all of them: %(outcomes)s.") % {"outcomes": "; ".join(said)}
    if drawn:
        summary += " " + _("Behind the bars: today's bands, %(bands)s.") % {
            "bands": "; ".join(label for *_rest, label in drawn)
        }
    else:
        summary += " " + _("%(account)s has no price divergence rule today, so no bands are drawn.") % {
            "account": account
        }
    earlier = _earlier(cells, todays_bands(bands))
    if earlier:
        number = sum(earlier.values())
        summary += " " + ngettext(
            "%(count)s decision was made under a band since changed (%(bands)s); "
            "the next picture counts it under that band.",
            "%(count)s decisions were made under bands since changed (%(bands)s); "
            "the next picture counts each under its own band.",
            number,
        ) % {
            "count": count(number),
            "bands": "; ".join(sorted({_band_words(band) for _outcome, band in earlier})),
        }
    table = Table(
        [_("|divergence|"), _("orders")],
        [[_("%(zero)s (none)") % {"zero": percent_sign(0)}, count(plain)]]
        + [
            [percent_range(Decimal(step) / BUCKETS_PER_PERCENT, _step_upper(step)), count(number)]
            for step, number in sorted(counts.items())
            if step >= 0
        ],
    )
    return charts.histogram(
        slug="divergence",
        title=_("Divergence of decided orders, over today's bands"),
        summary=summary,
        counts=counts,
        steps_per_percent=BUCKETS_PER_PERCENT,
        segments=drawn,
        table=table,
    )


def _quantile(counts: dict[int, int], divergent: int, fraction: float) -> Decimal:
    """Return the upper end of the step that holds the given fraction of the divergent orders."""
    seen = 0
    for step in sorted(step for step in counts if step >= 0):
        seen += counts[step]
        if seen >= fraction * divergent:
            return _step_upper(step)
    return Decimal(100)


# Decisions per band per day ----------------------------------------------------------------------


def _series_label(outcome: str, band: str, today: set[tuple[str, str]]) -> str:
    if outcome == "no-divergence":
        return _("No divergence")
    if outcome == "held":
        return _("Held in the connection orders")
    if band:
        label = {
            "authorize": _("Authorized by %(band)s"),
            "manual": _("Held for approval by %(band)s"),
            "deny": _("Denied by %(band)s"),
        }[outcome] % {"band": _band_words(band)}
        if (outcome, band) not in today:
            label = _("%(label)s (a band since changed)") % {"label": label}
        return label
    if outcome == "deny":
        return _("Denied without a band (gap, above the last band, no rule)")
    if outcome == "authorize":
        return _("Authorized without a band")
    return _("Held for approval without a band")


def _series_of(keys, today: set[tuple[str, str]]) -> list[Series]:
    """Name and colour each (outcome, band) the period holds, in reading order."""

    def order(key):
        outcome, band = key
        lower = Decimal(band.split("-")[0]) if band else Decimal(-1)
        return (OUTCOME_ORDER.index(outcome), band == "", lower)

    series = []
    seen_of_outcome: dict[str, int] = defaultdict(int)
    for outcome, band in sorted(keys, key=order):
        if outcome in ("no-divergence", "held"):
            tone = "clear" if outcome == "no-divergence" else "held"
        elif band:
            tone = outcome
        else:
            tone = "gap" if outcome == "deny" else outcome
        shade = (1.0, 0.7, 0.45)[min(seen_of_outcome[tone], 2)]
        seen_of_outcome[tone] += 1
        series.append(Series((outcome, band), _series_label(outcome, band, today), tone, shade))
    return series


def decisions_chart(*, period, cells, bands) -> charts.Chart:
    weekly = period.days > 92
    step = 7 if weekly else 1
    columns: list[tuple] = []
    by_column: dict = {}
    for index in range(0, period.days, step):
        first = period.first + timedelta(days=index)
        values: dict = defaultdict(int)
        columns.append((charts.days_label(first), values))
        for offset in range(step):
            by_column[first + timedelta(days=offset)] = values
    for cell in cells:
        by_column[cell.day][(cell.outcome, cell.band_label)] += cell.count
    series = _series_of({(cell.outcome, cell.band_label) for cell in cells}, todays_bands(bands))
    totals = [sum(values.values()) for _label, values in columns]
    if any(totals):
        busiest = max(range(len(columns)), key=lambda i: totals[i])
        by_series = defaultdict(int)
        for cell in cells:
            by_series[(cell.outcome, cell.band_label)] += cell.count
        facts = {
            "decisions": counted(
                ngettext("%(count)s decision", "%(count)s decisions", sum(totals)), sum(totals)
            ),
            "period": _period_words(period),
            "series": "; ".join(f"{one.label.lower()}: {count(by_series[one.key])}" for one in series),
            "busiest": columns[busiest][0],
            "count": count(totals[busiest]),
        }
        if weekly:
            summary = _(
                "%(decisions)s %(period)s, one column per week, each decision under the band it was made under: "
                "%(series)s. Busiest week: %(busiest)s (%(count)s)."
            )
        else:
            summary = _(
                "%(decisions)s %(period)s, one column per day, each decision under the band it was made under: "
                "%(series)s. Busiest day: %(busiest)s (%(count)s)."
            )
        summary %= facts
    else:
        summary = _("No decision %(period)s.") % {"period": _period_words(period)}
    table = Table(
        [_("Week") if weekly else _("Day"), *(one.label for one in series), _("All")],
        [
            [label, *(count(values.get(one.key, 0)) for one in series), count(sum(values.values()))]
            for label, values in columns
            if any(values.values())
        ],
    )
    return charts.stacked_columns(
        slug="decisions",
        title=_("Decisions per band, per week") if weekly else _("Decisions per band, per day"),
        summary=summary,
        columns=columns,
        series=series,
        table=table,
        y_label=_("decisions"),
    )
