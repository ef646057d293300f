"""The app's Redis as each process reaches it: one client, left alone a moment after it failed,
one warning for an outage rather than one a request, a client of its own in a forked child, and
the commands of a block sent together."""

import logging
import os
import warnings
from types import SimpleNamespace

import pytest
import redis

import kit.redis
from kit.redis import (
    BACKOFF_SECONDS,
    UNAVAILABLE,
    WARN_EVERY_SECONDS,
    redis_backing_off,
    redis_failed,
    redis_forget,
    redis_run,
    redis_send,
    redis_together,
)
from tests.support.round_trips import redis_round_trips

NOWHERE = "redis://:hunter2@127.0.0.1:1/0"  # nothing listens there


@pytest.fixture
def clock(monkeypatch):
    """The module's monotonic clock, moved by hand (time-machine leaves that clock alone)."""
    now = [1000.0]
    monkeypatch.setattr(kit.redis, "time", SimpleNamespace(monotonic=lambda: now[0]))
    return now


@pytest.fixture
def failing():
    """A call that finds Redis not answering, and remembers each time it was made."""
    calls = []

    def call(client):
        calls.append(client)
        raise redis.ConnectionError("Connection refused")

    call.calls = calls
    return call


def warnings_logged(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "kit.redis"]


def test_after_a_failure_redis_is_left_alone_for_the_backoff_then_tried_again(
    settings, clock, failing, caplog
):
    settings.REDIS_URL = NOWHERE

    with caplog.at_level(logging.WARNING, logger="kit.redis"):
        assert redis_run(failing) is UNAVAILABLE
        clock[0] += BACKOFF_SECONDS - 0.1
        assert redis_run(failing) is UNAVAILABLE
        assert redis_backing_off()
        assert len(failing.calls) == 1

        clock[0] += 0.2
        assert not redis_backing_off()
        assert redis_run(failing) is UNAVAILABLE
        assert len(failing.calls) == 2

        clock[0] += BACKOFF_SECONDS
        assert redis_run(lambda client: "answered") == "answered"

    [warning] = warnings_logged(caplog)
    assert warning.startswith("redis://127.0.0.1:1/0 did not answer")
    assert "hunter2" not in warning


def test_an_outage_is_warned_of_once_a_minute_not_once_a_request(settings, clock, failing, caplog):
    settings.REDIS_URL = NOWHERE

    with caplog.at_level(logging.WARNING, logger="kit.redis"):
        while clock[0] < 1000.0 + WARN_EVERY_SECONDS + BACKOFF_SECONDS:  # a request every 0.1 s
            redis_run(failing)
            clock[0] += 0.1

    assert len(failing.calls) > WARN_EVERY_SECONDS / BACKOFF_SECONDS - 1
    assert len(warnings_logged(caplog)) == 2


def test_without_redis_nothing_is_tried(settings, failing):
    settings.REDIS_URL = ""

    assert redis_run(failing) is UNAVAILABLE
    assert failing.calls == []


def test_every_call_of_a_process_shares_one_client(settings):
    settings.REDIS_URL = NOWHERE

    assert redis_run(lambda client: client) is redis_run(lambda client: client)


def test_a_forked_process_makes_a_client_of_its_own_and_remembers_no_failure(settings):
    settings.REDIS_URL = NOWHERE
    parents = redis_run(lambda client: client)
    redis_failed(redis.ConnectionError("Connection refused"))
    reading, writing = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore", DeprecationWarning
        )  # forking while a thread runs: none here touches it
        pid = os.fork()
    if pid == 0:  # the child: answers through the pipe, and leaves without running the suite's exit
        answer = b"error"
        try:
            own = redis_run(lambda client: client)
            answer = b"shared" if own is parents else b"unavailable" if own is UNAVAILABLE else b"own"
        finally:
            os.write(writing, answer)
            os._exit(0)
    os.close(writing)
    os.waitpid(pid, 0)
    assert os.read(reading, 16) == b"own"
    os.close(reading)
    assert redis_run(lambda client: client) is UNAVAILABLE  # the parent still leaves it alone


@pytest.fixture
def served(settings):
    """The suite's Redis, with a key of this test's own."""
    from tests.worker import require_services

    require_services()
    redis_forget()
    redis_run(lambda client: client.ping())  # connected: its handshake is no round trip of a test
    key = settings.REDIS_KEY_PREFIX + "tests:together"
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(key)
    yield key
    client.delete(key)


def test_what_a_block_sends_goes_in_one_round_trip_and_each_reply_to_its_reader(served):
    replies = []
    with redis_round_trips() as trips, redis_together():
        redis_send(lambda pipeline: pipeline.incr(served), then=replies.append)
        with redis_together():  # nested: the outer block's
            redis_send(lambda pipeline: pipeline.incr(served), then=replies.append)
        redis_send(lambda pipeline: pipeline.get(served), then=replies.append)
        assert replies == []  # nothing sent yet

    assert replies == [1, 2, b"2"]
    assert trips.count == 1


def test_outside_a_block_a_command_is_sent_at_once(served):
    replies = []

    redis_send(lambda pipeline: pipeline.incr(served), then=replies.append)

    assert replies == [1]


def test_a_command_redis_refuses_is_unavailable_to_its_reader_alone(served, caplog):
    replies = []
    with caplog.at_level(logging.WARNING), redis_together():
        redis_send(lambda pipeline: pipeline.set(served, "text"), then=replies.append)
        redis_send(lambda pipeline: pipeline.incr(served), then=replies.append)  # not a number
        redis_send(lambda pipeline: pipeline.get(served), then=replies.append)

    assert replies == [True, UNAVAILABLE, b"text"]
    assert len(warnings_logged(caplog)) == 1


def test_a_server_that_does_not_answer_is_unavailable_to_every_reader(settings, caplog):
    settings.REDIS_URL = NOWHERE
    replies = []
    with caplog.at_level(logging.WARNING), redis_together():
        redis_send(lambda pipeline: pipeline.incr("a"), then=replies.append)
        redis_send(lambda pipeline: pipeline.incr("b"), then=replies.append)

    assert replies == [UNAVAILABLE, UNAVAILABLE]
    assert len(warnings_logged(caplog)) == 1


def test_what_a_block_sent_goes_also_when_the_block_raises(served):
    replies = []
    with pytest.raises(RuntimeError), redis_together():
        redis_send(lambda pipeline: pipeline.incr(served), then=replies.append)
        raise RuntimeError("the block's own failure")

    assert replies == [1]


def test_a_reader_that_fails_is_logged_and_the_others_still_read(served, caplog):
    replies = []

    def fails(reply):
        raise ValueError("a reader's mistake")

    with caplog.at_level(logging.ERROR), redis_together():
        redis_send(lambda pipeline: pipeline.incr(served), then=fails)
        redis_send(lambda pipeline: pipeline.incr(served), then=replies.append)

    assert replies == [2]
    assert "a reader's mistake" in caplog.text


def test_replies_are_read_by_the_c_parser(served):
    """hiredis (requirements.txt) is installed and the client reads through it: without it
    redis-py falls back to its Python parser silently, and every request pays for it."""
    client = redis_run(lambda client: client)
    connection = client.connection_pool.get_connection()
    try:
        assert type(connection._parser).__name__ == "_HiredisParser"
    finally:
        client.connection_pool.release(connection)
