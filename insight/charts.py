"""The dashboard's pictures as geometry: pure functions of plain numbers, drawn as SVG by templates.

Nothing here touches the database or the request. Each chart carries its text alternative: a
title, a sentence saying what the data says, and a table of the numbers behind the picture.
Colours are CSS classes (`tone`), the band colours of the rule editor.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kit.numbers import count, percent_range
from kit.numbers import percent as percent_sign

WIDTH = 760


def counted(template: str, number: int) -> str:
    """Fill an `ngettext` template's `%(count)s` with the number: ngettext("%(count)s order", …, n)."""
    return template % {"count": count(number)}


def share(part: int, whole: int) -> str:
    return percent_sign(round(100 * part / whole) if whole else 0)


def duration(value: timedelta) -> str:
    """A waiting time as people say it: "45 s", "12 min", "3 h 5 min", "2 d 4 h"."""
    seconds = int(value.total_seconds())
    if seconds < 60:
        return _("%(seconds)s s") % {"seconds": seconds}
    minutes = seconds // 60
    if minutes < 60:
        return _("%(minutes)s min") % {"minutes": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        if minutes:
            return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
        return _("%(hours)s h") % {"hours": hours}
    days, hours = divmod(hours, 24)
    if hours:
        return _("%(days)s d %(hours)s h") % {"days": days, "hours": hours}
    return _("%(days)s d") % {"days": days}


def nice_ceiling(value: float, *, whole: bool = False) -> float:
    """Return the smallest of 1, 2, 2.5, 5 × 10^k that is at least `value` (1 for nothing).

    `whole`: the axis counts things, so its middle tick must be a whole number too.
    """
    if whole:
        return 2 * math.ceil(nice_ceiling(value) / 2)
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


@dataclass(frozen=True)
class Series:
    """One kind of thing a chart counts, with its legend label and colour."""

    key: object
    label: str
    tone: str  # CSS class suffix: authorize, manual, deny, gap, clear, held, level-0 …
    shade: float = 1.0  # fill opacity, to tell apart two bands of one action


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    tone: str
    shade: float = 1.0
    title: str = ""

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height


@dataclass(frozen=True)
class Tick:
    position: float
    label: str

    @property
    def baseline(self) -> float:
        """Where text centred on `position` sits (SVG text stands on its baseline)."""
        return self.position + 4


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str]]


@dataclass
class Chart:
    """A picture with its text alternative. `kind` names the template that draws it."""

    kind: str
    slug: str
    title: str
    summary: str
    table: Table
    width: float = WIDTH
    height: float = 0
    rects: list[Rect] = field(default_factory=list)
    backdrop: list[Rect] = field(default_factory=list)  # band regions behind a histogram
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    labels: list[Tick] = field(default_factory=list)  # row labels of a bar chart (position = y)
    values: list[Rect] = field(default_factory=list)  # value texts after bars (x, y, title = text)
    legend: list[Series] = field(default_factory=list)
    plot: Rect | None = None
    x_label: str = ""
    y_label: str = ""
    empty: bool = False

    # Where the axes' texts go, so that templates only place what is computed here.
    @property
    def y_tick_x(self) -> float:
        return self.plot.x - 6

    @property
    def row_label_x(self) -> float:
        return self.plot.x - 8

    @property
    def x_tick_y(self) -> float:
        return self.plot.bottom + 18

    @property
    def x_label_y(self) -> float:
        return self.plot.bottom + 36

    @property
    def center_x(self) -> float:
        return self.plot.x + self.plot.width / 2

    @property
    def center_y(self) -> float:
        return self.plot.y + self.plot.height / 2


# Vertical plots: a histogram and stacked columns -----------------------------------------------

PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_HEIGHT, PLOT_BOTTOM = 64, 16, 12, 200, 44


def _vertical_frame(chart: Chart, top_value: float, value_text) -> tuple[float, float, float]:
    """Set the plot area and y ticks; return (left, width, y scale)."""
    left, width = PLOT_LEFT, chart.width - PLOT_LEFT - PLOT_RIGHT
    chart.height = PLOT_TOP + PLOT_HEIGHT + PLOT_BOTTOM
    chart.plot = Rect(left, PLOT_TOP, width, PLOT_HEIGHT, "plot")
    ceiling = nice_ceiling(top_value, whole=True)
    scale = PLOT_HEIGHT / ceiling
    chart.y_ticks = [
        Tick(PLOT_TOP + PLOT_HEIGHT - fraction * PLOT_HEIGHT, value_text(ceiling * fraction))
        for fraction in (0, 0.5, 1)
    ]
    return left, width, scale


