"""Which benchmarks there are and how one runs: the list, the `Context` each is given, running one.

The rest of what every benchmark shares is beside this module: timing side by side
(`harness_timing`), processes on 127.0.0.1 (`harness_processes`), the report table
(`harness_report`), and the machine, the commit and RESULTS.md (`harness_results`).
"""

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .harness_report import Report

ROOT = Path(__file__).resolve().parent.parent

# Every benchmark: its name on the command line and its module, which has `run(context) -> Report`.
BENCHMARKS = {
    "queue": "bench.queue",
    "dashboard": "bench.dashboard",
    "replay": "bench.replay",
    "intake": "bench.intake",
    "processing": "bench.processing",
    "end-to-end": "bench.end_to_end",
    "decisions": "bench.decisions",
    "burst": "bench.burst",
    "rate-limits": "bench.rate_limits",
}


@dataclass
class Context:
    """How a benchmark is to run. `smoke`: tiny data, a few requests, nothing judged."""

    smoke: bool = False
    repetitions: int = 30
    warmup: int = 3
    scale: float = 1.0  # of the big data set; for trying things out, not for RESULTS.md
    explain: bool = False  # print EXPLAIN ANALYZE of the slowest queries of every case
    progress: Callable[[str], None] = lambda line: None

    @classmethod
    def for_smoke(cls, **overrides) -> "Context":
        return cls(**{"smoke": True, "repetitions": 1, "warmup": 0, **overrides})


def run_benchmark(name: str, context: Context) -> Report:
    module = importlib.import_module(BENCHMARKS[name])
    report = module.run(context)
    report.smoke = context.smoke
    # The machine's description has the load at the start; a shared machine's may change meanwhile.
    report.notes.append(
        "Load average at the end: " + ", ".join(f"{load:.2f}" for load in os.getloadavg()) + "."
    )
    return report
