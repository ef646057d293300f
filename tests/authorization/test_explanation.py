"""An order's divergence explained: components that add up to seller − paid, and likely causes."""

import datetime

from hypothesis import given
from hypothesis import strategies as st

from authorization.explanation import (
    CauseKind,
    Kind,
    Line,
    PricePeriod,
    describe_cause,
    describe_component,
    divergence_explain,
)
from tests.support.i18n import language

NOON = datetime.datetime(2026, 12, 5, 14, 2, tzinfo=datetime.UTC)


def test_a_discount_the_marketplace_gave_on_its_own_total_is_named():
    """The issue's order: item and freight as the seller's, yet paid 127.78 of 138.90."""
    lines = [Line("1001", "Mug", 1, 12900, 12900, 990, 990)]
    explained = divergence_explain(lines=lines, seller_value_cents=13890, paid_value_cents=12778)

    assert explained.difference_cents == 1112
    assert [(c.kind, c.cents) for c in explained.components] == [(Kind.DISCOUNT, 1112)]
    assert [cause.kind for cause in explained.causes] == [CauseKind.MARKETPLACE_DISCOUNT]
    with language("pt-br"):
        assert describe_component(explained.components[0], "BRL") == (
            "O marketplace pagou R$\xa011,12 a menos do que somam os próprios itens e frete"
        )
        assert describe_cause(explained.causes[0], "BRL") == (
            "O marketplace deu um desconto de R$\xa011,12 sobre o próprio total"
        )
    with language("en"):
        assert describe_component(explained.components[0], "BRL") == (
            "The marketplace paid R$11.12 less than its own items and freight add up to"
        )


def test_an_item_paid_at_a_price_the_sku_had_earlier_says_until_when():
    lines = [Line("1001", "Mug", 2, 11900, 12900, 990, 990)]
    history = {"1001": [PricePeriod(9900, NOON - datetime.timedelta(days=30)), PricePeriod(11900, NOON)]}
    explained = divergence_explain(
        lines=lines, seller_value_cents=26790, paid_value_cents=24790, earlier_prices=history
    )

    assert [(c.kind, c.cents, c.sku) for c in explained.components] == [(Kind.ITEM, 2000, "1001")]
    (cause,) = explained.causes
    assert (cause.kind, cause.until) == (CauseKind.EARLIER_PRICE, NOON)
    with language("en"):
        assert describe_component(explained.components[0], "BRL") == (
            "Mug (SKU 1001): 2 × R$119.00, your price R$129.00"
        )
        assert describe_cause(cause, "BRL").startswith("SKU 1001: paid R$119.00, which was your price until ")


def test_a_round_percentage_off_reads_as_a_promotion_and_freight_against_the_policy():
    lines = [Line("7", "Lamp", 1, 9000, 10000, 1500, 990)]
    explained = divergence_explain(lines=lines, seller_value_cents=10990, paid_value_cents=10500)

    assert [(c.kind, c.cents) for c in explained.components] == [(Kind.ITEM, 1000), (Kind.FREIGHT, -510)]
    assert [cause.kind for cause in explained.causes] == [CauseKind.PROMOTION, CauseKind.FREIGHT_POLICY]
    with language("es"):
        assert "10" in describe_cause(explained.causes[0], "BRL")


def test_taxes_and_interest_are_shown_not_counted_and_the_marketplaces_freight_is_on_neither_side():
    lines = [Line("1", "Shirt", 1, 975, 975, 2050, 0)]
    explained = divergence_explain(
        lines=lines,
        seller_value_cents=975 + 300 + 100,
        paid_value_cents=975 + 300 + 100,
        marketplace_delivers=True,
        tax_cents=300,
        interest_cents=100,
    )

    assert [(c.kind, c.cents) for c in explained.components] == [(Kind.TAXES, 0), (Kind.INTEREST, 0)]
    assert explained.causes == ()
    assert not any(c.counted for c in explained.components)


def test_a_marketplace_paying_more_than_its_lines_is_a_surcharge():
    lines = [Line("1", "Shirt", 1, 975, 975, 2050, 2050)]
    explained = divergence_explain(lines=lines, seller_value_cents=3025, paid_value_cents=3325)
    assert [(c.kind, c.cents) for c in explained.components] == [(Kind.SURCHARGE, -300)]
    assert explained.causes[0].kind is CauseKind.MARKETPLACE_SURCHARGE


lines_strategy = st.lists(
    st.builds(
        Line,
        sku=st.sampled_from(["1", "2", "3"]),
        name=st.just("x"),
        quantity=st.integers(1, 50),
        paid_unit_cents=st.integers(0, 10**7),
        seller_unit_cents=st.integers(0, 10**7),
        paid_freight_cents=st.integers(0, 10**5),
        seller_freight_cents=st.integers(0, 10**5),
    ),
    max_size=6,
)


@given(
    lines=lines_strategy,
    seller=st.integers(0, 10**9),
    paid=st.integers(0, 10**9),
    fob=st.booleans(),
    tax=st.integers(0, 10**5),
    interest=st.integers(0, 10**5),
)
def test_the_components_add_up_to_the_difference_exactly(lines, seller, paid, fob, tax, interest):
    explained = divergence_explain(
        lines=lines,
        seller_value_cents=seller,
        paid_value_cents=paid,
        marketplace_delivers=fob,
        tax_cents=tax,
        interest_cents=interest,
    )
    assert sum(component.cents for component in explained.components) == seller - paid
    assert all(component.cents for component in explained.components if component.counted)
