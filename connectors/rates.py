"""Connector request rates as written in settings and the admin: `200/s`, `12000/min`, `3600/h`,
or `0` for none."""

import re
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

NO_LIMIT = "0"
UNIT_SECONDS = {"s": 1, "min": 60, "h": 3600}
_RATE = re.compile(r"^([1-9][0-9]{0,8})/(s|min|h)$")
RATE_HELP = _("Requests per second, minute or hour, e.g. 200/s or 12000/min; 0 for no limit.")


@dataclass(frozen=True)
class Rate:
    """`requests` at most in any `seconds` long window."""

    requests: int
    seconds: int


@lru_cache(maxsize=256)
def rate_parse(text: str) -> Rate | None:
    """Return the rate `text` writes, None for `0` (no limit); raise ValueError when it writes none."""
    text = text.strip()
    if text == NO_LIMIT:
        return None
    match = _RATE.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a rate: write 200/s, 12000/min, 3600/h, or 0 for no limit")
    requests, unit = match.groups()
    return Rate(int(requests), UNIT_SECONDS[unit])


def rate_validate(value: str) -> None:
    """A form's check of a rate the admin is given (blank is left to the field)."""
    try:
        rate_parse(value)
    except ValueError:
        raise ValidationError(
            _("%(value)s is not a rate. %(help)s"), code="invalid", params={"value": value, "help": RATE_HELP}
        ) from None


def connector_rate(connector) -> Rate | None:
    """The connector's own rate, else the `CONNECTOR_RATE_LIMIT` setting; None: no limit."""
    return rate_parse(connector.rate_limit or settings.CONNECTOR_RATE_LIMIT)
