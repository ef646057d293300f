"""Percentages read the same on every screen: the order pages, the rule editor, the dashboard."""

from decimal import Decimal

import pytest
from django.utils import translation

from kit.admin_display import signed_percent
from kit.numbers import percent, percent_range


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["12.5 %", "10–12.5 %", "+2.48 %", "-2.48 %", "+0.00 %", "-"]),
        ("pt-br", ["12,5 %", "10–12,5 %", "+2,48 %", "-2,48 %", "+0,00 %", "-"]),
        ("es", ["12,5 %", "10–12,5 %", "+2,48 %", "-2,48 %", "+0,00 %", "-"]),
    ],
)
def test_percentages_in_the_readers_language(language, expected):
    with translation.override(language):
        shown = [
            percent(Decimal("12.50")),
            percent_range(Decimal("10.00"), Decimal("12.50")),
            signed_percent(Decimal("2.48")),
            signed_percent(Decimal("-2.48")),
            signed_percent(Decimal("0")),
            signed_percent(None),
        ]
    assert shown == expected
