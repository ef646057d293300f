"""The app as production runs it, for the benchmarks that load it: gunicorn and Celery workers.

Both run `bench.settings` (the app's settings plus the bare baselines of `bench.baseline`) on
the run's database and broker, on 127.0.0.1, in process groups that stop with the `with` block.
How many processes each has is stated here, and in every report that uses them.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .harness import ROOT
from .harness_processes import app_environment, background, delete_redis_keys, free_port, python_command

LOGS = ROOT / "var" / "bench"


@dataclass(frozen=True)
class WebSetup:
    """gunicorn's process model: `workers` processes of `worker_class`, `threads` threads each."""

    workers: int = 3
    worker_class: str = "sync"
    threads: int = 1

    def describe(self) -> str:
        threads = f", {self.threads} threads each" if self.worker_class == "gthread" else ""
        return f"gunicorn, {self.workers} {self.worker_class} workers{threads}"


@dataclass(frozen=True)
class WorkerSetup:
    """A Celery worker's settings, the same for an app's tasks and a baseline's."""

    concurrency: int = 2
    pool: str = "prefork"
    prefetch_multiplier: int = 4

    def describe(self) -> str:
        return (
            f"Celery worker, {self.pool} pool, concurrency {self.concurrency}, "
            f"prefetch multiplier {self.prefetch_multiplier}"
        )


# The setup every benchmark that runs the app uses, so that their figures can be set side by side.
WEB = WebSetup(workers=3)
WORKERS = WorkerSetup(concurrency=2)


def log_path(name: str) -> Path:
    LOGS.mkdir(parents=True, exist_ok=True)
    return LOGS / f"{name}.log"


def web_command(setup: WebSetup, *, port: int, host: str = "127.0.0.1") -> list[str]:
    """The command of gunicorn serving the app on `host`:`port` as `setup` says."""
    return python_command(
        "-m",
        "gunicorn",
        "config.wsgi",
        f"--bind={host}:{port}",
        f"--workers={setup.workers}",
        f"--worker-class={setup.worker_class}",
        f"--threads={setup.threads}",
        "--backlog=4096",
        "--timeout=120",
    )


def worker_command(setup: WorkerSetup, *, hostname: str) -> list[str]:
    """The command of a Celery worker of the app as `setup` says, named `hostname`."""
    return python_command(
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        f"--pool={setup.pool}",
        f"--concurrency={setup.concurrency}",
        f"--prefetch-multiplier={setup.prefetch_multiplier}",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel=WARNING",
        f"--hostname={hostname}",
    )


@contextmanager
def web_server(setup: WebSetup = WEB) -> Iterator[str]:
    """Run gunicorn on a free port of 127.0.0.1; yield its base URL."""
    port = free_port()
    command = web_command(setup, port=port)
    environment = app_environment(DJANGO_SETTINGS_MODULE="bench.settings")
    with background(command, env=environment, port=port, log=log_path("gunicorn")):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def celery_worker(setup: WorkerSetup = WORKERS, *, ready: bool = True, **environment) -> Iterator[None]:
    """Run a Celery worker (no beat: nothing is swept behind the benchmark's back).

    With `ready`, return once it answers a ping; otherwise at once, so that tasks already
    queued are timed from the worker's own first and last completions.
    """
    command = worker_command(setup, hostname=f"bench-{free_port()}@%h")
    env = app_environment(DJANGO_SETTINGS_MODULE="bench.settings", **environment)
    with background(command, env=env, log=log_path("celery")) as process:
        if ready:
            _wait_for_worker(process)
        yield


def _wait_for_worker(process, timeout: float = 60.0) -> None:
    from config.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"the Celery worker exited with {process.returncode}; see {log_path('celery')}"
            )
        if app.control.ping(timeout=0.5):
            return
    raise RuntimeError(f"the Celery worker did not answer within {timeout:g} s; see {log_path('celery')}")


def broker_flush() -> None:
    """Empty the run's Redis database (or the run's keys in it, when they carry a prefix of its
    own): tasks left by one measurement must not run in the next."""
    from django.conf import settings

    delete_redis_keys(settings.CELERY_BROKER_URL, settings.REDIS_KEY_PREFIX)
