"""This process's client of the app's Redis, and the one way every app goes without it.

What the apps keep on Redis (the counters of the metrics, connectors' request rates, the
credentials' generation, the queue-once marks) they can all go without for a while, so a Redis
that does not answer must cost a request little and once: the client has short timeouts, and
after a failure this process leaves that Redis alone for `BACKOFF_SECONDS`, every caller alike,
with one warning every `WARN_EVERY_SECONDS`. Meanwhile `redis_run` answers `UNAVAILABLE` and each
caller does without (docs/reliability.md).

One client a process, made again in a forked child (Celery's prefork pool, gunicorn's workers):
two processes must never share a connection, and a child starts with nothing remembered.

Within `redis_together()`, what `redis_send` asks of a server goes in one pipeline at the block's
end: the commands a request or a batch sends after its commit (a queue-once mark, the metrics'
counters) cost one round trip, not one each.
"""

import enum
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
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


@dataclass
class _Sent:
    """Commands `redis_send` queued for one server: `queue(pipeline)` adds one, `then` reads its reply."""

    queues: list[Callable[[redis.client.Pipeline], object]] = field(default_factory=list)
    thens: list[Callable[[object], None] | None] = field(default_factory=list)


# The open block's commands, by server URL; None outside a block.
_together: ContextVar[dict[str, _Sent] | None] = ContextVar("kit_redis_together", default=None)


@contextmanager
def redis_together() -> Iterator[None]:
    """Send what `redis_send` asks within to each server in one pipeline, at the block's end.

    Nested, it is the outer block's. The replies are read in the order the commands were sent;
    a server that fails answers each of them UNAVAILABLE, as `redis_run` would. What was sent
    goes also when the block raises: it was asked for by work already committed.
    """
    if _together.get() is not None:
        yield
        return
    sent: dict[str, _Sent] = {}
    token = _together.set(sent)
    try:
        yield
    finally:
        _together.reset(token)  # a `then` that sends again sends at once
        for url, commands in sent.items():
            _pipeline_run(url, commands)


def redis_send(
    queue: Callable[[redis.client.Pipeline], object],
    *,
    then: Callable[[object], None] | None = None,
    url: str | None = None,
) -> None:
    """Ask the Redis at `url` (REDIS_URL by default) for `queue(pipeline)`, one command, and
    give its reply (or UNAVAILABLE) to `then`: at the end of the open `redis_together()`
    block, or at once outside one."""
    url = settings.REDIS_URL if url is None else url
    sent = _together.get()
    if sent is None:
        _pipeline_run(url, _Sent([queue], [then]))
        return
    commands = sent.setdefault(url, _Sent())
    commands.queues.append(queue)
    commands.thens.append(then)


def _pipeline_run(url: str, commands: _Sent) -> None:
    def execute(client: redis.Redis) -> list:
        with client.pipeline(transaction=False) as pipeline:
            for queue in commands.queues:
                queue(pipeline)
            return pipeline.execute(raise_on_error=False)

    replies = redis_run(execute, url=url)
    if replies is UNAVAILABLE:
        replies = [UNAVAILABLE] * len(commands.thens)
    for then, reply in zip(commands.thens, replies, strict=True):
        if isinstance(reply, redis.RedisError):  # this command's own error: the others stand
            logger.warning("%s answered an error: %s", _shown(url), reply)
            reply = UNAVAILABLE
        if then is None:
            continue
        try:
            then(reply)
        except Exception:  # as a failed on-commit hook: logged, never the caller's failure
            logger.exception("Reading %s's reply failed.", _shown(url))
