"""While Redis does not answer, every part that keeps something on it goes without it, and the
process finds out once: a failure any of them meets leaves Redis alone for all of them a moment
(`kit.redis`), with one warning.

Without Redis nothing is refused for its request rate, the metrics' counters count nothing, a
connector's credentials are read from the database, and a batch asked for is left to the sweep.
Here every connection to Redis is refused, as when it is down; no server is needed.
"""

import logging
from types import SimpleNamespace
from unittest import mock

import pytest
import redis.connection
from celery import current_app

import kit.redis
from connector_api import authentication
from connector_api.rate_limit import rate_limit_wait
from kit.enqueue import enqueue_once_on_commit
from operations.metrics import counters_add, counters_read

URL = "redis://127.0.0.1:6379/9"  # refused below before any packet leaves


@pytest.fixture
def refused(settings, monkeypatch):
    """Redis, the app's and the broker's (one, as by default), refusing every connection: the
    attempts, counted."""
    settings.REDIS_URL = URL
    settings.CONNECTOR_RATE_LIMIT = "3/min"
    monkeypatch.setattr(current_app.conf, "broker_url", URL)
    attempts = []

    def refuse(connection):
        attempts.append(connection)
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(redis.connection.Connection, "_connect", refuse)
    return attempts


@pytest.fixture
def parts(db, django_capture_on_commit_callbacks):
    """Each part that keeps something on Redis, doing so once; what it answers."""
    connector = SimpleNamespace(pk=1, rate_limit="")

    def batch_asked_for():
        task = SimpleNamespace(name="tests.batch", apply_async=mock.Mock())
        with django_capture_on_commit_callbacks(execute=True):
            enqueue_once_on_commit(task, key="tests:redis-unavailable")
        return "queued" if task.apply_async.called else "left to the sweep"

    def counted():
        counters_add({"tests": 1})
        return counters_read()

    return {
        "rate limit": lambda: rate_limit_wait(connector),
        "metrics": counted,
        "authentication": lambda: authentication._generation()[0],
        "enqueue": batch_asked_for,
    }


@pytest.mark.parametrize("first", ["rate limit", "metrics", "authentication", "enqueue"])
def test_a_failure_one_part_meets_leaves_redis_alone_for_every_part(first, refused, parts, caplog):
    with caplog.at_level(logging.WARNING):
        parts[first]()
        assert len(refused) == 1
        answers = {name: part() for name, part in parts.items()}

    assert len(refused) == 1  # none tried Redis again
    assert answers == {
        "rate limit": None,  # nothing refused
        "metrics": None,  # counts nothing, and a scrape says the source is down
        "authentication": None,  # the credentials are read from the database
        "enqueue": "left to the sweep",
    }
    warnings = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert [record.name for record in warnings] == ["kit.redis"]


def test_once_the_backoff_is_over_every_part_tries_redis_again(refused, parts, monkeypatch):
    monkeypatch.setattr(kit.redis, "BACKOFF_SECONDS", 0)
    for name, part in parts.items():
        before = len(refused)
        part()
        assert len(refused) > before, f"{name} did not try Redis"
