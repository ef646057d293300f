"""Dates and times as every API reads them: ISO 8601, a day and time that exist, in plausible years.

Python's parsers raise, rather than answer None, on a well-formed impossible date (February
30, hour 25, year 0, an offset of 99 hours), and a date near year 9999 overflows as soon as a
day or a time zone is added to it: both were 500s.
"""

import datetime
import zoneinfo

from django.conf import settings
from django.utils.dateparse import parse_date, parse_datetime

EARLIEST_YEAR, LATEST_YEAR = 1900, 2999

DATE_FORMAT_HINT = (
    f"an ISO 8601 date (2026-05-01) or date and time (2026-05-01T12:00:00Z), "
    f"in the years {EARLIEST_YEAR} to {LATEST_YEAR}"
)


def date_or_datetime(text: str) -> datetime.date | datetime.datetime:
    """Return the date or date-time `text` names; raise ValueError when it is not one we take."""
    try:
        parsed = parse_date(text) or parse_datetime(text)
    except ValueError:  # well-formed, but no such day, time or offset
        parsed = None
    if parsed is None or not EARLIEST_YEAR <= parsed.year <= LATEST_YEAR:
        raise ValueError(DATE_FORMAT_HINT)
    return parsed


def time_zone(name: str) -> zoneinfo.ZoneInfo:
    """Return the time zone `name` names (an account's); the server's TIME_ZONE when it is blank or unknown."""
    try:
        return zoneinfo.ZoneInfo(name or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)
