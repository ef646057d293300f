"""A connector's notification endpoint, played by a real HTTP server inside the test."""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict
    body: dict
    raw: bytes


@dataclass
class ConnectorServer:
    """Records every request; answers with the scripted statuses in turn (then 200)."""

    received: list[Received] = field(default_factory=list)
    script: list = field(default_factory=list)  # ints (status) or ("sleep", seconds)
    answer_headers: dict = field(default_factory=dict)  # sent with every answer
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/api/vtex"

    def respond_with(self, *statuses) -> None:
        with self.lock:
            self.script = list(statuses)

    def bodies(self, code: str | None = None) -> list[dict]:
        with self.lock:
            return [r.body for r in self.received if code is None or r.body.get("code") == code]

    def codes(self) -> list[str]:
        with self.lock:
            return [r.body.get("code") for r in self.received]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.05)
        raise AssertionError(f"expected {count} notifications, got {len(self.received)}: {self.codes()}")

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
            if isinstance(action, tuple) and action[0] == "sleep":
                time.sleep(action[1])
                action = 200
            with state.lock:
                state.received.append(Received(self.path, dict(self.headers), body, raw))
            self.send_response(action)
            self.send_header("Content-Type", "application/json")
            for name, value in state.answer_headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    state.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.server.daemon_threads = True
    threading.Thread(target=state.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return state
