"""The dashboard in Portuguese and Spanish, money in the account's currency, and agreeing with itself."""

import pytest

from insight.models import DecisionRecord
from tests.insight.conftest import DASHBOARD
from tests.orders.payloads import order_body
from tests.support.dashboard import caption, tile
from tests.support.i18n import english_left, outside_the_sidebar
from tests.support.pages import markup


@pytest.mark.parametrize(
    ("accept", "language", "waiting_value", "words", "held"),
    [
        ("pt-BR", "pt_BR", "R$\xa025,71", "pedidos decididos no período", "1 retido para aprovação"),
        # as CLDR writes reais in Spanish
        ("es", "es", "25,71\xa0BRL", "pedidos decididos en el período", "1 retenido para aprobación"),
    ],
)
def test_the_dashboard_speaks_the_readers_language_with_money_in_the_accounts_currency(
    client, owner, placed, accept, language, waiting_value, words, held
):
    client.force_login(owner)
    page = markup(client.get(DASHBOARD, HTTP_ACCEPT_LANGUAGE=accept))

    assert english_left(outside_the_sidebar(page), language) == []
    assert words in page
    assert tile(page, "waiting-value") == waiting_value
    assert "15,5" in caption(page, "divergence")  # half of the divergent orders, in the reader's format
    assert held in caption(page, "divergence")  # one order, in the singular


def test_the_decisions_list_speaks_the_readers_language(client, owner, placed):
    client.force_login(owner)
    page = markup(client.get("/admin/insight/decisionrecord/", HTTP_ACCEPT_LANGUAGE="pt-BR"))

    assert english_left(outside_the_sidebar(page), "pt_BR") == []
    assert "Aguardando aprovação" in page


def test_orders_that_diverged_only_in_freight_are_explained_not_contradicted(client, owner, mkp, rule):
    """Item prices as the seller's, freight lower than the seller's: the orders diverged, no item line did."""
    for number in range(3):
        mkp.place(
            order_body(
                marketplaceOrderId=f"F{number}",
                marketplacePaymentValue=2950,  # the item at 9.75 as priced, the freight 19.75 for 20.50
                logistics={"price": 1975},
            )
        )
    assert all(
        not any(value != "0" and float(value) for value in record.item_divergences)
        for record in DecisionRecord.objects.all()
    )
    client.force_login(owner)
    page = markup(client.get(DASHBOARD))

    connectors, skus = caption(page, "connectors"), caption(page, "skus")
    assert connectors.startswith("SkyHub (MKP) had the most divergence: 3 of 3 orders")
    assert "No item lines diverged" not in skus
    assert skus == (
        "No item was sold at a price other than the seller's: the 3 orders that diverged "
        "(seller's prices − paid: R$2.25) diverged in their totals — freight, taxes, "
        "or a discount or fee the marketplace applied to the whole order."
    )


def test_decisions_made_under_a_band_since_changed_are_named_so(client, owner, placed, shop):
    from authorization.services import rule_replace
    from tests.factories import band

    rule_replace(account=shop.account, bands=[band(0, 10, "authorize"), band(10, 100, "deny")], actor=owner)
    client.force_login(owner)
    page = markup(client.get(DASHBOARD))

    assert "Held for approval by 5–20 % (a band since changed)" in page
    assert "3 decisions were made under bands since changed (0–5 %; 20–100 %; 5–20 %)" in caption(
        page, "divergence"
    )
