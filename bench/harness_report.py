"""A benchmark's report: its rows, each a baseline and a measurement against a target, as a table."""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Target:
    """What a row must reach, as words for the table and a test of the row."""

    text: str
    test: Callable[["Row"], bool]


def ratio_at_most(limit: float) -> Target:
    """The measured value may be at most `limit` times the baseline (times, latencies)."""
    return Target(f"≤ {limit:g}×", lambda row: row.ratio <= limit)


def ratio_at_least(limit: float) -> Target:
    """The measured value must be at least `limit` times the baseline (throughputs)."""
    return Target(f"≥ {limit:g}×", lambda row: row.ratio >= limit)


def reported() -> Target:
    """No target: the figure is reported, as the specification asks, and judged by a reader."""
    return Target("reported", lambda row: True)


def value_at_most(limit: float, unit: str) -> Target:
    return Target(f"≤ {limit:g} {unit}", lambda row: row.measured <= limit)


def value_at_least(limit: float, unit: str) -> Target:
    return Target(f"≥ {limit:g} {unit}", lambda row: row.measured >= limit)


@dataclass(frozen=True)
class Check:
    """A condition a row must meet besides its target, e.g. the same number of queries."""

    text: str
    ok: bool


@dataclass(frozen=True)
class Row:
    label: str
    baseline: float
    measured: float
    unit: str
    target: Target
    checks: tuple[Check, ...] = ()
    detail: str = ""

    @property
    def ratio(self) -> float:
        return self.measured / self.baseline if self.baseline else float("inf")

    @property
    def passed(self) -> bool:
        return self.target.test(self) and all(check.ok for check in self.checks)


@dataclass
class Report:
    name: str
    title: str
    description: str
    baseline_label: str
    measured_label: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    diagnostics: list[str] = field(default_factory=list)  # printed, and kept folded in RESULTS.md
    smoke: bool = False

    @property
    def passed(self) -> bool:
        return all(row.passed for row in self.rows)

    def verdict(self, row: Row) -> str:
        if self.smoke:
            return "smoke"
        return "PASS" if row.passed else "FAIL"

    def table(self) -> list[list[str]]:
        header = [
            "case",
            f"baseline ({self.baseline_label})",
            f"measured ({self.measured_label})",
            "ratio",
            "target",
            "checks",
            "result",
        ]
        body = [
            [
                row.label,
                _number(row.baseline, row.unit),
                _number(row.measured, row.unit),
                f"{row.ratio:.2f}×",
                row.target.text,
                "; ".join(
                    [
                        *(check.text + ("" if check.ok or self.smoke else " ✗") for check in row.checks),
                        *filter(None, [row.detail]),
                    ]
                ),
                self.verdict(row),
            ]
            for row in self.rows
        ]
        return [header, *body]

    def text(self) -> str:
        """The report as the terminal shows it."""
        rows = self.table()
        widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
        lines = [f"{self.name}: {self.title}"]
        for number, row in enumerate(rows):
            lines.append(
                "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            )
            if number == 0:
                lines.append("  ".join("-" * width for width in widths))
        overall = "smoke run: nothing judged" if self.smoke else ("PASS" if self.passed else "FAIL")
        lines.append(f"overall: {overall}")
        lines.extend(f"- {note}" for note in self.notes)
        return "\n".join(lines)

    def markdown(self) -> str:
        rows = self.table()
        lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
        lines.extend("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows[1:])
        return "\n".join(lines)


def _number(value: float, unit: str) -> str:
    if value >= 100:
        return f"{value:,.0f} {unit}"
    if value >= 10:
        return f"{value:.1f} {unit}"
    return f"{value:.2f} {unit}"
