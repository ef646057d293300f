"""Serializer fields for what every API reads: numbers as JSON writes them, and bounded.

DRF's own number fields take more than the contract allows: `IntegerField` takes 2580.0,
"2580" and "2580.0", and neither bounds a value by default, so a number past the database's
columns became a 500. Input serializers use these instead.
"""

import math
import re

from rest_framework import serializers

# The contract's own bounds: money up to a billion (in cents), quantities up to 100,000.
MAX_CENTS, MAX_QUANTITY = 100_000_000_000, 100_000


class IntegerField(serializers.IntegerField):
    """A JSON integer (`2580`), within bounds the caller must give: not 2580.0, 2.58e3, "2580" or true."""

    default_error_messages = {
        "invalid": "A whole number is required, written without a fraction or an exponent.",
    }

    def __init__(self, *, min_value: int, max_value: int, **kwargs):
        super().__init__(min_value=min_value, max_value=max_value, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return data


class CentsField(IntegerField):
    """Cents as the contract sends them: a number, or a string of digits ("2499")."""

    def to_internal_value(self, data):
        if isinstance(data, str) and data.isascii() and data.isdigit() and len(data) <= 20:
            data = int(data)
        return super().to_internal_value(data)


class FloatField(serializers.FloatField):
    """A finite JSON number within bounds the caller must give: not a string, not NaN or Infinity."""

    default_error_messages = {"invalid": "A finite number is required."}

    def __init__(self, *, min_value: float, max_value: float, **kwargs):
        super().__init__(min_value=min_value, max_value=max_value, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        try:
            value = float(data)
        except OverflowError:  # an integer past a float's range
            self.fail("invalid")
        if not math.isfinite(value):
            self.fail("invalid")
        return value


_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,20}")


def whole_number(text: str, *, low: int, high: int) -> int:
    """Return the whole number `text` writes in ASCII digits, from `low` to `high`; raise ValueError.

    `int()` takes "²"-like digits `isdigit()` lets by and raises on them, takes "1_000", and
    raises past 4300 digits: a query parameter or header read with it was a 500.
    """
    if not isinstance(text, str) or not _WHOLE_NUMBER.fullmatch(text):
        raise ValueError(f"a whole number from {low} to {high}")
    value = int(text)
    if not low <= value <= high:
        raise ValueError(f"a whole number from {low} to {high}")
    return value


class CharField(serializers.CharField):
    """A JSON string: not 2580 or 25.8, which DRF's own field takes as "2580" and "25.8"."""

    default_error_messages = {"invalid": "A string is required."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class BooleanField(serializers.BooleanField):
    """A JSON true or false: not "true", 1 or "yes", which DRF's own field takes."""

    default_error_messages = {"invalid": "true or false is required."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data
