"""Where divergence comes from: the connectors and the SKUs with the most of it."""

from .. import charts
from ..charts import Series, Table, count, money, share


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