def histogram(
    *,
    slug: str,
    title: str,
    summary: str,
    counts: dict[int, int],
    steps_per_percent: int,
    segments: Sequence[tuple[Decimal, Decimal, str, str]],
    table: Table,
) -> Chart:
    """Bars of how many submissions diverged by how much, over the bands (`(from, to, tone, label)`).

    The axis runs from 0 to the smallest of 10, 20, 50 and 100 % that shows every bar, so the
    usual small divergences are not squeezed into the left edge.
    """
    chart = Chart(
        "histogram", slug, title, summary, table, x_label=_("|divergence| (%)"), y_label=_("orders")
    )
    highest_step = max(counts, default=-1)
    reach = (highest_step + 1) / steps_per_percent
    axis_end = next(limit for limit in (10, 20, 50, 100) if reach <= limit)
    left, width, scale = _vertical_frame(chart, max(counts.values(), default=0), lambda v: count(round(v)))
    per_percent = width / axis_end
    bottom = PLOT_TOP + PLOT_HEIGHT
    for lower, upper, tone, label in segments:
        lower, upper = float(lower), min(float(upper), axis_end)
        if upper <= lower:
            continue
        chart.backdrop.append(
            Rect(
                left + lower * per_percent,
                PLOT_TOP,
                (upper - lower) * per_percent,
                PLOT_HEIGHT,
                tone,
                title=label,
            )
        )
    for step, number in sorted(counts.items()):
        if step < 0 or number <= 0:
            continue
        lower = step / steps_per_percent
        upper = lower + 1 / steps_per_percent
        height = number * scale
        chart.rects.append(
            Rect(
                left + lower * per_percent + 0.5,
                bottom - height,
                max(per_percent / steps_per_percent - 1, 1),
                height,
                "bar",
                title=_("%(range)s: %(orders)s")
                % {
                    "range": percent_range(lower, upper),
                    "orders": counted(ngettext("%(count)s order", "%(count)s orders", number), number),
                },
            )
        )
    chart.x_ticks = [
        Tick(left + width * fraction, percent_sign(axis_end * fraction))
        for fraction in (0, 0.25, 0.5, 0.75, 1)
    ]
    chart.empty = not any(step >= 0 for step in counts)
    return chart


def stacked_columns(
    *,
    slug: str,
    title: str,
    summary: str,
    columns: Sequence[tuple[str, dict]],
    series: Sequence[Series],
    table: Table,
    y_label: str,
) -> Chart:
    """One column per period (`(label, {series key: value})`), stacked in the order of `series`."""
    chart = Chart("columns", slug, title, summary, table, legend=list(series), y_label=y_label)
    totals = [sum(values.values()) for _, values in columns]
    left, width, scale = _vertical_frame(chart, max(totals, default=0), lambda v: count(round(v)))
    slot = width / max(len(columns), 1)
    bar = max(slot * 0.78, 1)
    bottom = PLOT_TOP + PLOT_HEIGHT
    label_every = max(1, math.ceil(len(columns) / 10))
    for index, (label, values) in enumerate(columns):
        x = left + index * slot + (slot - bar) / 2
        y = bottom
        for one in series:
            value = values.get(one.key, 0)
            if not value:
                continue
            height = value * scale
            y -= height
            chart.rects.append(
                Rect(x, y, bar, height, one.tone, one.shade, f"{label}: {one.label}: {count(value)}")
            )
        if index % label_every == 0:
            chart.x_ticks.append(Tick(x + bar / 2, label))
    chart.empty = not any(totals)
    return chart


# Horizontal bars ------------------------------------------------------------------------------

ROW_HEIGHT, BAR_HEIGHT, LABEL_WIDTH, VALUE_WIDTH, BARS_TOP, BARS_BOTTOM = 28, 18, 230, 150, 8, 44


def horizontal_bars(
    *,
    slug: str,
    title: str,
    summary: str,
    rows: Sequence[tuple[str, dict, str]],
    series: Sequence[Series],
    table: Table,
    value_text=count,
    whole: bool = True,
    x_label: str = "",
) -> Chart:
    """One bar per row (`(label, {series key: value}, text after the bar)`), stacked by `series`."""
    chart = Chart("bars", slug, title, summary, table, x_label=x_label)
    chart.legend = list(series) if len(series) > 1 else []
    left = LABEL_WIDTH
    width = chart.width - LABEL_WIDTH - VALUE_WIDTH
    totals = [sum(values.values()) for _, values, _ in rows]
    ceiling = nice_ceiling(max(totals, default=0), whole=whole)
    scale = width / ceiling
    drawn_rows = max(len(rows), 2)  # room for "nothing to draw"
    chart.height = BARS_TOP + drawn_rows * ROW_HEIGHT + BARS_BOTTOM
    chart.plot = Rect(left, BARS_TOP, width, drawn_rows * ROW_HEIGHT, "plot")
    for index, (label, values, after) in enumerate(rows):
        y = BARS_TOP + index * ROW_HEIGHT + (ROW_HEIGHT - BAR_HEIGHT) / 2
        x = left
        for one in series:
            value = values.get(one.key, 0)
            if not value:
                continue
            extent = value * scale
            chart.rects.append(
                Rect(
                    x,
                    y,
                    extent,
                    BAR_HEIGHT,
                    one.tone,
                    one.shade,
                    f"{label}: {one.label}: {value_text(value)}",
                )
            )
            x += extent
        chart.labels.append(Tick(y + BAR_HEIGHT / 2, label))
        chart.values.append(Rect(x + 6, y + BAR_HEIGHT / 2 + 4, 0, 0, "value", title=after))
    chart.empty = not any(totals)
    if not chart.empty:
        chart.x_ticks = [
            Tick(
                left + width * fraction,
                value_text(round(ceiling * fraction) if whole else ceiling * fraction),
            )
            for fraction in (0, 0.5, 1)
        ]
    return chart


def days_label(day: date) -> str:
    """A day on an axis, short, in the reader's language: "Dec 6", "6 Dez"."""
    # Translators: how a day is written under a column, in Django's date format letters.
    return formats.date_format(day, _("M j"))


def day_words(day: date) -> str:
    """A day in a sentence, in the reader's language's date format."""
    return formats.date_format(day, "DATE_FORMAT")
