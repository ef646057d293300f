"""Settings with nothing set in the environment: no server needed."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.harness_processes import ends_with_this_process
from tests.support.app_process import app_environment, python_in

ROOT = Path(__file__).resolve().parents[2]

PRINT_SETTINGS = """
import json
from django.conf import settings
database = settings.DATABASES["default"]
print(json.dumps({
    "engine": database["ENGINE"],
    "name": str(database["NAME"]),
    "init_command": database["OPTIONS"].get("init_command", ""),
    "prepared": database["OPTIONS"].get("prepare_threshold") is not None,
    "broker": settings.CELERY_BROKER_URL,
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
}))
"""


def settings_with(tmp_path, **variables) -> dict:
    # A working directory without `.env`, and only the variables this test names.
    return python_in(tmp_path, f"import django; django.setup(); {PRINT_SETTINGS}", **variables)


def test_without_database_url_the_app_uses_sqlite_in_wal_mode_and_a_file_broker(tmp_path):
    if (ROOT / ".env").exists():
        pytest.skip("a .env file in the project sets variables of its own")
    found = settings_with(tmp_path)
    assert found["engine"] == "django.db.backends.sqlite3"
    assert found["name"].endswith("var/db.sqlite3")
    assert "PRAGMA journal_mode=wal" in found["init_command"]
    assert found["broker"].startswith("filesystem://")
    assert found["eager"] is False


def test_with_database_url_and_redis_url_the_app_uses_postgresql_and_redis(tmp_path):
    found = settings_with(
        tmp_path,
        DATABASE_URL="postgres://app@db.internal:5432/orders",
        REDIS_URL="redis://cache.internal:6379/0",
    )
    assert found["engine"] == "django.db.backends.postgresql"
    assert found["init_command"] == ""
    assert found["broker"] == "redis://cache.internal:6379/0"
    assert found["prepared"] is True


def test_behind_a_pooler_in_transaction_mode_prepared_statements_can_be_turned_off(tmp_path):
    found = settings_with(
        tmp_path,
        DATABASE_URL="postgres://app@pgbouncer.internal:6432/orders",
        DATABASE_PREPARED_STATEMENTS="false",
    )
    assert found["prepared"] is False


def test_on_postgresql_a_statement_a_connection_runs_again_is_prepared(db):
    from django.db import connection

    from accounts.models import Account

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    for _ in range(3):
        list(Account.objects.filter(name="prepared-statements-probe"))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%prepared-statements-probe%"],
        )
        literal = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ['%FROM "authorization_account" WHERE "authorization_account"."name" = $1%'],
        )
        assert (literal, cursor.fetchone()[0]) == (0, 1)  # bound by the server, prepared once


def test_on_postgresql_a_connection_gives_up_on_a_database_host_that_stops_acknowledging(db):
    # Without it, a query sent as the database host is cut off waits out TCP's retries (minutes):
    # tests/faults/test_cluster.py shows /health/ready hanging through a cut instead of answering 503.
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("libpq's tcp_user_timeout")
    connection.ensure_connection()
    assert connection.connection.info.get_parameters()["tcp_user_timeout"] == "10000"


def test_on_postgresql_the_server_ends_a_session_left_idle_inside_a_transaction(db):
    # A process cut off between two statements of a transaction would otherwise keep its row locks
    # until the server's keepalive noticed, hours by default.
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's idle_in_transaction_session_timeout")
    with connection.cursor() as cursor:
        cursor.execute("SHOW idle_in_transaction_session_timeout")
        assert cursor.fetchone()[0] == "5min"


def test_deliveries_and_upkeep_have_queues_of_their_own_that_every_worker_consumes():
    from django.conf import settings

    from config.celery import app

    def queue_of(task: str) -> str:
        return app.amqp.router.route({}, task, (), {})["queue"].name

    consumed = set(app.amqp.queues)  # what a worker started without -Q takes from
    assert consumed == {"celery", "deliveries", "upkeep"}
    assert queue_of("orders.tasks.process_intake") == "celery"
    assert queue_of("orders.tasks.process_intakes") == "celery"
    assert queue_of("connectors.tasks.deliver_notifications") == "deliveries"
    assert queue_of("connectors.tasks.deliver_notification") == "deliveries"
    assert queue_of("connectors.tasks.deliver_hook") == "deliveries"
    # Every periodic task: a sweep waiting behind thousands of orders would recover nothing meanwhile.
    assert {entry["task"]: queue_of(entry["task"]) for entry in settings.CELERY_BEAT_SCHEDULE.values()} == {
        entry["task"]: "upkeep" for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }


def test_a_task_lands_in_its_own_queue_alone():
    from config.celery import app
    from tests.worker import delete_run_keys, messages_waiting, require_services

    require_services()
    delete_run_keys()  # no binding left by an earlier test
    try:
        with app.connection_for_write() as connection:  # as a worker declares them when it starts
            for queue in app.amqp.queues.values():
                queue.bind(connection.default_channel).declare()
        app.send_task("orders.tasks.process_intake", (1,))
        app.send_task("connectors.tasks.deliver_notification", (1,))
        app.send_task("connectors.tasks.deliver_notifications", ([1, 2],))
        app.send_task("connectors.tasks.deliver_hook", (1,))
        app.send_task("orders.tasks.sweep_intake")
        assert {queue: messages_waiting(queue) for queue in app.amqp.queues} == {
            "celery": 1,
            "deliveries": 3,
            "upkeep": 1,
        }
    finally:
        delete_run_keys()


def test_beat_starts_where_its_schedule_folder_does_not_exist_yet(tmp_path):
    folder = tmp_path / "var"  # as on a fresh checkout: nothing has made it
    environment = app_environment(
        HOME=tmp_path,
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"),
        REDIS_KEY_PREFIX=f"beat-start-{os.getpid()}:",
        CELERY_BEAT_SCHEDULE_FILENAME=folder / "celerybeat-schedule",
    )
    beat = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO"],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=ends_with_this_process(),
    )
    try:
        deadline = time.monotonic() + 60
        while beat.poll() is None and not list(folder.glob("celerybeat-schedule*")):
            assert time.monotonic() < deadline, "beat kept no schedule within a minute"
            time.sleep(0.2)
        time.sleep(1)  # past opening its schedule: still ticking
        assert beat.poll() is None, beat.stdout.read()
    finally:
        beat.terminate()
        beat.wait(timeout=30)
