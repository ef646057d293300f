"""How an admin list becomes CSV: its columns, each listed row's lines, times in each account's zone.

A value from a marketplace may start like a spreadsheet formula (`=HYPERLINK(…)`); every text
cell that could be read as one gets a leading apostrophe (`kit.spreadsheets`), so a
spreadsheet shows it as text and runs nothing. Numbers are written as numbers, so a negative
divergence stays a number.
"""

import csv
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.utils import timezone

from kit.dates import time_zone
from kit.spreadsheets import formula_safe

SEVERAL_ZONES = "each account's time zone"


def cell(value):
    """Return the value as a spreadsheet may open it: text that would start a formula is quoted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return formula_safe(value)
    return value


def percent(value) -> Decimal | str:
    """A percentage to two places, as a number."""
    return "" if value is None else Decimal(value).quantize(Decimal("0.01"))


class Clock:
    """The moment an export is written, and the time zone of each account it meets."""

    def __init__(self, now=None):
        self.now = now or timezone.now()
        self.zones = {}

    def stamp(self, moment, account) -> str:
        """Say a moment in the account's time zone, to the second, with its offset."""
        if moment is None:
            return ""
        zone = self.zones.get(account.pk)
        if zone is None:
            zone = self.zones[account.pk] = time_zone(account.time_zone)
        return moment.astimezone(zone).isoformat(timespec="seconds")


class CsvTable:
    """The CSV of one admin list: its columns, and the lines each listed row becomes.

    A column whose name holds `{zone}` is a time: the header names the zone, each value is in
    the row's account time zone with its offset. `fields` are what the lines read, and all
    that is read: the row's own columns and, through `__`, its relations', fetched with the
    rows in one query (a field left out would cost a query per row).
    """

    columns: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    nouns = ("row", "rows")
    file_stem = "export"

    @property
    def related(self) -> list[str]:
        """The relations `fields` reach through, to fetch with the rows."""
        return sorted({field.rsplit("__", 1)[0] for field in self.fields if "__" in field})

    def header(self, zone: str) -> list[str]:
        return [column.format(zone=zone) for column in self.columns]

    def lines(self, row, clock: Clock) -> Iterable[list]:
        """Return the CSV lines of one listed row (most rows are one line)."""
        raise NotImplementedError

    def file_name(self, now=None) -> str:
        return f"{self.file_stem}-{timezone.localtime(now):%Y%m%d-%H%M}.csv"


def csv_lines(table: CsvTable, rows: Iterable, *, zone: str, clock: Clock | None = None) -> Iterator[list]:
    """Yield the header, then every line of every row, each cell safe for a spreadsheet."""
    clock = clock or Clock()
    yield table.header(zone)
    for row in rows:
        for line in table.lines(row, clock):
            yield [cell(value) for value in line]


class Echo:
    """A file that hands back what is written to it, for streaming CSV lines."""

    def write(self, value):
        return value


def csv_text(lines: Iterable[list]) -> Iterator[str]:
    """Yield each line as CSV text."""
    writer = csv.writer(Echo())
    for line in lines:
        yield writer.writerow(line)
