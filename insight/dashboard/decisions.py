"""The decisions of the period: how far orders diverged, over today's bands; decisions per band per day."""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from authorization.decision import segments
from authorization.selectors import rule_bands, rule_of

from .. import charts, selectors
from ..charts import Series, Table, count, counted, percent, share
from ..models import BUCKETS_PER_PERCENT, NO_DIVERGENCE_BUCKET

OUTCOME_ORDER = ("no-divergence", "authorize", "manual", "deny", "held")
OUTCOME_WORDS = {
    "no-divergence": "without divergence",
    "authorize": "authorized",
    "manual": "held for manual authorization",
    "deny": "denied",
    "held": "held in the connection orders",
}
SEGMENT_WORDS = {"authorize": "authorize", "manual": "manual", "deny": "deny", "gap": "not integrated (gap)"}


def _period_words(period: selectors.Period) -> str:
    return f"from {period.first:%d %b %Y} to {period.last:%d %b %Y}"


def _band_words(label: str) -> str:
    lower, upper = label.split("-")
    return f"{percent(lower)}–{percent(upper)} %"


def _step_upper(step: int) -> Decimal:
    return Decimal(step + 1) / BUCKETS_PER_PERCENT


def divergence_chart(*, account, period, cells) -> charts.Chart:
    counts = selectors.divergence_counts(account=account, period=period)
    total = sum(counts.values())
    plain = counts.get(NO_DIVERGENCE_BUCKET, 0)
    divergent = total - plain
    drawn = [
        (
            segment.lower_percent,
            segment.upper_percent,
            segment.kind,
            f"{percent(segment.lower_percent)}–"
            f"{percent(segment.upper_percent)} %: {SEGMENT_WORDS[segment.kind]}",
        )
        for segment in segments(rule_bands(rule=rule_of(account=account)))
    ]
    if not total:
        summary = f"No order was decided {_period_words(period)}."
    else:
        summary = (
            f"{counted(total, 'order')} decided {_period_words(period)}: {count(plain)} without divergence, "
            f"{count(divergent)} ({share(divergent, total)}) with one."
        )
        if divergent:
            summary += (
                f" Half of those diverged by less than {_quantile(counts, divergent, 0.5)} %, nine in ten by "
                f"less than {_quantile(counts, divergent, 0.9)} %."
            )
        outcomes = defaultdict(int)
        for cell in cells:
            outcomes[cell.outcome] += cell.count
        said = [f"{count(outcomes[o])} {OUTCOME_WORDS[o]}" for o in OUTCOME_ORDER[1:] if outcomes.get(o)]
        if said:
            summary += " Of all of them: " + "; ".join(said) + "."
    if drawn:
        summary += " Behind the bars: today's bands, " + "; ".join(label for *_, label in drawn) + "."
    else:
        summary += f" {account} has no price divergence rule today, so no bands are drawn."
    table = Table(
        ["|divergence|", "orders"],
        [["0 % (none)", count(plain)]]
        + [
            [f"{percent(Decimal(step) / BUCKETS_PER_PERCENT)}–{percent(_step_upper(step))} %", count(number)]
            for step, number in sorted(counts.items())
            if step >= 0
        ],
    )
    return charts.histogram(
        slug="divergence",
        title="Divergence of decided orders, over today's bands",
        summary=summary,
        counts=counts,
        steps_per_percent=BUCKETS_PER_PERCENT,
        segments=drawn,
        table=table,
    )


def _quantile(counts: dict[int, int], divergent: int, fraction: float) -> str:
    """Return the upper end of the step that holds the given fraction of the divergent orders."""
    seen = 0
    for step in sorted(step for step in counts if step >= 0):
        seen += counts[step]
        if seen >= fraction * divergent:
            return percent(_step_upper(step))
    return "100"


# Decisions per band per day ----------------------------------------------------------------------


def _series_of(keys) -> list[Series]:
    """Name and colour each (outcome, band) the period holds, in reading order."""

    def order(key):
        outcome, band = key
        lower = Decimal(band.split("-")[0]) if band else Decimal(-1)
        return (OUTCOME_ORDER.index(outcome), band == "", lower)

    series = []
    seen_of_outcome: dict[str, int] = defaultdict(int)
    for outcome, band in sorted(keys, key=order):
        if outcome == "no-divergence":
            label, tone = "No divergence", "clear"
        elif outcome == "held":
            label, tone = "Held in the connection orders", "held"
        elif band:
            verb = {"authorize": "Authorized", "manual": "Held for approval", "deny": "Denied"}[outcome]
            label, tone = f"{verb} by {_band_words(band)}", outcome
        elif outcome == "deny":
            label, tone = "Denied without a band (gap, above the last band, no rule)", "gap"
        else:
            label, tone = f"{OUTCOME_WORDS[outcome].capitalize()} without a band", outcome
        shade = (1.0, 0.7, 0.45)[min(seen_of_outcome[tone], 2)]
        seen_of_outcome[tone] += 1
        series.append(Series((outcome, band), label, tone, shade))
    return series


def decisions_chart(*, period, cells) -> charts.Chart:
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
    series = _series_of({(cell.outcome, cell.band_label) for cell in cells})
    totals = [sum(values.values()) for _, values in columns]
    unit = "week" if weekly else "day"
    if any(totals):
        busiest = max(range(len(columns)), key=lambda i: totals[i])
        by_series = defaultdict(int)
        for cell in cells:
            by_series[(cell.outcome, cell.band_label)] += cell.count
        summary = (
            f"{counted(sum(totals), 'decision')} {_period_words(period)}, one column per {unit}: "
            + "; ".join(f"{one.label.lower()}: {count(by_series[one.key])}" for one in series)
            + f". Busiest {unit}: {columns[busiest][0]} ({count(totals[busiest])})."
        )
    else:
        summary = f"No decision {_period_words(period)}."
    table = Table(
        [unit.capitalize(), *(one.label for one in series), "All"],
        [
            [label, *(count(values.get(one.key, 0)) for one in series), count(sum(values.values()))]
            for label, values in columns
            if any(values.values())
        ],
    )
    return charts.stacked_columns(
        slug="decisions",
        title=f"Decisions per band, per {unit}",
        summary=summary,
        columns=columns,
        series=series,
        table=table,
        y_label="decisions",
    )
