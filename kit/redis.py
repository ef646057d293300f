"""This process's client of the app's Redis, and the one way every app goes without it.

What the apps keep on Redis (the counters of the metrics, connectors' request rates, the
credentials' generation, the queue-once marks) they can all go without for a while, so a Redis
that does not answer must cost a request little and once: the client has short timeouts, and
after a failure this process leaves that Redis alone for `BACKOFF_SECONDS`, every caller alike,
with one warning every `WARN_EVERY_SECONDS`. Meanwhile `redis_run` answers `UNAVAILABLE` and each
caller does without (docs/reliability.md).

One client a process, made again in a forked child (Celery's prefork pool, gunicorn's workers):
two processes must never share a connection, and a child starts with nothing remembered.
"""

import enum
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

BACKOFF_SECONDS = 2.0
WARN_EVERY_SECONDS = 60.0
TIMEOUT_SECONDS = 0.5


class Unavailable(enum.Enum):
    UNAVAILABLE = "unavailable"


UNAVAILABLE = Unavailable.UNAVAILABLE


@dataclass
class _Server:
    client: redis.Redis | None = None
    failed_at: float | None = None
    warned_at: float | None = None


# By URL: the app's Redis is REDIS_URL, and the broker, when CELERY_BROKER_URL names another, is
# another server with a backoff of its own. By default they are one and the same.
_servers: dict[str, _Server] = {}


def redis_forget() -> None:
    """Start again as a new process does: no client, no failure remembered."""
    _servers.clear()


os.register_at_fork(after_in_child=redis_forget)


def _server(url: str) -> _Server:
    server = _servers.get(url)
    if server is None:
        server = _servers[url] = _Server()
    return server


def _backing_off(server: _Server) -> bool:
    return server.failed_at is not None and time.monotonic() - server.failed_at < BACKOFF_SECONDS


def redis_backing_off(*, url: str | None = None) -> bool:
    """Whether the server at `url` (the app's Redis by default) failed moments ago."""
    server = _servers.get(settings.REDIS_URL if url is None else url)
    return server is not None and _backing_off(server)


def redis_failed(problem: Exception, *, url: str | None = None) -> None:
    """Leave the server at `url` (the app's Redis by default) alone for BACKOFF_SECONDS."""
    url = settings.REDIS_URL if url is None else url
    server = _server(url)
    server.failed_at = now = time.monotonic()
    if server.warned_at is None or now - server.warned_at >= WARN_EVERY_SECONDS:
        server.warned_at = now
        logger.warning(
            "%s did not answer; this process goes without it for the next %g s, and says so again "
            "in %g s at the earliest if it still does not: %s",
            _shown(url),
            BACKOFF_SECONDS,
            WARN_EVERY_SECONDS,
            problem,
        )


def redis_run[T](call: Callable[[redis.Redis], T], *, url: str | None = None) -> T | Unavailable:
    """Return `call(client)` on the Redis at `url` (REDIS_URL by default), or UNAVAILABLE without
    one, while this process leaves it alone, or when it fails (which starts that)."""
    url = settings.REDIS_URL if url is None else url
    if not url:
        return UNAVAILABLE
    server = _server(url)
    if _backing_off(server):
        return UNAVAILABLE
    if server.client is None:
        server.client = redis.Redis.from_url(
            url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS
        )
    try:
        return call(server.client)
    except redis.RedisError as problem:
        redis_failed(problem, url=url)
        return UNAVAILABLE


def _shown(url: str) -> str:
    """The URL without its credentials."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"
