"""Money read and written as people do: in the account's currency, in the reader's language."""

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template

from kit.money import amount, cents_parse, money, validate_currency
from tests.support.i18n import language


@pytest.mark.parametrize(
    ("code", "currency", "shown"),
    [
        ("pt-br", "BRL", "R$\xa01.234,56"),
        ("en", "BRL", "R$1,234.56"),
        ("es", "BRL", "1.234,56\xa0BRL"),
        ("pt-br", "USD", "US$\xa01.234,56"),
        ("en", "USD", "$1,234.56"),
    ],
)
def test_cents_are_shown_in_the_currency_as_the_readers_language_writes_it(code, currency, shown):
    with language(code):
        assert money(123456, currency) == shown


def test_a_difference_shows_its_sign_and_nothing_is_shown_for_no_amount():
    with language("pt-br"):
        assert money(1112, "BRL", signed=True) == "+R$\xa011,12"
        assert money(-1112, "BRL", signed=True) == "-R$\xa011,12"
        assert money(0, "BRL", signed=True) == "R$\xa00,00"
        assert money(None, "BRL") == ""
        assert amount(123456) == "1.234,56"


def test_templates_show_cents_as_money():
    with language("pt-br"):
        rendered = Template("{% load money %}{{ cents|money:'BRL' }} {{ diff|signed_money:'BRL' }}").render(
            Context({"cents": 12778, "diff": 1112})
        )
    assert rendered == "R$\xa0127,78 +R$\xa011,12"


@pytest.mark.parametrize(
    ("code", "typed", "cents"),
    [
        ("pt-br", "1.234,56", 123456),
        ("pt-br", "R$ 12,00", 1200),
        ("pt-br", "1234.56", 123456),  # a decimal point, not a thousands one
        ("pt-br", "12,5", 1250),
        ("pt-br", "-3,50", -350),
        ("en", "1,234.56", 123456),
        ("en", "12", 1200),
        ("es", "1.234,56", 123456),
    ],
)
def test_amounts_are_read_as_the_readers_language_writes_them(code, typed, cents):
    with language(code):
        assert cents_parse(typed) == cents


@pytest.mark.parametrize("typed", ["", "abc", "0,001", "1,234.56", "R$"])
def test_what_is_not_an_amount_in_cents_is_refused(typed):
    with language("pt-br"), pytest.raises(ValueError):
        cents_parse(typed)


def test_a_currency_is_an_iso_4217_code():
    validate_currency("BRL")
    validate_currency("ARS")
    with pytest.raises(ValidationError, match="is not a currency"):
        validate_currency("R$")
