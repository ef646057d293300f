"""Why an order diverges: the difference between seller value and paid value, in parts that add up.

`divergence_explain` is pure: from an order's lines and totals (integer cents) it breaks
`seller − paid` into components that sum to it exactly — each item's price difference times its
quantity, freight, and what the marketplace took off (or added to) its own total — and reads
likely causes from what the app knows: a price the SKU had earlier, the seller's freight policy,
a round promotion. Taxes and interest are declared by the marketplace and count on both sides:
they are shown, never counted. `describe_component` and `describe_cause` put them in words, in
the reader's language and the account's currency.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from kit.money import money

# A marketplace price this many percent below the seller's, to the cent, reads as a promotion.
ROUND_PROMOTIONS = tuple(Decimal(percent) for percent in range(5, 95, 5))


class Kind(StrEnum):
    ITEM = "item"  # (seller unit − paid unit) × quantity of one line
    FREIGHT = "freight"  # seller freight − the marketplace's, lines the seller delivers
    DISCOUNT = "marketplace-discount"  # the marketplace paid less than its own lines add up to
    SURCHARGE = "marketplace-surcharge"  # … or more
    TAXES = "taxes"  # shown, not counted
    INTEREST = "interest"  # shown, not counted


class CauseKind(StrEnum):
    EARLIER_PRICE = "earlier-price"
    FREIGHT_POLICY = "freight-policy"
    PROMOTION = "promotion"
    MARKETPLACE_DISCOUNT = "marketplace-discount"
    MARKETPLACE_SURCHARGE = "marketplace-surcharge"


@dataclass(frozen=True)
class Line:
    """One item line of an order, as the marketplace priced it and as the seller does."""

    sku: str
    name: str
    quantity: int
    paid_unit_cents: int
    seller_unit_cents: int
    paid_freight_cents: int = 0
    seller_freight_cents: int = 0


@dataclass(frozen=True)
class PricePeriod:
    """A price a SKU had, and when it stopped having it."""

    price_cents: int
    until: datetime


@dataclass(frozen=True)
class Component:
    kind: Kind
    cents: int  # its part of seller − paid; 0 for what is shown but not counted
    sku: str | None = None
    name: str = ""
    quantity: int = 0
    paid_cents: int = 0  # the marketplace's unit price or freight; taxes and interest: their value
    seller_cents: int = 0

    @property
    def counted(self) -> bool:
        return self.kind not in (Kind.TAXES, Kind.INTEREST)


@dataclass(frozen=True)
class Cause:
    kind: CauseKind
    sku: str | None = None
    paid_cents: int = 0
    seller_cents: int = 0
    until: datetime | None = None
    percent: Decimal | None = None


@dataclass(frozen=True)
class Explanation:
    difference_cents: int  # seller − paid
    components: tuple[Component, ...]
    causes: tuple[Cause, ...]


def divergence_explain(
    *,
    lines: Sequence[Line],
    seller_value_cents: int,
    paid_value_cents: int,
    marketplace_delivers: bool = False,
    tax_cents: int = 0,
    interest_cents: int = 0,
    earlier_prices: Mapping[str, Iterable[PricePeriod]] | None = None,
) -> Explanation:
    """Break `seller − paid` into components that add up to it exactly, and name likely causes.

    `marketplace_delivers` (isFob): freight is the marketplace's and on neither side.
    `earlier_prices` are the periods of each SKU's earlier prices, before the order.
    """
    difference = seller_value_cents - paid_value_cents
    components = [
        Component(
            Kind.ITEM,
            (line.seller_unit_cents - line.paid_unit_cents) * line.quantity,
            sku=line.sku,
            name=line.name,
            quantity=line.quantity,
            paid_cents=line.paid_unit_cents,
            seller_cents=line.seller_unit_cents,
        )
        for line in lines
        if line.seller_unit_cents != line.paid_unit_cents
    ]
    if not marketplace_delivers:
        seller_freight = sum(line.seller_freight_cents for line in lines)
        paid_freight = sum(line.paid_freight_cents for line in lines)
        if seller_freight != paid_freight:
            components.append(
                Component(
                    Kind.FREIGHT,
                    seller_freight - paid_freight,
                    paid_cents=paid_freight,
                    seller_cents=seller_freight,
                )
            )
    # What is left is the marketplace's own doing: it paid less (or more) than its lines add up to.
    rest = difference - sum(component.cents for component in components)
    if rest:
        components.append(Component(Kind.DISCOUNT if rest > 0 else Kind.SURCHARGE, rest))
    if tax_cents:
        components.append(Component(Kind.TAXES, 0, paid_cents=tax_cents, seller_cents=tax_cents))
    if interest_cents:
        components.append(Component(Kind.INTEREST, 0, paid_cents=interest_cents, seller_cents=interest_cents))
    return Explanation(difference, tuple(components), _causes(components, earlier_prices or {}))


def _causes(
    components: list[Component], earlier_prices: Mapping[str, Iterable[PricePeriod]]
) -> tuple[Cause, ...]:
    causes = []
    for component in components:
        if component.kind is Kind.ITEM:
            line = {
                "sku": component.sku,
                "paid_cents": component.paid_cents,
                "seller_cents": component.seller_cents,
            }
            earlier = _last_period_at(earlier_prices.get(component.sku, ()), component.paid_cents)
            if earlier is not None:
                causes.append(Cause(CauseKind.EARLIER_PRICE, until=earlier.until, **line))
            elif (percent := _round_promotion(component.paid_cents, component.seller_cents)) is not None:
                causes.append(Cause(CauseKind.PROMOTION, percent=percent, **line))
        elif component.kind is Kind.FREIGHT:
            causes.append(
                Cause(
                    CauseKind.FREIGHT_POLICY,
                    paid_cents=component.paid_cents,
                    seller_cents=component.seller_cents,
                )
            )
        elif component.kind is Kind.DISCOUNT:
            causes.append(Cause(CauseKind.MARKETPLACE_DISCOUNT, paid_cents=component.cents))
        elif component.kind is Kind.SURCHARGE:
            causes.append(Cause(CauseKind.MARKETPLACE_SURCHARGE, paid_cents=-component.cents))
    return tuple(causes)


def _last_period_at(periods: Iterable[PricePeriod], price_cents: int) -> PricePeriod | None:
    matching = [period for period in periods if period.price_cents == price_cents]
    return max(matching, key=lambda period: period.until) if matching else None


def _round_promotion(paid_cents: int, seller_cents: int) -> Decimal | None:
    """The round percentage the paid price is below the seller's, to the cent, if it is one."""
    if not 0 < paid_cents < seller_cents:
        return None
    for percent in ROUND_PROMOTIONS:
        expected = Decimal(seller_cents) * (100 - percent) / 100
        if abs(expected - paid_cents) < 1:
            return percent
    return None


