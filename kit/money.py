"""Money as people read and write it: integer cents inside, the account's currency outside,
formatted for the reader's language (`R$ 1.234,56` in Portuguese, `R$1,234.56` in English).

Babel holds the CLDR's currency symbols and number patterns, so no format is written here.
A "cent" is always a hundredth of the currency's unit, as the connector contract counts money.
"""

import functools
from decimal import Decimal, InvalidOperation

from babel.numbers import NumberFormatError, format_currency, format_decimal, list_currencies, parse_decimal
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import get_language, to_locale
from django.utils.translation import gettext_lazy as _

DEFAULT_CURRENCY = "BRL"


@functools.cache
def currencies() -> frozenset[str]:
    """The ISO 4217 codes Babel knows."""
    return frozenset(list_currencies())


def validate_currency(value: str) -> None:
    if value not in currencies():
        raise ValidationError(
            _("“%(value)s” is not a currency. Use an ISO 4217 code, such as BRL, ARS, MXN or USD."),
            code="invalid_currency",
            params={"value": value},
        )


def reader_locale() -> str:
    """The locale of the language this request or task speaks, as Babel names it (pt_BR)."""
    return to_locale(get_language() or settings.LANGUAGE_CODE)


def money(cents: int | None, currency: str, *, signed: bool = False) -> str:
    """`cents` in `currency`, for the reader: R$ 1.234,56; with `signed`, +R$ 11,12 when positive."""
    if cents is None:
        return ""
    text = format_currency(Decimal(cents).scaleb(-2), currency, locale=reader_locale(), currency_digits=False)
    return f"+{text}" if signed and cents > 0 else text


def amount(cents: int | None) -> str:
    """`cents` as a number with two decimals in the reader's format (1.234,56), for a form's field."""
    if cents is None:
        return ""
    return format_decimal(Decimal(cents).scaleb(-2), format="#,##0.00", locale=reader_locale())


def cents_parse(text: str) -> int:
    """The cents of an amount a person typed in their language's format (1.234,56 or 1234.56 in
    Portuguese, 1,234.56 in English), with or without a currency symbol; ValueError when it is none."""
    cleaned = "".join(ch for ch in str(text) if ch.isdigit() or ch in ".,-" or ch == "\u00a0" or ch == " ")
    cleaned = cleaned.replace("\u00a0", "").replace(" ", "")
    if not cleaned or not any(ch.isdigit() for ch in cleaned):
        raise ValueError(text)
    try:  # strict: "1234.56" in Portuguese is not 123456 but falls to the plain reading below
        value = parse_decimal(cleaned, locale=reader_locale(), strict=True)
    except NumberFormatError:
        try:
            value = Decimal(cleaned)
        except InvalidOperation:
            raise ValueError(text) from None
    cents = value.scaleb(2)
    if cents != cents.to_integral_value():
        raise ValueError(text)
    return int(cents)
