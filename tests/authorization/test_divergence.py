"""Seller value, paid value and divergence of PRODUCT.md §4."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from authorization.divergence import divergence_percent, paid_value_cents, seller_value_cents

cents = st.integers(min_value=1, max_value=10**10)


def test_contract_example_has_no_divergence():
    seller = seller_value_cents(item_lines=[(975, 1)], freight_lines=[(2050, 1)])
    assert seller == 3025
    assert divergence_percent(seller_value_cents=seller, paid_value_cents=3025) == Decimal("0.00")


def test_seller_value_adds_quantities_freight_taxes_and_interest():
    seller = seller_value_cents(
        item_lines=[(1000, 2), (500, 3)], freight_lines=[(100, 2)], tax_cents=150, interest_cents=75
    )
    assert seller == 2000 + 1500 + 200 + 150 + 75


def test_marketplace_freight_is_taken_out_of_the_paid_value():
    assert paid_value_cents(payment_value_cents=3025, marketplace_freight_cents=2050) == 975
    # The seller delivers: the whole payment is for what the seller prices.
    assert paid_value_cents(payment_value_cents=3025) == 3025


def test_paying_less_is_a_positive_divergence_rounded_half_up():
    assert divergence_percent(seller_value_cents=3000, paid_value_cents=2700) == Decimal("10.00")
    assert divergence_percent(seller_value_cents=3, paid_value_cents=2) == Decimal("33.33")
    assert divergence_percent(seller_value_cents=8, paid_value_cents=7) == Decimal("12.50")
    assert divergence_percent(seller_value_cents=200000, paid_value_cents=199999) == Decimal("0.00")
    assert divergence_percent(seller_value_cents=40000, paid_value_cents=39998) == Decimal("0.01")


def test_paying_more_is_a_negative_divergence():
    assert divergence_percent(seller_value_cents=1000, paid_value_cents=1100) == Decimal("-10.00")


def test_zero_seller_value():
    assert divergence_percent(seller_value_cents=0, paid_value_cents=0) == Decimal("0.00")
    assert divergence_percent(seller_value_cents=0, paid_value_cents=100) == Decimal("-100.00")


@given(cents, st.integers(min_value=0, max_value=10**10))
def test_divergence_has_two_decimals_and_the_sign_of_the_shortfall(seller, paid):
    d = divergence_percent(seller_value_cents=seller, paid_value_cents=paid)
    assert d.as_tuple().exponent == -2
    assert d <= 100
    assert (d > 0) == (paid < seller) or d == 0