# In words --------------------------------------------------------------------------------------


def describe_component(component: Component, currency: str) -> str:
    """The component as an approver reads it, in the active language."""
    values = {
        "sku": component.sku,
        "name": component.name or component.sku,
        "quantity": component.quantity,
        "paid": money(component.paid_cents, currency),
        "seller": money(component.seller_cents, currency),
        "cents": money(abs(component.cents), currency),
    }
    if component.kind is Kind.ITEM:
        return _("%(name)s (SKU %(sku)s): %(quantity)s × %(paid)s, your price %(seller)s") % values
    if component.kind is Kind.FREIGHT:
        return _("Freight: %(paid)s paid, your shipping policy charges %(seller)s") % values
    if component.kind is Kind.DISCOUNT:
        return _("The marketplace paid %(cents)s less than its own items and freight add up to") % values
    if component.kind is Kind.SURCHARGE:
        return _("The marketplace paid %(cents)s more than its own items and freight add up to") % values
    if component.kind is Kind.TAXES:
        return _("Taxes of %(paid)s, declared by the marketplace: on both sides, not counted") % values
    return _("Interest of %(paid)s, declared by the marketplace: on both sides, not counted") % values


def describe_cause(cause: Cause, currency: str) -> str:
    """The likely cause as an approver reads it, in the active language and the reader's time zone."""
    values = {
        "sku": cause.sku,
        "paid": money(cause.paid_cents, currency),
        "seller": money(cause.seller_cents, currency),
    }
    if cause.kind is CauseKind.EARLIER_PRICE:
        values["until"] = formats.date_format(timezone.localtime(cause.until), "SHORT_DATETIME_FORMAT")
        return _("SKU %(sku)s: paid %(paid)s, which was your price until %(until)s") % values
    if cause.kind is CauseKind.PROMOTION:
        values["percent"] = formats.number_format(cause.percent, 0)
        return _("SKU %(sku)s: %(paid)s is %(percent)s %% off your %(seller)s, like a promotion") % values
    if cause.kind is CauseKind.FREIGHT_POLICY:
        return (
            _("The marketplace's freight (%(paid)s) differs from your shipping policy's (%(seller)s)")
            % values
        )
    if cause.kind is CauseKind.MARKETPLACE_DISCOUNT:
        return _("The marketplace gave a discount of %(paid)s on its own total") % values
    return _("The marketplace added a fee or surcharge of %(paid)s to its own total") % values
