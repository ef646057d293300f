"""Timing side by side: samples, medians and percentiles, and runs taken in turns.

Machines that run benchmarks are noisy (other processes, a shared CPU, a warming cache), so a
target is never an absolute time taken from one run: each benchmark measures its baseline and
its subject in the same run, alternating them, and judges the ratio of their medians.
"""

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


def percentile(values, q: float) -> float:
    """Return the q-th percentile (0–100) of `values`, interpolating between the nearest two."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values) -> float:
    return statistics.median(values)


@dataclass(frozen=True)
class Samples:
    """Measurements of one thing, in seconds (or any unit), in the order they were taken."""

    values: tuple[float, ...]

    @property
    def median(self) -> float:
        return median(self.values)

    @property
    def p50(self) -> float:
        return percentile(self.values, 50)

    @property
    def p99(self) -> float:
        return percentile(self.values, 99)

    @property
    def minimum(self) -> float:
        return min(self.values)


def timed(function: Callable[[], object]) -> float:
    """Return how many seconds one call of `function` took."""
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def side_by_side(
    baseline: Callable[[], object], subject: Callable[[], object], *, repetitions: int, warmup: int = 2
) -> tuple[Samples, Samples]:
    """Time `baseline` and `subject` alternately, so that noise falls on both alike.

    Each round runs both, in turns baseline-first and subject-first; `warmup` rounds are run
    first and thrown away (caches, connections, lazily built things).
    """
    for _ in range(warmup):
        baseline()
        subject()
    baseline_times, subject_times = [], []
    for round_number in range(repetitions):
        if round_number % 2 == 0:
            baseline_times.append(timed(baseline))
            subject_times.append(timed(subject))
        else:
            subject_times.append(timed(subject))
            baseline_times.append(timed(baseline))
    return Samples(tuple(baseline_times)), Samples(tuple(subject_times))


def median_of_runs(run: Callable[[], float], *, runs: int = 3) -> tuple[float, list[float]]:
    """Repeat a whole measurement (`run` returns its value) and return the median and every value."""
    if runs < 3:
        raise ValueError("a median needs at least three runs")
    values = [run() for _ in range(runs)]
    return median(values), values


def alternately(
    baseline: Callable[[], float], subject: Callable[[], float], *, runs: int
) -> tuple[list[float], list[float]]:
    """Repeat a whole measurement of each side (each call returns its value), taking turns at going first.

    For measurements that are runs in themselves (a load for some seconds, a queue drained),
    where `side_by_side`'s many short timings do not apply. Run 1 is baseline-first, run 2
    subject-first, and so on.
    """
    baseline_values, subject_values = [], []
    for number in range(runs):
        if number % 2 == 0:
            baseline_values.append(baseline())
            subject_values.append(subject())
        else:
            subject_values.append(subject())
            baseline_values.append(baseline())
    return baseline_values, subject_values


def each_run(baseline_values, subject_values, unit: str = "", digits: int = 0) -> str:
    """Every run's pair of values, for a row's detail: "runs 90 / 36, 83 / 29"."""
    pairs = zip(baseline_values, subject_values, strict=True)
    return "runs " + ", ".join(f"{b:,.{digits}f} / {s:,.{digits}f}{unit}" for b, s in pairs)
