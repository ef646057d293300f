"""The catalog's screens in Portuguese and Spanish: every word of ours translated, money read and
written as the reader writes it, in the account's currency."""

import pytest

from catalog.models import ShippingPolicy, Sku
from tests.factories import SkuFactory, StockFactory, WarehouseFactory
from tests.support.i18n_screens import screen_english_left as english_left
from tests.support.pages import markup, text

SKUS = "/admin/catalog/sku/"
LANGUAGES = [("pt-BR", "pt_BR"), ("es", "es")]


@pytest.fixture
def shirt(account):
    sku = SkuFactory(account=account, sku_id="1", name="Camisa", price_cents=123456, sales_channels=["1"])
    StockFactory(sku=sku, quantity=10, reserved=3)
    return sku


def sku_form(account, price: str, **more) -> dict:
    return {
        "account": account.pk,
        "sku_id": "10",
        "name": "Boné",
        "price_cents": price,
        "active": "on",
        "sales_channels": "1",
        "stock-TOTAL_FORMS": "0",
        "stock-INITIAL_FORMS": "0",
        **more,
    }


@pytest.mark.parametrize(("accept", "language"), LANGUAGES)
def test_the_sku_list_speaks_the_readers_language_and_shows_prices_in_the_accounts_currency(
    owner_client, shirt, accept, language
):
    response = owner_client.get(SKUS, HTTP_ACCEPT_LANGUAGE=accept)
    assert english_left(response, language) == []
    assert {"pt_BR": "R$\xa01.234,56", "es": "1.234,56\xa0BRL"}[language] in markup(response)
    assert {"pt_BR": "estoque disponível", "es": "inventario disponible"}[language] in text(response).lower()


@pytest.mark.parametrize(("accept", "language"), LANGUAGES)
def test_the_sku_form_speaks_the_readers_language_and_shows_the_price_as_money(
    owner_client, shirt, accept, language
):
    response = owner_client.get(f"{SKUS}{shirt.pk}/change/", HTTP_ACCEPT_LANGUAGE=accept)
    assert english_left(response, language) == []
    page = markup(response)
    assert 'name="price_cents" value="1.234,56"' in page
    assert {"pt_BR": "Preço", "es": "Precio"}[language] in text(response)
    assert "(cents)" not in page
    assert english_left(owner_client.get(f"{SKUS}add/", HTTP_ACCEPT_LANGUAGE=accept), language) == []


def test_the_price_input_shows_the_accounts_currency_beside_it(owner_client, shirt):
    page = markup(owner_client.get(f"{SKUS}{shirt.pk}/change/", HTTP_ACCEPT_LANGUAGE="pt-BR"))
    assert '<span class="oa-currency">R$</span> <input type="text" name="price_cents"' in page


def test_a_price_typed_in_portuguese_is_stored_in_cents(owner_client, account):
    response = owner_client.post(f"{SKUS}add/", sku_form(account, "1.234,56"), HTTP_ACCEPT_LANGUAGE="pt-BR")
    assert response.status_code == 302, text(response)
    assert Sku.objects.get(sku_id="10").price_cents == 123456


@pytest.mark.parametrize(
    ("accept", "language", "error"),
    [
        ("pt-BR", "pt_BR", "Informe um valor em dinheiro, como 1.234,56."),
        ("es", "es", "Ingrese un importe, como 1.234,56."),
        ("en", "en", "Enter an amount of money, such as 1,234.56."),
    ],
)
def test_a_price_that_is_no_amount_is_refused_in_the_readers_language_and_nothing_typed_is_lost(
    owner_client, account, accept, language, error
):
    response = owner_client.post(f"{SKUS}add/", sku_form(account, "abc"), HTTP_ACCEPT_LANGUAGE=accept)
    page = markup(response)
    assert error in text(response)
    assert 'name="price_cents" value="abc"' in page
    assert 'name="name" value="Boné"' in page and 'name="sku_id" value="10"' in page
    assert not Sku.objects.exists()


def test_a_negative_price_is_refused(owner_client, account):
    response = owner_client.post(f"{SKUS}add/", sku_form(account, "-1,00"), HTTP_ACCEPT_LANGUAGE="pt-BR")
    assert "Informe R$\xa00,00 ou mais." in markup(response)
    assert not Sku.objects.exists()


def test_the_shipping_policys_freight_is_typed_and_listed_as_money(owner_client, account):
    warehouse = WarehouseFactory(account=account, warehouse_id="WH1")
    response = owner_client.post(
        "/admin/catalog/shippingpolicy/add/",
        {
            "account": account.pk,
            "policy_id": "Expressa",
            "delivery_channel": "delivery",
            "freight_cents": "9,90",
            "estimate": "3bd",
            "active": "on",
            "warehouses": [warehouse.pk],
        },
        HTTP_ACCEPT_LANGUAGE="pt-BR",
    )
    assert response.status_code == 302, text(response)
    assert ShippingPolicy.objects.get().freight_cents == 990
    for accept, language in LANGUAGES:
        listing = owner_client.get("/admin/catalog/shippingpolicy/", HTTP_ACCEPT_LANGUAGE=accept)
        assert english_left(listing, language) == []
        assert {"pt_BR": "R$\xa09,90", "es": "9,90\xa0BRL"}[language] in markup(listing)
        assert {"pt_BR": "Entrega", "es": "Entrega a domicilio"}[language] in text(listing)


@pytest.mark.parametrize(("accept", "language"), LANGUAGES)
def test_the_other_catalog_screens_speak_the_readers_language(owner_client, shirt, accept, language):
    policy_url = "/admin/catalog/shippingpolicy/add/"
    for url in (
        "/admin/catalog/stock/",
        "/admin/catalog/warehouse/",
        "/admin/catalog/pickuppoint/",
        "/admin/catalog/pickuppoint/add/",
        policy_url,
        f"{SKUS}import/",
        "/admin/catalog/stock/import/",
    ):
        assert english_left(owner_client.get(url, HTTP_ACCEPT_LANGUAGE=accept), language) == [], url
