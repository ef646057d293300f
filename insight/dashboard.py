"""The dashboard of one account over one period: the selectors' numbers turned into pictures and words."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from authorization.decision import segments
from authorization.selectors import rule_bands, rule_of

from . import charts, selectors
from .charts import Series, Table, count, counted, duration, money, percent, share
from .models import BUCKETS_PER_PERCENT, NO_DIVERGENCE_BUCKET

OUTCOME_ORDER = ("no-divergence", "authorize", "manual", "deny", "held")
OUTCOME_WORDS = {
    "no-divergence": "without divergence",
    "authorize": "authorized",
    "manual": "held for manual authorization",
    "deny": "denied",
    "held": "held in the connection orders",
}
SEGMENT_WORDS = {"authorize": "authorize", "manual": "manual", "deny": "deny", "gap": "not integrated (gap)"}
LEVEL_WORDS = ("1st approver", "2nd approver", "3rd approver")


@dataclass
class Dashboard:
    account: object
    period: selectors.Period
    decided: int
    waiting: int
    waiting_value_cents: int
    charts: list[charts.Chart]


def build(*, account, period: selectors.Period, now: datetime) -> Dashboard:
    """Read everything the dashboard shows for `account` over `period`, as of `now`."""
    cells = selectors.decisions_by_day(account=account, period=period)
    queue = selectors.queue_by_age(account=account, now=now)
    decided = sum(cell.count for cell in cells)
    pictures = [
        divergence_chart(account=account, period=period, cells=cells),
        decisions_chart(period=period, cells=cells),
        queue_age_chart(queue=queue, now=now),
        value_waiting_chart(queue=queue),
        approver_chart(times=selectors.approver_times(account=account, period=period)),
        sources_chart(
            slug="connectors",
            title="Connectors with the most divergence",
            noun="orders",
            sources=selectors.connectors_by_divergence(account=account, period=period),
        ),
        sources_chart(
            slug="skus",
            title="SKUs with the most divergence",
            noun="item lines",
            sources=selectors.skus_by_divergence(account=account, period=period),
        ),
    ]
    return Dashboard(
        account=account,
        period=period,
        decided=decided,
        waiting=sum(cell.count for cell in queue),
        waiting_value_cents=sum(cell.paid_value_cents for cell in queue),
        charts=pictures,
    )


def _period_words(period: selectors.Period) -> str:
    return f"from {period.first:%d %b %Y} to {period.last:%d %b %Y}"


def _band_words(label: str) -> str:
    lower, upper = label.split("-")
    return f"{percent(lower)}–{percent(upper)} %"


# Divergence distribution -------------------------------------------------------------------------


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


# The queue ---------------------------------------------------------------------------------------


def _level_series(levels) -> list[Series]:
    series = []
    for level in sorted(levels):
        if level < 0:
            label = "Not yet notified"
        elif level < len(LEVEL_WORDS):
            label = f"At the {LEVEL_WORDS[level]}"
        else:
            label = f"At approver {level + 1}"
        series.append(Series(level, label, f"level-{min(level + 1, 4)}"))
    return series


def queue_age_chart(*, queue, now) -> charts.Chart:
    rows_by_age = [defaultdict(int) for _ in selectors.AGE_LIMITS]
    for cell in queue:
        rows_by_age[cell.age][cell.level] += cell.count
    series = _level_series({cell.level for cell in queue})
    waiting = sum(cell.count for cell in queue)
    if waiting:
        oldest = min(cell.oldest for cell in queue)
        later = sum(cell.count for cell in queue if cell.level >= 1)
        summary = (
            f"{counted(waiting, 'order')} {'waits' if waiting == 1 else 'wait'} for a decision; the oldest has "
            f"waited {duration(now - oldest)}. Waiting "
            + "; ".join(
                f"{label}: {count(sum(rows_by_age[index].values()))}"
                for index, (label, _) in enumerate(selectors.AGE_LIMITS)
                if rows_by_age[index]
            )
            + ". "
            + (
                f"{counted(later, 'order')} passed on to a 2nd approver or later."
                if later
                else "None has been passed on to a 2nd approver yet."
            )
        )
    else:
        summary = "No order waits for manual authorization."
    rows = [
        (label, dict(rows_by_age[index]), counted(sum(rows_by_age[index].values()), "order"))
        for index, (label, _) in enumerate(selectors.AGE_LIMITS)
    ]
    table = Table(
        ["Waiting", *(one.label for one in series), "All"],
        [
            [label, *(count(values.get(one.key, 0)) for one in series), count(sum(values.values()))]
            for label, values, _ in rows
        ],
    )
    return charts.horizontal_bars(
        slug="queue-age",
        title="How long orders wait, by approver level",
        summary=summary,
        rows=rows if waiting else [],
        series=series,
        table=table if waiting else Table([], []),
        x_label="orders",
    )


def value_waiting_chart(*, queue) -> charts.Chart:
    paid = [0 for _ in selectors.AGE_LIMITS]
    seller = [0 for _ in selectors.AGE_LIMITS]
    for cell in queue:
        paid[cell.age] += cell.paid_value_cents
        seller[cell.age] += cell.seller_value_cents
    total = sum(paid)
    if total:
        older = sum(
            paid[index]
            for index, (_, limit) in enumerate(selectors.AGE_LIMITS)
            if limit is None or limit > timedelta(days=1)
        )
        summary = (
            f"{money(total)} waits for a decision (the seller's price of those orders: {money(sum(seller))}); "
            f"{money(older)} of it has waited a day or more."
        )
    else:
        summary = "No money waits for a decision."
    rows = [
        (label, {"paid": paid[index]}, money(paid[index]))
        for index, (label, _) in enumerate(selectors.AGE_LIMITS)
    ]
    table = Table(
        ["Waiting", "Paid value", "Seller value"],
        [
            [label, money(paid[index]), money(seller[index])]
            for index, (label, _) in enumerate(selectors.AGE_LIMITS)
        ],
    )
    return charts.horizontal_bars(
        slug="value-waiting",
        title="Value waiting for a decision, by age",
        summary=summary,
        rows=rows if total else [],
        series=[Series("paid", "Paid value", "manual")],
        table=table if total else Table([], []),
        value_text=lambda cents: money(round(cents)),
        whole=False,
        x_label="paid value",
    )


# The approvers -----------------------------------------------------------------------------------


def approver_chart(*, times) -> charts.Chart:
    if times:
        decisions = sum(one.decisions for one in times)
        slowest = times[0]
        summary = (
            f"{counted(len(times), 'approver')} decided {counted(decisions, 'order')} in the period. "
            + "; ".join(
                f"{one.email}: {count(one.decisions)} decided, {duration(one.average)} after holding on average"
                for one in times
            )
            + "."
        )
        if len(times) > 1:
            summary += f" {slowest.email} took longest on average."
    else:
        summary = "No order was approved or denied in the period."
    rows = [
        (
            one.email,
            {"average": one.average.total_seconds()},
            f"{duration(one.average)} · {count(one.decisions)} decided",
        )
        for one in times
    ]
    table = Table(
        ["Approver", "Approved", "Denied", "Average wait", "Longest wait"],
        [
            [one.email, count(one.approved), count(one.denied), duration(one.average), duration(one.longest)]
            for one in times
        ],
    )
    return charts.horizontal_bars(
        slug="approvers",
        title="Time to decision, per approver",
        summary=summary,
        rows=rows,
        series=[Series("average", "Average time from holding to decision", "level-1")],
        table=table,
        value_text=lambda seconds: duration(timedelta(seconds=seconds)),
        whole=False,
        x_label="average time to decision",
    )


# Where divergence comes from ---------------------------------------------------------------------


def _gap_words(gap_cents: int) -> str:
    if gap_cents >= 0:
        return f"paid {money(gap_cents)} less than the seller's prices"
    return f"paid {money(-gap_cents)} more than the seller's prices"


def sources_chart(*, slug, title, noun, sources) -> charts.Chart:
    if sources:
        top = sources[0]
        summary = (
            f"{top.label} had the most divergence: {count(top.divergent)} of {count(top.decided)} {noun} "
            f"({share(top.divergent, top.decided)}), {_gap_words(top.gap_cents)}."
        )
        if len(sources) > 1:
            summary += (
                " Then "
                + "; ".join(
                    f"{one.label}: {count(one.divergent)} of {count(one.decided)}" for one in sources[1:4]
                )
                + "."
            )
    else:
        summary = f"No {noun} diverged in the period."
    rows = [
        (
            one.label,
            {"divergent": one.divergent},
            f"{count(one.divergent)} of {count(one.decided)} ({share(one.divergent, one.decided)})",
        )
        for one in sources
    ]
    table = Table(
        ["", f"Divergent {noun}", f"All {noun}", "Seller's price − paid"],
        [[one.label, count(one.divergent), count(one.decided), money(one.gap_cents)] for one in sources],
    )
    return charts.horizontal_bars(
        slug=slug,
        title=title,
        summary=summary,
        rows=rows,
        series=[Series("divergent", f"Divergent {noun}", "deny")],
        table=table,
        x_label=f"divergent {noun}",
    )
