"""A request relying on a task already queued (`kit.enqueue.OnceAhead`) instead of asking for one
after its commit: only while the task's mark is there and lives on past the grace, only when
the request commits within the grace, and the task that takes the mark learns when to claim again."""

import time

import pytest
import redis
from celery import current_app

from kit import enqueue
from kit.enqueue import OnceAhead, once_started
from kit.redis import redis_run
from tests.worker import require_services

KEY = "tests:once-ahead"
GRACE = 0.05


@pytest.fixture
def marks(settings):
    require_services()
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(settings.REDIS_KEY_PREFIX + KEY)
    yield client
    client.delete(settings.REDIS_KEY_PREFIX + KEY)


def looked(ahead: OnceAhead) -> OnceAhead:
    """`ahead` sent and read as the request's first round trip does."""

    def run(client):
        with client.pipeline(transaction=False) as pipeline:
            ahead.send(pipeline)
            (reply,) = pipeline.execute()
        ahead.read(reply)

    redis_run(run)
    return ahead


def mark(client, settings, *, milliseconds: int) -> None:
    client.set(settings.REDIS_KEY_PREFIX + KEY, 0, px=milliseconds)  # as enqueue_once_on_commit sets it


def test_with_no_task_waiting_the_request_asks_after_its_commit(marks):
    ahead = looked(OnceAhead(KEY, grace=GRACE))
    assert not ahead.holds()
    assert once_started(KEY) is None


def test_a_task_waiting_is_relied_on_within_the_grace_and_claims_again_after_it(marks, settings):
    mark(marks, settings, milliseconds=10_000)
    ahead = looked(OnceAhead(KEY, grace=GRACE))
    assert ahead.holds()

    before = time.monotonic()
    again_after = once_started(KEY)
    assert again_after is not None
    assert before + GRACE <= again_after <= time.monotonic() + GRACE
    assert marks.get(settings.REDIS_KEY_PREFIX + KEY) is None  # taken: the next request asks again


def test_a_request_that_commits_after_the_grace_does_not_rely(marks, settings, monkeypatch):
    mark(marks, settings, milliseconds=10_000)
    ahead = looked(OnceAhead(KEY, grace=GRACE))
    later = time.monotonic() + GRACE
    monkeypatch.setattr(enqueue.time, "monotonic", lambda: later)
    assert not ahead.holds()


def test_a_mark_about_to_expire_is_not_relied_on(marks, settings):
    """Its task may be lost: the mark must outlive the grace, or a claim after it is not sure."""
    mark(marks, settings, milliseconds=int(GRACE * 1000) - 10)
    ahead = looked(OnceAhead(KEY, grace=GRACE))
    assert not ahead.holds()
    assert once_started(KEY) is None  # nobody relied: no claim again


def test_the_longest_grace_relied_on_is_the_one_kept(marks, settings):
    mark(marks, settings, milliseconds=10_000)
    looked(OnceAhead(KEY, grace=0.2))
    looked(OnceAhead(KEY, grace=GRACE))
    assert marks.get(settings.REDIS_KEY_PREFIX + KEY) == b"200"
    assert marks.pttl(settings.REDIS_KEY_PREFIX + KEY) > 9_000  # relying does not keep it alive


def test_marks_on_another_redis_than_the_first_round_trip_are_not_looked_at(marks, settings, monkeypatch):
    assert OnceAhead.possible(KEY, grace=GRACE) is not None
    monkeypatch.setattr(current_app.conf, "broker_url", "redis://another-redis.invalid:6379/0")
    assert OnceAhead.possible(KEY, grace=GRACE) is None
