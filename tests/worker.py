"""A real Celery worker process, on Redis and the test's PostgreSQL database."""

import itertools
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from bench.harness_processes import ends_with_this_process

ROOT = Path(__file__).resolve().parent.parent


def require_services() -> None:
    """Skip (or, under bin/test, fail) unless the test runs on PostgreSQL with Redis as broker."""
    missing = []
    if connection.vendor != "postgresql":
        missing.append("PostgreSQL (DATABASE_URL)")
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        missing.append("Redis (REDIS_URL)")
    if missing:
        message = f"needs {' and '.join(missing)}: run bin/test"
        if os.environ.get("REQUIRE_SERVICES"):
            pytest.fail(message)
        pytest.skip(message)


def database_url() -> str:
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
    )


def delete_run_keys() -> None:
    """Delete this run's keys on Redis (what an earlier test queued or marked), and no one else's:
    other runs and apps may share the database."""
    from bench.harness_processes import delete_redis_keys

    if not settings.REDIS_KEY_PREFIX:
        raise RuntimeError("the test settings give every run a key prefix of its own")
    for url in {settings.CELERY_BROKER_URL, settings.REDIS_URL}:
        if url.startswith(("redis://", "rediss://")):
            delete_redis_keys(url, settings.REDIS_KEY_PREFIX)


_workers_started = itertools.count(1)


def start_worker(
    *, queues: str | None = None, loglevel: str = "WARNING", stderr=None, **environment
) -> subprocess.Popen:
    """Start `celery -A config worker` on the test database; return once it answers a ping.

    `queues` ("deliveries", "celery,upkeep") limits the worker to those queues, as `-Q` does;
    `stderr` (a file) receives its log.
    """
    from config.celery import app

    delete_run_keys()
    # A name of its own, and only it is pinged: a worker of another run never answers for it.
    name = f"test-{settings.TEST_RUN}-{next(_workers_started)}@{socket.gethostname()}"
    Path(settings.CELERY_BEAT_SCHEDULE_FILENAME).parent.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "OUTBOUND_ALLOW_PRIVATE_URLS": "true",  # the tests' connectors listen on 127.0.0.1
        # The files it writes go where the test reads them (tests/conftest.py: the test's own folders).
        "IMPORT_ROOT": settings.STORAGES["imports"]["OPTIONS"]["location"],
        "EXPORT_ROOT": settings.STORAGES["exports"]["OPTIONS"]["location"],
        **{key: str(value) for key, value in environment.items()},
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=threads",
            "--concurrency=4",
            "--without-gossip",
            "--without-mingle",
            f"--loglevel={loglevel}",
            f"--hostname={name}",
            # The sweeps run too, as in production: whatever a lost message leaves is picked up.
            "--beat",
            f"--schedule={settings.CELERY_BEAT_SCHEDULE_FILENAME}",  # in the run's folder
            *(["--queues", queues] if queues else []),
        ],
        cwd=ROOT,
        env=env,
        stderr=stderr,
        preexec_fn=ends_with_this_process(),  # no worker or beat outlives a run killed
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the worker exited with {process.returncode}")
        if app.control.ping(destination=[name], timeout=0.5):
            return process
    process.kill()
    raise RuntimeError("the worker did not answer within 30 s")


def stop_worker(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def messages_waiting(queue: str) -> int:
    """How many messages wait in `queue` on the broker."""
    from config.celery import app

    with app.connection_for_read() as connection:
        # Not passive: kombu's Redis transport looks a queue up without the run's key prefix.
        return connection.default_channel.queue_declare(queue=queue).message_count
