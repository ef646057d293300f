"""The orders waiting for a person: how long, how much money, by approver level; each approver's time to decision."""

from collections import defaultdict
from datetime import timedelta

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kit.money import money

from .. import charts, selectors
from ..charts import Series, Table, count, counted, duration


def _orders(number: int) -> str:
    return counted(ngettext("%(count)s order", "%(count)s orders", number), number)


def _level_label(level: int) -> str:
    if level < 0:
        return _("Not yet notified")
    if level == 0:
        return _("At the 1st approver")
    if level == 1:
        return _("At the 2nd approver")
    if level == 2:
        return _("At the 3rd approver")
    return _("At approver %(number)s") % {"number": level + 1}


def _level_series(levels) -> list[Series]:
    return [Series(level, _level_label(level), f"level-{min(level + 1, 4)}") for level in sorted(levels)]


def queue_age_chart(*, queue, now) -> charts.Chart:
    rows_by_age = [defaultdict(int) for _limit in selectors.AGE_LIMITS]
    for cell in queue:
        rows_by_age[cell.age][cell.level] += cell.count
    series = _level_series({cell.level for cell in queue})
    waiting = sum(cell.count for cell in queue)
    if waiting:
        oldest = min(cell.oldest for cell in queue)
        later = sum(cell.count for cell in queue if cell.level >= 1)
        summary = ngettext(
            "%(count)s order waits for a decision; the oldest has waited %(oldest)s.",
            "%(count)s orders wait for a decision; the oldest has waited %(oldest)s.",
            waiting,
        ) % {"count": count(waiting), "oldest": duration(now - oldest)}
        ages = "; ".join(
            f"{label}: {count(sum(rows_by_age[index].values()))}"
            for index, (label, _limit) in enumerate(selectors.AGE_LIMITS)
            if rows_by_age[index]
        )
        summary += " " + _("Waiting %(ages)s.") % {"ages": ages} + " "
        if later:
            summary += ngettext(
                "%(count)s order passed on to a 2nd approver or later.",
                "%(count)s orders passed on to a 2nd approver or later.",
                later,
            ) % {"count": count(later)}
        else:
            summary += _("None has been passed on to a 2nd approver yet.")
    else:
        summary = _("No order waits for approval.")
    rows = [
        (str(label), dict(rows_by_age[index]), _orders(sum(rows_by_age[index].values())))
        for index, (label, _limit) in enumerate(selectors.AGE_LIMITS)
    ]
    table = Table(
        [_("Waiting"), *(one.label for one in series), _("All")],
        [
            [label, *(count(values.get(one.key, 0)) for one in series), count(sum(values.values()))]
            for label, values, _after in rows
        ],
    )
    return charts.horizontal_bars(
        slug="queue-age",
        title=_("How long orders wait, by approver level"),
        summary=summary,
        rows=rows if waiting else [],
        series=series,
        table=table if waiting else Table([], []),
        x_label=_("orders"),
    )


def value_waiting_chart(*, queue, currency: str) -> charts.Chart:
    paid = [0 for _limit in selectors.AGE_LIMITS]
    seller = [0 for _limit in selectors.AGE_LIMITS]
    for cell in queue:
        paid[cell.age] += cell.paid_value_cents
        seller[cell.age] += cell.seller_value_cents
    total = sum(paid)
    if total:
        older = sum(
            paid[index]
            for index, (_label, limit) in enumerate(selectors.AGE_LIMITS)
            if limit is None or limit > timedelta(days=1)
        )
        summary = _(
            "%(paid)s waits for a decision (the seller's price of those orders: %(seller)s); "
            "%(older)s of it has waited a day or more."
        ) % {
            "paid": money(total, currency),
            "seller": money(sum(seller), currency),
            "older": money(older, currency),
        }
    else:
        summary = _("No money waits for a decision.")
    rows = [
        (str(label), {"paid": paid[index]}, money(paid[index], currency))
        for index, (label, _limit) in enumerate(selectors.AGE_LIMITS)
    ]
    table = Table(
        [_("Waiting"), _("Paid value"), _("Seller value")],
        [
            [label, money(paid[index], currency), money(seller[index], currency)]
            for index, (label, _limit) in enumerate(selectors.AGE_LIMITS)
        ],
    )
    return charts.horizontal_bars(
        slug="value-waiting",
        title=_("Value waiting for a decision, by age"),
        summary=summary,
        rows=rows if total else [],
        series=[Series("paid", _("Paid value"), "manual")],
        table=table if total else Table([], []),
        value_text=lambda cents: money(round(cents), currency),
        whole=False,
        x_label=_("paid value"),
    )


def approver_chart(*, times) -> charts.Chart:
    if times:
        decisions = sum(one.decisions for one in times)
        slowest = times[0]
        each = "; ".join(
            ngettext(
                "%(approver)s: %(count)s decided, %(average)s after holding on average",
                "%(approver)s: %(count)s decided, %(average)s after holding on average",
                one.decisions,
            )
            % {"approver": one.email, "count": count(one.decisions), "average": duration(one.average)}
            for one in times
        )
        summary = ngettext(
            "%(count)s approver decided %(orders)s in the period. %(each)s.",
            "%(count)s approvers decided %(orders)s in the period. %(each)s.",
            len(times),
        ) % {"count": count(len(times)), "orders": _orders(decisions), "each": each}
        if len(times) > 1:
            summary += " " + _("%(approver)s took longest on average.") % {"approver": slowest.email}
    else:
        summary = _("No order was approved or denied in the period.")
    rows = [
        (
            one.email,
            {"average": one.average.total_seconds()},
            ngettext("%(average)s · %(count)s decided", "%(average)s · %(count)s decided", one.decisions)
            % {"average": duration(one.average), "count": count(one.decisions)},
        )
        for one in times
    ]
    table = Table(
        [_("Approver"), _("Approved"), _("Denied"), _("Average wait"), _("Longest wait")],
        [
            [one.email, count(one.approved), count(one.denied), duration(one.average), duration(one.longest)]
            for one in times
        ],
    )
    return charts.horizontal_bars(
        slug="approvers",
        title=_("Time to decision, per approver"),
        summary=summary,
        rows=rows,
        series=[Series("average", _("Average time from holding to decision"), "level-1")],
        table=table,
        value_text=lambda seconds: duration(timedelta(seconds=seconds)),
        whole=False,
        x_label=_("average time to decision"),
    )
