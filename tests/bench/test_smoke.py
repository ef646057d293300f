"""The benchmarks keep working: each runs in its smoke mode (tiny data, a few requests) here.

Nothing about speed is asserted: the smoke mode measures too little to judge, and test
machines are noisy. What is asserted is what `bench/run` would show: every case measured,
a table with a row per case, and results written where they belong.
"""

import importlib
import os
import sys
import urllib.request

import pytest

from bench.harness import BENCHMARKS, Context, run_benchmark
from bench.harness_processes import background, free_port
from bench.harness_report import Report, Row, ratio_at_most
from bench.harness_results import results_section, results_write
from bench.harness_timing import Samples, percentile, side_by_side
from tests.worker import require_services

# Cases each benchmark must measure, whatever else it adds.
EXPECTED_CASES = {
    "queue": {
        "order list, waiting, first page",
        "order list, waiting, deep page (the middle)",
        "order page of a waiting order",
        "API order list",
        "API order list, middle cursor",
    },
    "intake": {
        "orders accepted a second, 16 connections",
    },
    "processing": {"10 orders processed a second"},
    "end-to-end": {"time to the notification, p50", "time to the notification, p99"},
    "burst": {"30 orders: drained"},
    "decisions": {"60 orders approved"},
}


def benchmarks():
    """Each benchmark, on the test database; one whose smoke needs committed data (a worker or a
    server reading it) says so with `SMOKE_TRANSACTION = True`, one that runs the app's servers
    (PostgreSQL and Redis, as in production) with `SMOKE_NEEDS_SERVICES = True`."""
    for name in sorted(BENCHMARKS):
        module = importlib.import_module(BENCHMARKS[name])
        transaction = getattr(module, "SMOKE_TRANSACTION", False)
        yield pytest.param(name, marks=pytest.mark.django_db(transaction=transaction), id=name)


@pytest.mark.parametrize("name", list(benchmarks()))
def test_benchmark_runs_in_smoke_mode_and_reports_every_case(name):
    if getattr(importlib.import_module(BENCHMARKS[name]), "SMOKE_NEEDS_SERVICES", False):
        require_services()
    report = run_benchmark(name, Context.for_smoke())

    assert report.rows, "no case was measured"
    assert EXPECTED_CASES.get(name, set()) <= {row.label for row in report.rows}
    assert all(row.baseline > 0 and row.measured > 0 for row in report.rows)
    text = report.text()
    assert text.startswith(f"{name}: ")
    assert all(row.label in text for row in report.rows)
    assert "overall: smoke run: nothing judged" in text
    assert "PASS" not in text and "FAIL" not in text


def test_percentiles_interpolate_between_the_nearest_values():
    values = [5, 1, 4, 2, 3]
    assert percentile(values, 0) == 1
    assert percentile(values, 50) == 3
    assert percentile(values, 100) == 5
    assert percentile(values, 75) == 4
    assert percentile([10, 20], 99) == pytest.approx(19.9)
    assert Samples((3.0, 1.0, 2.0)).median == 2.0


def test_side_by_side_alternates_which_runs_first():
    calls = []
    side_by_side(lambda: calls.append("base"), lambda: calls.append("subject"), repetitions=4, warmup=1)
    assert calls == ["base", "subject"] + ["base", "subject", "subject", "base"] * 2


def report_of(name: str, measured: float) -> Report:
    return Report(
        name=name,
        title="a title",
        description="What it measures.",
        baseline_label="small",
        measured_label="big",
        rows=[Row("a page", 10.0, measured, "ms", ratio_at_most(1.5))],
    )


def test_results_keep_one_section_per_benchmark_replaced_by_its_latest_run(tmp_path):
    path = tmp_path / "RESULTS.md"
    machine = {"cores": "2 usable of 2", "postgresql": "15.2"}
    for name, measured in (("queue", 12.0), ("intake", 5.0), ("queue", 20.0)):
        section = results_section(
            report_of(name, measured), machine_description=machine, commit="abc1234", command="bench/run"
        )
        results_write(section, name, path)

    text = path.read_text()
    assert text.startswith("# Benchmark results")
    assert text.count("## queue: a title") == 1
    assert text.count("## intake: a title") == 1
    assert "| a page | 10.0 ms | 20.0 ms | 2.00× | ≤ 1.5× |  | FAIL |" in text
    assert "| a page | 10.0 ms | 12.0 ms |" not in text
    assert "| a page | 10.0 ms | 5.00 ms | 0.50× | ≤ 1.5× |  | PASS |" in text
    assert "Machine: cores 2 usable of 2, postgresql 15.2." in text
    assert "at commit abc1234" in text


def test_a_process_started_for_a_benchmark_answers_then_stops_with_its_children():
    port = free_port()
    server = f"{sys.executable} -m http.server {port} --bind 127.0.0.1"
    with background(["bash", "-c", f"sleep 60 & exec {server}"], port=port) as process:
        assert urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).status == 200

    with pytest.raises(ProcessLookupError):
        os.killpg(process.pid, 0)  # neither the server nor the sleep it started is left
