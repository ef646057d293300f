"""The orders waiting for a person: how long, how much money, by approver level; each approver's time to decision."""

from collections import defaultdict
from datetime import timedelta

from .. import charts, selectors
from ..charts import Series, Table, count, counted, duration, money

LEVEL_WORDS = ("1st approver", "2nd approver", "3rd approver")


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
