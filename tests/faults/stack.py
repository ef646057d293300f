"""The whole app on a fault run's own servers: PostgreSQL, Redis, gunicorn, Celery workers and beat.

Everything listens on 127.0.0.1 only (or, in a cluster run, on hosts of its own network:
`tests.faults.cluster`), and everything it starts stops with it (`bench.harness_processes.
background`: a process group each, SIGTERM then SIGKILL).
"""

import json
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.harness import ROOT
from bench.harness_processes import app_environment, background, free_port, python_command
from bench.servers import WebSetup, WorkerSetup, web_command, worker_command

from .network import Host
from .servers import PrivatePostgres, PrivateRedis, private_directory


@dataclass
class Stack:
    """The app's processes on private servers; `logs` keeps what each of them printed."""

    postgres: PrivatePostgres
    redis: PrivateRedis
    logs: Path
    settings: dict[str, str] = field(default_factory=dict)
    web_port: int = field(default_factory=free_port)
    processes: ExitStack = field(default_factory=ExitStack)
    workers: dict[str, subprocess.Popen] = field(default_factory=dict)
    migrate_seconds: float = 0.0
    # Workers that exited by themselves and were started again, as production's supervisor
    # (systemd's Restart=always, a container's restart policy) does: name → times.
    restarts: dict[str, int] = field(default_factory=dict)
    _setups: dict[str, WorkerSetup] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.RLock)
    _supervising: threading.Event = field(default_factory=threading.Event)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def environment(self, **overrides) -> dict[str, str]:
        return app_environment(
            DATABASE_URL=self.postgres.url,
            REDIS_URL=self.redis.url,
            CELERY_BROKER_URL=self.redis.url,
            # A Redis of the stack's own: its keys need no run's prefix, and the fault tests'
            # own Celery client (test_faults.busy_worker) reads them without one.
            REDIS_KEY_PREFIX="",
            LOG_LEVEL="WARNING",
            **{**self.settings, **overrides},
        )

    def django(self, *args: str, timeout: float = 120) -> str:
        """Run `python *args` as an app process (on this stack's database); return what it printed."""
        result = subprocess.run(
            python_command(*args),
            cwd=ROOT,
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode:
            raise RuntimeError(f"python {' '.join(args)} failed: {result.stderr[-3000:]}")
        return result.stdout

    def world(self, *args: str) -> dict:
        return json.loads(self.django("-m", "tests.faults.world", *args))

    def launch(self, name: str, command: list[str], *, port: int | None = None) -> subprocess.Popen:
        """Run `command` as the stack's process `name` until the stack stops; its log is `name`.log.
        With `port`, return once it answers there."""
        return self.processes.enter_context(
            background(command, env=self.environment(), port=port, log=self.logs / f"{name}.log")
        )

    def start_web(self, setup: WebSetup) -> None:
        self.launch("web", web_command(setup, port=self.web_port), port=self.web_port)

    def start_worker(self, name: str, setup: WorkerSetup) -> subprocess.Popen:
        """A Celery worker as docs/operations.md deploys it, named `name@faults`."""
        command = worker_command(setup, hostname=f"{name}@faults")
        with self._lock:
            process = self.launch(name, command)
            self.workers[name] = process
            self._setups[name] = setup
        return process

    def kill_worker(self, name: str) -> None:
        """SIGKILL the worker and its pool processes at once, as the kernel's OOM killer or a lost host would."""
        with self._lock:
            process = self.workers.pop(name)  # the fault restarts it itself, later
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def supervise(self, *, every: float = 1.0) -> None:
        """Start again, within a second, a worker that exited by itself.

        Celery 5.7's worker can exit when it loses the broker with messages in hand (closing the
        broken connection raises AttributeError in kombu's Redis transport, which the consumer
        does not catch): production runs workers under a supervisor, and so does this stack.
        """

        def watch():
            while not self._supervising.wait(every):
                with self._lock:
                    if self._supervising.is_set():
                        return
                    exited = [name for name, process in self.workers.items() if process.poll() is not None]
                    for name in exited:
                        self.restarts[name] = self.restarts.get(name, 0) + 1
                        self.start_worker(name, self._setups[name])

        threading.Thread(target=watch, daemon=True, name="supervisor").start()

    def stop_supervising(self) -> None:
        """Before the processes stop: a worker stopped then must stay stopped."""
        with self._lock:
            self._supervising.set()

    def start_beat(self) -> None:
        command = python_command(
            "-m",
            "celery",
            "-A",
            "config",
            "beat",
            "--loglevel",
            "INFO",
            "--pidfile=",
            f"--schedule={self.logs / 'celerybeat-schedule'}",
        )
        self.launch("beat", command)


@contextmanager
def private_stack(
    *,
    settings: dict[str, str] | None = None,
    keep_logs: Path | None = None,
    database_host: Host | None = None,
    make: Callable[..., Stack] = Stack,
):
    """Create PostgreSQL and Redis of the run's own, migrate, and yield a `Stack` (nothing started yet).

    On free ports of 127.0.0.1, or on `database_host` (`tests.faults.network`) at their usual
    ports; `make` makes the stack. With `keep_logs`, the processes' logs are copied there at the end.
    """
    directory = private_directory("oa-faults-")
    if database_host is None:
        postgres = PrivatePostgres(directory / "postgresql")
        redis = PrivateRedis(directory / "redis")
    else:
        address, within = database_host.addresses["back"], database_host.command
        postgres = PrivatePostgres(directory / "postgresql", port=5432, host=address, within=within)
        redis = PrivateRedis(directory / "redis", port=6379, host=address, within=within)
    logs = directory / "logs"
    logs.mkdir()
    try:
        postgres.create()
        redis.start()
        stack = make(postgres, redis, logs, settings=dict(settings or {}))
        started = time.monotonic()
        stack.django("manage.py", "migrate", "--noinput", "-v", "0", timeout=300)
        stack.migrate_seconds = time.monotonic() - started
        with stack.processes:
            try:
                yield stack
            finally:
                stack.stop_supervising()
    finally:
        redis.stop()
        if keep_logs is not None:
            keep_logs.mkdir(parents=True, exist_ok=True)
            for log in [*logs.glob("*.log"), *logs.glob("*.jsonl"), postgres.log, redis.log]:
                if log.exists():
                    shutil.copy(log, keep_logs / log.name)
        postgres.remove()
        shutil.rmtree(directory, ignore_errors=True)
