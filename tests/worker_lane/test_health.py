"""Readiness as a real worker and its beat make it: each says it is alive on its own timer."""

import json
import time

import pytest

from tests.worker import stop_worker

pytestmark = pytest.mark.real_worker


def ready(client):
    response = client.get("/health/ready")
    return response.status_code, json.loads(response.content)


def wait_for(client, failing: list[str], timeout: float = 20):
    """The answer once exactly `failing` fail, or the last one seen after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        answer = ready(client)
        if answer[1]["failing"] == failing or time.monotonic() > deadline:
            return answer
        time.sleep(0.25)


def test_ready_while_the_worker_and_beat_run_and_not_once_they_stop(client, settings, celery_worker):
    settings.HEALTH_HEARTBEAT_MAX_AGE = 3
    status, body = wait_for(client, [])
    assert (status, body["failing"]) == (200, [])
    # Stamped again and again, not once at the start: beat's schedule is a minute apart.
    time.sleep(4)
    status, body = ready(client)
    assert status == 200
    assert body["checks"]["beat"]["secondsAgo"] < 2.5
    assert body["checks"]["worker"]["secondsAgo"] < 2.5

    stop_worker(celery_worker)
    status, body = wait_for(client, ["beat", "worker"], timeout=10)
    assert status == 503
    assert body["failing"] == ["beat", "worker"]
    assert body["checks"]["worker"]["error"] == "stale"
