"""Percentages as the reader's language writes them: 12,5 % in Portuguese, 12.5 % in English.

The rule's numbers are Decimals with two places; people see them without trailing zeros.
Form fields keep the plain 12.5 a number input takes (`rule_editor.format_percent`).
"""

from decimal import Decimal

from babel.numbers import format_decimal

from kit.money import reader_locale


def percent(value) -> str:
    """`value` % for the reader: 12,5 % in Portuguese, 0–100 without trailing zeros."""
    return f"{format_decimal(Decimal(str(value)), format='#,##0.##', locale=reader_locale())} %"


def percent_range(lower, upper) -> str:
    """A band's stretch for the reader: 10–12,5 %."""
    number = percent(lower).removesuffix(" %")
    return f"{number}–{percent(upper)}"
