"""Numbers and percentages as the reader's language writes them: 1,204 and 12.5 % in English,
1.204 and 12,5 % in Portuguese. Babel holds the separators; the place of the percent sign is a
translated string.
"""

from decimal import Decimal

from babel.numbers import format_decimal
from django.utils.translation import gettext as _

from .money import reader_locale


def count(number: int) -> str:
    """A whole number with the reader's grouping: 1,204 in English, 1.204 in Portuguese."""
    return format_decimal(number, format="#,##0", locale=reader_locale())


def decimal(value, places: int | None = None) -> str:
    """A number to two places at most, trailing zeros dropped (12.5); exactly `places` when given (12.50)."""
    number = Decimal(str(value)).quantize(Decimal("0.01"))
    pattern = "#,##0.##" if places is None else "#,##0." + "0" * places
    return format_decimal(number, format=pattern, locale=reader_locale())


def percent(value, places: int | None = None, *, signed: bool = False) -> str:
    """A percentage with its sign where the reader's language puts it: 12.5 %, 12,5 %.

    `signed`: a divergence, +2.48 % when the marketplace pays less, −2.48 % when more, and +0.00 %.
    """
    text = decimal(value, places)
    if signed and Decimal(str(value)) >= 0:
        text = "+" + text
    return _("%(number)s %%") % {"number": text}


def percent_range(lower, upper, places: int | None = None) -> str:
    """A range of percentages: 5–20 %."""
    return _("%(lower)s–%(upper)s %%") % {"lower": decimal(lower, places), "upper": decimal(upper, places)}
