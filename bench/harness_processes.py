"""Processes on 127.0.0.1: web servers, workers and load generators, started and stopped with their children."""

import ctypes
import itertools
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .harness import ROOT

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def ends_with_this_process():
    """A `preexec_fn` by which the child gets SIGTERM when this process ends, however it ends
    (killed, or stopped twice by Ctrl-C): Linux's PR_SET_PDEATHSIG. None elsewhere, and off the
    main thread, whose end the kernel would take for the parent's."""
    if sys.platform != "linux" or threading.current_thread() is not threading.main_thread():
        return None
    # Loaded here, in the parent: the child, forked while other threads run, only makes the call.
    prctl = ctypes.CDLL(None, use_errno=True).prctl

    def sigterm_when_parent_ends() -> None:
        if prctl(PR_SET_PDEATHSIG, signal.SIGTERM) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")

    return sigterm_when_parent_ends


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


def wait_until_answers(
    port: int, *, timeout: float = 30.0, process: subprocess.Popen | None = None, host: str = "127.0.0.1"
) -> None:
    """Return once `host`:`port` accepts connections; fail when `process` ends first or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(
                f"{shorten_command(process.args)} ended ({process.returncode}) before answering"
            )
        try:
            socket.create_connection((host, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answered on {host}:{port} within {timeout:g} s")


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
    host: str = "127.0.0.1",
    timeout: float = 30.0,
    log: Path | None = None,
) -> Iterator[subprocess.Popen]:
    """Run `command` for the length of the `with` block, in a process group of its own.

    With `port`, wait until it answers there (on `host`) first. On the way out the whole group (gunicorn's
    or Celery's children too) gets SIGTERM, then SIGKILL if it still runs after ten seconds:
    nothing a benchmark starts outlives it, nor, started on the main thread, this process.
    """
    output = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=ends_with_this_process(),
    )
    try:
        if port is not None:
            wait_until_answers(port, timeout=timeout, process=process, host=host)
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
