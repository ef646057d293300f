"""The app on servers of the fault run's own, and the sizes of the run.

`bin/faults` runs these tests at full size (FAULTS_SIZE=full); the test suite runs them in a
shorter form. Both start a private PostgreSQL cluster and a private Redis on free ports of
127.0.0.1, never the shared servers: the tests stop and restart them.
"""

import dataclasses
import os
import shutil
from pathlib import Path

import pytest

from .report import write_reports
from .scenario import FULL, SHORT


def _missing_servers() -> list[str]:
    from .servers import postgres_bin

    missing = []
    try:
        postgres_bin()
    except RuntimeError:
        missing.append("PostgreSQL's initdb")
    if shutil.which("redis-server") is None:
        missing.append("redis-server")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        missing.append("runuser (PostgreSQL refuses to run as root)")
    return missing


@pytest.fixture(scope="session")
def size():
    """FAULTS_SIZE=full (`bin/faults`) or the short form; FAULTS_ORDERS changes the burst, to try things out."""
    chosen = FULL if os.environ.get("FAULTS_SIZE") == "full" else SHORT
    if os.environ.get("FAULTS_ORDERS"):
        chosen = dataclasses.replace(chosen, orders=int(os.environ["FAULTS_ORDERS"]))
    return chosen


# Module-scoped: the servers stop as soon as the fault tests are done, not at the end of the suite.
@pytest.fixture(scope="module")
def receiver():
    """The connector's endpoint, on 127.0.0.1: it records every notification, and can be told to fail."""
    from bench.load_receiver import ConnectorReceiver

    with ConnectorReceiver() as server:
        yield server


@pytest.fixture(scope="module")
def stack(size, receiver):
    """PostgreSQL, Redis, gunicorn, two Celery workers and beat, all of the run's own."""
    missing = _missing_servers()
    if missing:
        message = f"the fault tests need {', '.join(missing)}"
        if os.environ.get("REQUIRE_SERVICES"):
            pytest.fail(message)
        pytest.skip(message)
    from .stack import private_stack

    logs = Path(os.environ.get("FAULTS_LOGS", Path(__file__).resolve().parents[2] / "var" / "faults"))
    with private_stack(settings=size.settings, keep_logs=logs) as running:
        running.start_web(size.web)
        for name in ("worker-1", "worker-2"):
            running.start_worker(name, size.workers)
        running.supervise()
        running.start_beat()
        yield running


# For the whole run: the figures of every module's bursts go into one report.
@pytest.fixture(scope="session")
def reports():
    collected = []
    yield collected
    write_reports(collected)


def pytest_terminal_summary(terminalreporter):
    from .report import REPORTED

    if REPORTED:
        terminalreporter.section("fault runs")
        for line in REPORTED:
            terminalreporter.write_line(line)
