"""How an admin list becomes CSV: its columns, each listed row's lines, times in each account's zone.

A value from a marketplace may start like a spreadsheet formula (`=HYPERLINK(…)`); every text
cell that could be read as one gets a leading apostrophe (`kit.spreadsheets`), so a
spreadsheet shows it as text and runs nothing. Numbers are written as numbers, so a negative
divergence stays a number. Money stays in integer cents, and a `currency` column beside it names
the currency of those cents (the account's, ISO 4217), so a file of several accounts is read right.
"""

import csv
import itertools
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.utils import timezone

from kit.admin_lists import ROWS
from kit.dates import time_zone
from kit.spreadsheets import formula_safe

SEVERAL_ZONES = "each account's time zone"
# Rows whose lines are prepared together (`CsvTable.prepare`): as many as a database chunk.
BATCH_ROWS = 2000


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
    nouns = ROWS
    file_stem = "export"
    # Where a row's currency is read: a table with money columns (`…_cents`) gets a `currency`
    # column after the last of them, unless it declares one of its own.
    currency_field = "account__currency"

    @property
    def currency_at(self) -> int | None:
        """The position of the `currency` column this table adds, or None when it adds none."""
        if "currency" in self.columns:
            return None
        money = [index for index, column in enumerate(self.columns) if column.endswith("_cents")]
        return money[-1] + 1 if money else None

    @property
    def fields_read(self) -> tuple[str, ...]:
        """`fields`, and the currency's when the table adds its column."""
        if self.currency_at is None or self.currency_field in self.fields:
            return self.fields
        return (*self.fields, self.currency_field)

    @property
    def related(self) -> list[str]:
        """The relations `fields` reach through, to fetch with the rows."""
        return sorted({field.rsplit("__", 1)[0] for field in self.fields_read if "__" in field})

    def header(self, zone: str) -> list[str]:
        header = [column.format(zone=zone) for column in self.columns]
        if self.currency_at is not None:
            header.insert(self.currency_at, "currency")
        return header

    def currency_of(self, row) -> str:
        value = row
        for name in self.currency_field.split("__"):
            value = getattr(value, name)
        return value

    def prepare(self, rows: list) -> None:
        """Fetch what a batch of rows' lines read besides `fields`, for the batch at once (a table
        that reads more, as an order's explanation reads its items, overrides this)."""

    def lines(self, row, clock: Clock) -> Iterable[list]:
        """Return the CSV lines of one listed row (most rows are one line)."""
        raise NotImplementedError

    def file_name(self, now=None) -> str:
        return f"{self.file_stem}-{timezone.localtime(now):%Y%m%d-%H%M}.csv"


def csv_lines(table: CsvTable, rows: Iterable, *, zone: str, clock: Clock | None = None) -> Iterator[list]:
    """Yield the header, then every line of every row, each cell safe for a spreadsheet."""
    clock = clock or Clock()
    yield table.header(zone)
    at = table.currency_at
    for batch in itertools.batched(rows, BATCH_ROWS):
        table.prepare(list(batch))
        for row in batch:
            for line in table.lines(row, clock):
                if at is not None:
                    line = [*line[:at], table.currency_of(row), *line[at:]]
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
