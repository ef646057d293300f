"""Money typed as people write it: MoneyField reads the reader's format and keeps integer cents."""

import pytest
from django import forms

from kit.forms import MoneyField
from tests.support.i18n import language


class PriceForm(forms.Form):
    price = MoneyField(currency="BRL")


@pytest.mark.parametrize(
    ("code", "typed", "cents"),
    [
        ("pt-br", "1.234,56", 123456),
        ("pt-br", "29,90", 2990),
        ("pt-br", "R$ 29,90", 2990),
        ("pt-br", "1234.56", 123456),
        ("es", "1.234,56", 123456),
        ("en", "1,234.56", 123456),
        ("en", "29.9", 2990),
    ],
)
def test_an_amount_is_read_as_the_readers_language_writes_it(code, typed, cents):
    with language(code):
        form = PriceForm({"price": typed})
        assert form.is_valid(), form.errors
    assert form.cleaned_data["price"] == cents


def test_cents_are_shown_as_an_amount_with_the_currency_beside_the_input():
    with language("pt-br"):
        shown = str(PriceForm(initial={"price": 123456})["price"])
    assert 'value="1.234,56"' in shown and 'inputmode="decimal"' in shown
    assert shown.startswith('<span class="oa-money-input"><span class="oa-currency">R$</span>')


@pytest.mark.parametrize(
    ("code", "typed", "error"),
    [
        ("pt-br", "abc", "Informe um valor em dinheiro, como 1.234,56."),
        ("es", "abc", "Ingrese un importe, como 1.234,56."),
        ("pt-br", "1,234", "Informe um valor em dinheiro, como 1.234,56."),  # a fraction of a cent
        ("pt-br", "-5", "Informe R$\xa00,00 ou mais."),
        ("en", "2000000000", "Enter R$1,000,000,000.00 or less."),
    ],
)
def test_what_is_no_amount_is_refused_in_the_readers_language_and_shown_back_as_typed(code, typed, error):
    with language(code):
        form = PriceForm({"price": typed})
        assert not form.is_valid()
        assert form.errors["price"] == [error]
        assert f'value="{typed}"' in str(form["price"])


def test_an_empty_amount_is_none_unless_required():
    assert not PriceForm({"price": ""}).is_valid()
    optional = MoneyField(required=False)
    assert optional.clean("") is None
    assert optional.has_changed(None, "") is False
    assert optional.has_changed(990, "9.90") is False
    assert optional.has_changed(990, "abc") is True
