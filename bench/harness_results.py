"""Where the figures were measured (the machine, the commit) and bench/RESULTS.md, a section per benchmark."""

import os
import platform
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from .harness import ROOT
from .harness_report import Report

RESULTS = ROOT / "bench" / "RESULTS.md"


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
