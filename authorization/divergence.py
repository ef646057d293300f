"""Seller value, paid value and price divergence: pure functions of integer cents.

PRODUCT.md §4. No ORM here; `orders` gathers the cents from the order and the catalog.
"""

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


def seller_value_cents(
    *,
    item_lines: Iterable[tuple[int, int]],
    freight_lines: Iterable[tuple[int, int]] = (),
    tax_cents: int = 0,
    interest_cents: int = 0,
) -> int:
    """Return what the seller expects: items and seller freight at catalog prices, plus pass-throughs.

    `item_lines` and `freight_lines` are `(unit cents, quantity)` pairs; leave out the freight
    of items the marketplace delivers (`isFob`). Taxes and interest are taken as declared.
    """
    goods = sum(unit * quantity for unit, quantity in item_lines)
    freight = sum(unit * quantity for unit, quantity in freight_lines)
    return goods + freight + tax_cents + interest_cents


def paid_value_cents(*, payment_value_cents: int, marketplace_freight_cents: int = 0) -> int:
    """Return what the marketplace pays for what the seller prices.

    Freight the marketplace charges for its own delivery (`isFob`) is not the seller's, so it
    is taken out and goods are compared with goods.
    """
    return payment_value_cents - marketplace_freight_cents


def divergence_percent(*, seller_value_cents: int, paid_value_cents: int) -> Decimal:
    """Return (seller − paid) / seller × 100, signed, rounded half-up to two decimals.

    Positive: the marketplace pays less than the seller's price. An order the seller prices at
    zero cannot be compared by ratio: nothing paid is no divergence, anything paid counts as
    a 100 % overpayment.
    """
    if seller_value_cents == 0:
        return Decimal("0.00") if paid_value_cents == 0 else Decimal("-100.00")
    ratio = Decimal(seller_value_cents - paid_value_cents) * HUNDRED / Decimal(seller_value_cents)
    return ratio.quantize(CENT, rounding=ROUND_HALF_UP)
