"""Errors reported: with SENTRY_DSN, exceptions of views and tasks reach Sentry with the log
context as tags, and beat's entries check in as cron monitors; without it, nothing is sent.

The Sentry here is an HTTP server of the test's own on 127.0.0.1, which the DSN names; the app
runs in a process of its own, as its settings start Sentry when they are read."""

import gzip
import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sentry_sdk
from django.conf import settings

from kit.logs import sentry_before_send
from tests.support.app_process import app_environment

A_VIEW_A_TASK_AND_BEAT = """
import django
django.setup()
import sentry_sdk
from django.contrib.admin import sites
from django.test import Client
from config.celery import Schedule, app
from kit.logs import log_context_start

def broken_view(self, request, extra_context=None):
    raise RuntimeError("the view broke")

sites.AdminSite.login = broken_view
Client(raise_request_exception=False).get(
    "/admin/login/?next=/secret-in-the-query",
    HTTP_X_REQUEST_ID="view-request-1",
    HTTP_REFERER="http://testserver/decide/secret-in-the-path",
)

@app.task(name="tests.broken")
def broken_task():
    raise ValueError("the task broke")

log_context_start(request_id="task-request-2", marketplace_order_id="MKP-9")
broken_task.apply()

beat = Schedule(app, schedule_filename=BEAT_FILE)
for name in ("sweep-intake", "expire-reservations"):
    beat.apply_entry(beat.schedule[name], producer=beat.producer)
sentry_sdk.flush(5)
"""


class Sentry(ThreadingHTTPServer):
    """Receives what the SDK sends: {"event": [...], "check_in": [...]}, payloads as dicts."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Envelopes)
        self.items: dict[str, list[dict]] = {}

    @property
    def dsn(self) -> str:
        return f"http://publickey@127.0.0.1:{self.server_address[1]}/1"


class _Envelopes(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        lines = body.decode().splitlines()[1:]  # the envelope's header, then (item header, payload) pairs
        for header, payload in zip(lines[::2], lines[1::2], strict=False):
            self.server.items.setdefault(json.loads(header)["type"], []).append(json.loads(payload))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def sentry():
    server = Sentry()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def run_the_app(tmp_path, **variables) -> subprocess.CompletedProcess:
    environment = app_environment(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        CELERY_BROKER_URL="memory://",
        LOG_LEVEL="CRITICAL",
        **variables,
    )
    script = f"BEAT_FILE = {str(tmp_path / 'beat')!r}\n{A_VIEW_A_TASK_AND_BEAT}"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=environment, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result


def exception_of(event: dict) -> str:
    (exception,) = event["exception"]["values"]
    return f"{exception['type']}: {exception['value']}"


def test_without_a_dsn_sentry_is_not_started_and_nothing_is_sent(tmp_path, sentry):
    assert settings.SENTRY_DSN == ""
    assert not sentry_sdk.is_initialized()
    run_the_app(tmp_path)
    assert sentry.items == {}


def test_a_views_and_a_tasks_exceptions_reach_sentry_with_the_log_context_as_tags(tmp_path, sentry):
    run_the_app(tmp_path, SENTRY_DSN=sentry.dsn, SENTRY_ENVIRONMENT="staging")
    events = {exception_of(event): event for event in sentry.items["event"] if "exception" in event}
    view, task = events["RuntimeError: the view broke"], events["ValueError: the task broke"]
    assert view["tags"]["request_id"] == "view-request-1"
    assert view["environment"] == "staging"
    assert (task["tags"]["request_id"], task["tags"]["marketplace_order_id"]) == ("task-request-2", "MKP-9")
    assert "user" not in view and "cookies" not in view["request"]  # no personal data
    # Neither the URL's query or referer, nor local variables (tokens, secrets, bodies) are sent.
    assert "secret-in-the" not in json.dumps(view["request"])
    frames = [frame for value in view["exception"]["values"] for frame in value["stacktrace"]["frames"]]
    assert frames and not [frame for frame in frames if "vars" in frame]


def test_a_reports_url_is_the_pattern_it_matched_without_query_or_referer():
    """A decision link's path holds its credential: a report names the route instead."""
    event = {
        "transaction": "/decide/{token}",
        "request": {
            "url": "https://orders.example.com/decide/the-secret-token",
            "query_string": "next=/decide/another-secret",
            "headers": {
                "Referer": "https://orders.example.com/decide/the-secret-token",
                "Accept": "text/html",
            },
        },
    }
    request = sentry_before_send(event, {})["request"]
    assert request == {"url": "https://orders.example.com/decide/{token}", "headers": {"Accept": "text/html"}}


def test_beats_entries_check_in_as_cron_monitors_the_sweeps_every_half_minute_too(tmp_path, sentry):
    run_the_app(tmp_path, SENTRY_DSN=sentry.dsn)
    check_ins = {check_in["monitor_slug"]: check_in for check_in in sentry.items["check_in"]}
    assert set(check_ins) == {"sweep-intake", "expire-reservations"}
    every_minute = {"type": "interval", "value": 1, "unit": "minute"}
    for check_in in check_ins.values():
        assert (check_in["status"], check_in["monitor_config"]["schedule"]) == ("in_progress", every_minute)
