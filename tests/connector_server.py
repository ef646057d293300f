"""A connector's notification endpoint, played by a real HTTP server inside the test."""

import json
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.on_commit import assert_settled

# How long no further request may arrive before a wait counts what came as final.
QUIET_SECONDS = 0.25
# A request held unanswered ("hang") waits for its release at most this long: past any app timeout.
HANG_LIMIT_SECONDS = 60


@dataclass
class Received:
    path: str
    headers: dict
    body: dict
    raw: bytes


@dataclass
class ConnectorServer:
    """Records every request; answers with the scripted statuses in turn (then 200).

    Reading what it received first checks that no on-commit work of the test is still pending:
    otherwise "nothing was sent" would be true only because nothing was allowed to run.
    """

    log: list[Received] = field(default_factory=list)
    script: list = field(default_factory=list)  # ints (status) or "hang" (no answer until released)
    answer_headers: dict = field(default_factory=dict)  # sent with every answer
    lock: threading.RLock = field(default_factory=threading.RLock)
    server: ThreadingHTTPServer | None = None
    released: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/api/vtex"

    def respond_with(self, *statuses) -> None:
        with self.lock:
            self.script = list(statuses)

    def release(self) -> None:
        """Answer the requests held by "hang" (200; the app gave up waiting long before)."""
        self.released.set()

    def stop(self) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()

    @property
    def received(self) -> list[Received]:
        assert_settled()
        with self.lock:
            return list(self.log)

    def bodies(self, code: str | None = None) -> list[dict]:
        return [r.body for r in self.received if code is None or r.body.get("code") == code]

    def codes(self) -> list[str]:
        return [r.body.get("code") for r in self.received]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Exactly `count` requests: waits for them, then for a quiet spell, so one more is seen."""
        assert_settled()
        deadline = time.monotonic() + timeout
        seen, quiet_since = -1, time.monotonic()
        while time.monotonic() < deadline:
            with self.lock:
                now = len(self.log)
            if now != seen:
                seen, quiet_since = now, time.monotonic()
            elif now >= count and time.monotonic() - quiet_since >= QUIET_SECONDS:
                break
            time.sleep(0.02)
        received = self.received
        if len(received) != count:
            codes = [r.body.get("code") for r in received]
            raise AssertionError(f"expected {count} notifications, got {len(received)}: {codes}")
        return received

    def wait_for_keys(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Exactly `count` notifications, told apart by their Idempotency-Key, the first try of each.

        A try whose answer came too late for the app is sent again, and a busy machine makes
        that happen: the promise is that a repeat is the same notification under the same key.
        """
        assert_settled()
        deadline = time.monotonic() + timeout
        seen, quiet_since = -1, time.monotonic()
        while time.monotonic() < deadline:
            now = len(self._by_key())
            if now != seen:
                seen, quiet_since = now, time.monotonic()
            elif now >= count and time.monotonic() - quiet_since >= QUIET_SECONDS:
                break
            time.sleep(0.02)
        by_key = self._by_key()
        for key, tries in by_key.items():
            assert {r.raw for r in tries} == {tries[0].raw}, f"{key} was sent with different bodies"
            attempts = [int(r.headers["X-Notification-Attempt"]) for r in tries]
            assert attempts == sorted(set(attempts)), f"{key} repeated an attempt number: {attempts}"
        if len(by_key) != count:
            codes = [tries[0].body.get("code") for tries in by_key.values()]
            raise AssertionError(f"expected {count} notifications, got {len(by_key)}: {codes}")
        return [tries[0] for tries in by_key.values()]

    def _by_key(self) -> dict[str, list[Received]]:
        with self.lock:
            log = list(self.log)
        by_key: dict[str, list[Received]] = {}
        for received in log:
            by_key.setdefault(received.headers["Idempotency-Key"], []).append(received)
        return by_key

    def _next(self):
        with self.lock:
            return self.script.pop(0) if self.script else 200


def start_connector_server() -> ConnectorServer:
    state = ConnectorServer()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = {}
            action = state._next()
            with state.lock:
                state.log.append(Received(self.path, dict(self.headers), body, raw))
            if action == "hang":  # the app times out however slow the machine: nothing answers
                state.released.wait(HANG_LIMIT_SECONDS)
                action = 200
            self.send_response(action)
            self.send_header("Content-Type", "application/json")
            for name, value in state.answer_headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    class Server(ThreadingHTTPServer):
        def handle_error(self, request, client_address):
            # The app gave up waiting (a "hang", or a try past its timeout) and closed the connection.
            if not isinstance(sys.exc_info()[1], ConnectionError):
                super().handle_error(request, client_address)

    state.server = Server(("127.0.0.1", 0), Handler)
    state.server.daemon_threads = True
    threading.Thread(target=state.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return state
