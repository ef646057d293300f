"""What every benchmark shares: timing side by side, the report table, the machine, RESULTS.md.

Machines that run benchmarks are noisy (other processes, a shared CPU, a warming cache), so a
target is never an absolute time taken from one run: each benchmark measures its baseline and
its subject in the same run, alternating them, and judges the ratio of their medians.
"""

import importlib
import itertools
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"

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
}


# Timing -----------------------------------------------------------------------------------------


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


# Processes: web servers, workers and load generators on 127.0.0.1 -------------------------------


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on, kept from other processes for a minute.

    A port merely probed is free for anyone to take before the server for which it was chosen
    binds it. This one is left with a connection in TIME_WAIT (closed first on the server's
    side): for the next 60 s the kernel gives it to no one asking for a free port (bind to port 0,
    as this function and every other run does), while a server binding it by number with
    SO_REUSEADDR, as redis-server, PostgreSQL, gunicorn and Python's servers do, can.
    """
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)):
            accepted, _ = server.accept()
            accepted.close()
    return port


def wait_until_answers(port: int, *, timeout: float = 30.0, process: subprocess.Popen | None = None) -> None:
    """Return once 127.0.0.1:`port` accepts connections; fail when `process` ends first or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(
                f"{shorten_command(process.args)} ended ({process.returncode}) before answering"
            )
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answered on 127.0.0.1:{port} within {timeout:g} s")


def delete_redis_keys(url: str, prefix: str) -> None:
    """Empty the Redis database of `url` of the keys under `prefix`, or of all keys without one.

    A run with a prefix of its own (REDIS_KEY_PREFIX) may share the database with other runs and
    apps: only its own keys go.
    """
    import redis

    client = redis.Redis.from_url(url, socket_timeout=5)
    if not prefix:
        client.flushdb()
        return
    for batch in itertools.batched(client.scan_iter(match=f"{prefix}*", count=1000), 1000):
        client.delete(*batch)


def app_environment(**overrides) -> dict[str, str]:
    """The environment of an app process (gunicorn, a Celery worker) on this run's database and broker."""
    from django.conf import settings
    from django.db import connection

    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "DEBUG": "false",
        "OUTBOUND_ALLOW_PRIVATE_URLS": "true",  # the connectors' receivers listen on 127.0.0.1
    }
    if connection.vendor == "postgresql":
        environment["DATABASE_URL"] = (
            f"postgres://{db.get('USER') or 'postgres'}{password}@{db.get('HOST') or '127.0.0.1'}:"
            f"{db.get('PORT') or 5432}/{db['NAME']}"
        )
    return {**environment, **{key: str(value) for key, value in overrides.items()}}


@contextmanager
def background(
    command: list[str],
    *,
    env: dict[str, str] | None = None,
    port: int | None = None,
    timeout: float = 30.0,
    log: Path | None = None,
) -> Iterator[subprocess.Popen]:
    """Run `command` for the length of the `with` block, in a process group of its own.

    With `port`, wait until it answers there first. On the way out the whole group (gunicorn's
    or Celery's children too) gets SIGTERM, then SIGKILL if it still runs after ten seconds:
    nothing a benchmark starts outlives it.
    """
    output = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        if port is not None:
            wait_until_answers(port, timeout=timeout, process=process)
        yield process
    finally:
        _stop_group(process)
        if log:
            output.close()


def _stop_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 10
    while _group_alive(process) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _group_alive(process):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=5)


def _group_alive(process: subprocess.Popen) -> bool:
    process.poll()  # reap the leader: a zombie would still count as alive
    try:
        os.killpg(process.pid, 0)
    except ProcessLookupError:
        return False
    return True


def python_command(*args: str) -> list[str]:
    """A command run by this virtualenv's Python (`python_command("-m", "gunicorn", ...)`)."""
    return [sys.executable, *args]


def shorten_command(args) -> str:
    text = " ".join(str(arg) for arg in args) if isinstance(args, list | tuple) else str(args)
    return text if len(text) <= 80 else text[:79] + "…"


# Reports ----------------------------------------------------------------------------------------


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


# Running benchmarks -----------------------------------------------------------------------------


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


# The machine, the commit and RESULTS.md ---------------------------------------------------------


def machine() -> dict[str, str]:
    """Describe where the benchmarks ran: cores, memory, CPU, system, database and broker."""
    from django.conf import settings
    from django.db import connection

    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    description = {
        "cores": f"{usable} usable of {os.cpu_count()}",
        "cpu": _cpu_model(),
        "memory": _memory(),
        "system": platform.platform(),
        "load average at the start": ", ".join(f"{load:.2f}" for load in os.getloadavg()),
        "python": platform.python_version(),
    }
    import django

    description["django"] = django.get_version()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            description["postgresql"] = cursor.fetchone()[0]
        else:
            description[connection.vendor] = connection.Database.sqlite_version
    description["redis"] = _redis_version(settings.CELERY_BROKER_URL)
    return description


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory() -> str:
    try:
        found = re.search(r"^MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text(), re.MULTILINE)
        if found:
            return f"{int(found.group(1)) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _redis_version(url: str) -> str:
    if not url.startswith("redis"):
        return "not used"
    try:
        import redis

        return redis.Redis.from_url(url, socket_timeout=2).info("server")["redis_version"]
    except Exception as error:  # the version is a description; a missing one is said, not fatal
        return f"unknown ({error.__class__.__name__})"


def git_commit() -> str:
    """Return the short commit, and say so when the tree has changes that are not committed."""

    def git(*args):
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return (
        f"{commit} (with uncommitted changes)"
        if git("status", "--porcelain", "--untracked-files=no")
        else commit
    )


RESULTS_HEADER = """# Benchmark results

Written by `bench/run` ([docs/benchmarks.md](../docs/benchmarks.md)): one section per benchmark, replaced by each
full run of it, with the date, the commit and the machine. Smoke runs write nothing here.
Ratios are of medians measured side by side in one run; absolute times only describe this
machine.
"""


def results_section(report: Report, *, machine_description: dict[str, str], commit: str, command: str) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    described = ", ".join(f"{key} {value}" for key, value in machine_description.items())
    lines = [
        f"<!-- bench:{report.name} -->",
        f"## {report.name}: {report.title}",
        "",
        f"Run {when} at commit {commit}: `{command}`.",
        "",
        f"Machine: {described}.",
        "",
        report.description,
        "",
        report.markdown(),
        "",
        f"Overall: **{'PASS' if report.passed else 'FAIL'}**.",
    ]
    if report.notes:
        lines += ["", *(f"- {note}" for note in report.notes)]
    if report.diagnostics:
        lines += ["", "<details><summary>Query plans of the slowest queries</summary>", "", "```"]
        lines += [*report.diagnostics, "```", "", "</details>"]
    lines.append(f"<!-- /bench:{report.name} -->")
    return "\n".join(lines)


def results_write(section: str, name: str, path: Path = RESULTS) -> None:
    """Put the section of benchmark `name` in RESULTS.md, replacing the earlier one."""
    text = path.read_text() if path.exists() else RESULTS_HEADER
    pattern = re.compile(rf"<!-- bench:{re.escape(name)} -->.*?<!-- /bench:{re.escape(name)} -->", re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text.rstrip("\n") + "\n")
