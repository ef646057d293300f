"""The dashboard of one account over one period: the selectors' numbers turned into pictures and words.

`build` reads everything the page shows; each picture is drawn, with the sentence that says
what it shows and the table behind it, by a module of its own:

- `decisions`: how far decided orders diverged, over today's bands, and the decisions per day under
  the band each was made under.
- `queue`: how long orders wait and how much money waits, and each approver's time to decision.
- `sources`: the connectors and SKUs with the most divergence, and what item prices leave unexplained.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from authorization.selectors import account_bands

from .. import charts, selectors
from .decisions import decisions_chart, divergence_chart
from .queue import approver_chart, queue_age_chart, value_waiting_chart
from .sources import sources_chart


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
    bands = account_bands(account=account) or []
    steps = selectors.divergence_steps(account=account, period=period)
    decided = sum(cell.count for cell in cells)
    currency = account.currency
    pictures = [
        divergence_chart(account=account, period=period, cells=cells, bands=bands, counts=steps.counts),
        decisions_chart(period=period, cells=cells, bands=bands),
        queue_age_chart(queue=queue, now=now),
        value_waiting_chart(queue=queue, currency=currency),
        approver_chart(times=selectors.approver_times(account=account, period=period)),
        sources_chart(
            slug="connectors",
            title=_("Connectors with the most divergence"),
            sources=selectors.connectors_by_divergence(account=account, period=period),
            currency=currency,
        ),
        sources_chart(
            slug="skus",
            title=_("SKUs with the most divergence"),
            sources=selectors.skus_by_divergence(account=account, period=period),
            currency=currency,
            totals=selectors.divergence_totals(account=account, period=period, steps=steps),
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
