"""Where divergence comes from: the connectors and the SKUs with the most of it.

An order diverges when what the marketplace paid differs from the seller's value; its item
lines diverge only when an item's price does. The SKUs' picture says how much of the orders'
divergence the item prices explain, and that the rest is in the orders' totals (freight,
taxes, a discount or a fee on the whole order), so that "no item line diverged" never stands
beside divergent orders unexplained.
"""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kit.money import money

from .. import charts, selectors
from ..charts import Series, Table, count, counted, share


def _gap_words(gap_cents: int, currency: str) -> str:
    if gap_cents >= 0:
        return _("paid %(money)s less than the seller's prices") % {"money": money(gap_cents, currency)}
    return _("paid %(money)s more than the seller's prices") % {"money": money(-gap_cents, currency)}


def _words(slug: str) -> dict[str, str]:
    """What each picture calls the things it counts."""
    if slug == "skus":
        return {
            "top": _(
                "%(source)s had the most divergence: %(divergent)s of %(decided)s item lines (%(share)s), %(gap)s."
            ),
            "divergent": _("Divergent item lines"),
            "all": _("All item lines"),
            "axis": _("divergent item lines"),
        }
    return {
        "top": _(
            "%(source)s had the most divergence: %(divergent)s of %(decided)s orders (%(share)s), %(gap)s."
        ),
        "divergent": _("Divergent orders"),
        "all": _("All orders"),
        "axis": _("divergent orders"),
    }


def _of(divergent: int, decided: int) -> str:
    return _("%(divergent)s of %(decided)s") % {"divergent": count(divergent), "decided": count(decided)}


def items_explained(totals: selectors.DivergenceTotals, currency: str) -> str:
    """Say how much of the divergent orders' difference the item prices explain, and where the rest is."""
    orders = totals.divergent_orders
    if not orders or (totals.divergent_lines and not totals.outside_items_cents):
        return ""
    facts = {
        "orders": counted(ngettext("%(count)s order", "%(count)s orders", orders), orders),
        "difference": money(totals.order_gap_cents, currency),
        "items": money(totals.item_gap_cents, currency),
        "rest": money(totals.outside_items_cents, currency),
    }
    if not totals.divergent_lines:
        return (
            _(
                "No item was sold at a price other than the seller's: the %(orders)s that diverged "
                "(seller's prices − paid: %(difference)s) diverged in their totals — freight, taxes, "
                "or a discount or fee the marketplace applied to the whole order."
            )
            % facts
        )
    return (
        _(
            "Item prices account for %(items)s of the %(difference)s between the seller's prices and what "
            "the %(orders)s that diverged were paid; the other %(rest)s is in the orders' totals — freight, "
            "taxes, or a discount or fee the marketplace applied to the whole order."
        )
        % facts
    )


def sources_chart(*, slug, title, sources, currency, totals: selectors.DivergenceTotals | None = None):
    """The sources with the most divergence; with `totals`, what the item prices leave unexplained."""
    words = _words(slug)
    explained = items_explained(totals, currency) if totals is not None else ""
    if sources:
        top = sources[0]
        summary = words["top"] % {
            "source": top.label,
            "divergent": count(top.divergent),
            "decided": count(top.decided),
            "share": share(top.divergent, top.decided),
            "gap": _gap_words(top.gap_cents, currency),
        }
        if len(sources) > 1:
            others = "; ".join(
                _("%(source)s: %(count)s") % {"source": one.label, "count": _of(one.divergent, one.decided)}
                for one in sources[1:4]
            )
            summary += " " + _("Then %(others)s.") % {"others": others}
        if explained:
            summary += " " + explained
    elif explained:
        summary = explained
    elif slug == "skus":
        summary = _("No item line diverged in the period.")
    else:
        summary = _("No order diverged in the period.")
    rows = [
        (
            one.label,
            {"divergent": one.divergent},
            f"{_of(one.divergent, one.decided)} ({share(one.divergent, one.decided)})",
        )
        for one in sources
    ]
    table = Table(
        ["", words["divergent"], words["all"], _("Seller's price − paid")],
        [
            [one.label, count(one.divergent), count(one.decided), money(one.gap_cents, currency)]
            for one in sources
        ],
    )
    return charts.horizontal_bars(
        slug=slug,
        title=title,
        summary=summary,
        rows=rows,
        series=[Series("divergent", words["divergent"], "deny")],
        table=table,
        x_label=words["axis"],
    )
