"""/health/live and /health/ready, as a load balancer or an orchestrator sees them."""

import json
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from operations import health
from operations.heartbeats import BEAT, WORKER_PREFIX, heartbeat_stamp
from operations.models import Heartbeat

pytestmark = pytest.mark.django_db

SECRET_LOOKING = ("10.0.0.5", "hunter2", "order_authorization", "127.0.0.1:1")


@pytest.fixture
def alive():
    """A worker and beat heard from a moment ago."""
    heartbeat_stamp(WORKER_PREFIX + "celery@app-1")
    heartbeat_stamp(BEAT)


@pytest.fixture(autouse=True)
def migrations_checked_again(monkeypatch):
    monkeypatch.setattr(health, "_migrations_applied", False)


def probe(client, path="/health/ready", **headers):
    response = client.get(path, HTTP_HOST="10.9.8.7", **headers)
    return response.status_code, json.loads(response.content)


def test_live_answers_while_the_process_runs_whatever_the_host_and_over_plain_http(client, settings):
    settings.ALLOWED_HOSTS = ["orders.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    assert probe(client, "/health/live") == (200, {"status": "live"})
    # The rest of the site still refuses that host and redirects plain HTTP.
    assert client.get("/admin/login/", HTTP_HOST="10.9.8.7").status_code == 400


def test_ready_names_every_check_and_passes_when_all_do(client, settings, alive):
    settings.ALLOWED_HOSTS = ["orders.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    status, body = probe(client)
    assert status == 200
    assert (body["status"], body["failing"]) == ("ready", [])
    assert sorted(body["checks"]) == ["beat", "broker", "database", "migrations", "worker"]
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["worker"]["workers"] == 1
    assert body["checks"]["beat"]["secondsAgo"] < 5


def test_no_login_no_session_and_nothing_cached(client, alive):
    response = client.get("/health/ready")
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Type"] == "application/json"
    assert not response.cookies


def test_a_worker_not_heard_from_and_beat_never_seen_are_named(client, settings):
    settings.HEALTH_HEARTBEAT_MAX_AGE = 60
    heartbeat_stamp(WORKER_PREFIX + "celery@app-1", at=timezone.now() - timedelta(seconds=95))
    status, body = probe(client)
    assert status == 503
    assert (body["status"], body["failing"]) == ("not-ready", ["beat", "worker"])
    worker = body["checks"]["worker"]
    assert (worker["ok"], worker["error"], worker["workers"]) == (False, "stale", 0)
    assert 94 < worker["secondsAgo"] < 120
    assert body["checks"]["beat"] == {"ok": False, "error": "never-seen"}


def test_one_live_worker_among_dead_ones_is_enough(client, alive):
    heartbeat_stamp(WORKER_PREFIX + "celery@gone", at=timezone.now() - timedelta(hours=2))
    status, body = probe(client)
    assert status == 200
    assert body["checks"]["worker"]["workers"] == 1


def test_beat_forgets_workers_gone_for_a_day(alive):
    heartbeat_stamp(WORKER_PREFIX + "celery@old-host", at=timezone.now() - timedelta(days=2))
    heartbeat_stamp(BEAT)
    assert sorted(Heartbeat.objects.values_list("name", flat=True)) == [BEAT, WORKER_PREFIX + "celery@app-1"]


def test_a_broker_that_does_not_answer_is_named_without_its_address(client, settings, alive):
    settings.CELERY_BROKER_URL = "redis://:hunter2@127.0.0.1:1/0"
    settings.HEALTH_BROKER_TIMEOUT = 0.5
    status, body = probe(client)
    assert status == 503
    assert body["failing"] == ["broker"]
    assert body["checks"]["broker"] == {"ok": False, "error": "unreachable"}
    assert not any(secret in json.dumps(body) for secret in SECRET_LOOKING)


def test_a_database_that_does_not_answer_fails_what_it_holds_and_says_nothing_of_it(
    client, monkeypatch, alive
):
    def unreachable(*args, **kwargs):
        raise OperationalError(
            'connection to server at "10.0.0.5", user "order_authorization" password hunter2'
        )

    monkeypatch.setattr(health.connection, "cursor", unreachable)
    monkeypatch.setattr(health, "heartbeats_seen", unreachable)
    status, body = probe(client)
    assert status == 503
    assert body["failing"] == ["beat", "database", "migrations", "worker"]
    assert body["checks"]["database"] == {"ok": False, "error": "unreachable"}
    assert body["checks"]["worker"] == {"ok": False, "error": "unknown"}
    assert not any(secret in json.dumps(body) for secret in SECRET_LOOKING)


def test_migrations_not_applied_are_counted(client, monkeypatch, alive):
    monkeypatch.setattr(health.MigrationExecutor, "migration_plan", lambda self, targets: [("a", False)] * 2)
    status, body = probe(client)
    assert status == 503
    assert body["failing"] == ["migrations"]
    assert body["checks"]["migrations"] == {"ok": False, "error": "unapplied", "unapplied": 2}


def test_once_applied_the_migrations_are_not_read_again(client, django_assert_max_num_queries, alive):
    probe(client)
    with django_assert_max_num_queries(2):  # SELECT 1 and the heartbeats
        status, _ = probe(client)
    assert status == 200


@pytest.mark.parametrize("path", ["/health/live", "/health/ready"])
def test_only_get_and_head(client, path, alive):
    assert client.head(path).status_code in (200, 503)
    assert client.post(path).status_code == 405


def test_other_paths_are_left_to_the_site(client):
    assert client.get("/health/other").status_code == 404
    assert client.get("/health/live/").status_code == 404
