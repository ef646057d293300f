"""Count how often one order's path crosses from one app to another, from the POST to its notification.

    DATABASE_URL=postgres://…/oa_x REDIS_URL=redis://127.0.0.1:6379/N \
        .venv/bin/python -m bench.crossings [--list] [--skip config --skip kit]

It migrates the database, makes an account with the benchmarks' catalog, rule and connectors
(`bench.seed`), the connectors notifying a receiver of its own on 127.0.0.1, and runs Celery's
tasks in this process as they are queued (`task_always_eager`). It posts the example order of
`bench.profile_paths` (SKU 1 at its catalog price) through the WSGI application, as gunicorn
calls it: the intake, its processing and the delivery of its SOI001 all happen in that call.
A first order warms imports and caches up; the second is traced with `sys.setprofile`.

An app is a package at the top of the checkout (`tests` and `bench` are not apps). Every call
of a function whose code is in an app is attributed to the nearest frame below it whose code is
in the repository, the frames of Django, DRF, Celery and the standard library in between
skipped; the call is a crossing when that frame is in another app. A call from `bench` (the
POST itself) crosses nothing; a generator resumed is not a call. It prints the crossings (and
how many are distinct: a function calling the same one again counts once), by pair of apps;
the modules entered from another app most often; the modules that call another app most often,
so that the path comes back to them when the call returns; and the largest module of the apps.
`--list` prints every crossing in order; `--skip APP` counts an app's frames as a library's
(the shared plumbing: `config`, `kit`).

Of `bench` it takes, at run time, only what older checkouts have too: the seed's shop (`_shop`),
and the profiling paths' example order and POST (`order_body`, `post`). So a copy of this file
runs in an older checkout (`git worktree add DIR REVISION`, then `python -m bench.crossings` in
DIR), with that checkout's code all along, for a before/after figure. The database is not
dropped; each run adds an account.
"""

import argparse
import json
import os
import secrets
import sys
import threading
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOT_APPS = {"tests", "bench"}
GENERATOR_FLAGS = 0x20 | 0x80 | 0x200  # CO_GENERATOR, CO_COROUTINE, CO_ASYNC_GENERATOR


def apps() -> set[str]:
    return {
        path.name for path in ROOT.iterdir() if (path / "__init__.py").is_file() and path.name not in NOT_APPS
    }


class Crossings:
    """A profile function counting the calls from one app's code into another's."""

    def __init__(self, apps: set[str], skipped: set[str] = frozenset()):
        self.apps, self.skipped = apps - skipped, skipped
        self.root = f"{ROOT}{os.sep}"
        self.places: dict[str, tuple[str | None, str] | None] = {}
        self.calls = 0
        self.pairs: Counter[tuple[str, str]] = Counter()
        self.entered: Counter[str] = Counter()  # module: crossings into it
        self.left: Counter[str] = Counter()  # module: crossings out of it, each coming back to it
        self.path: list[tuple[str, str]] = []  # (caller, callee) of each crossing, as module:function

    def place(self, filename: str) -> tuple[str | None, str] | None:
        """(app or None, module) of a file of the repository; None for a file outside it."""
        if filename not in self.places:
            module = filename[len(self.root) :] if filename.startswith(self.root) else ""
            top, _, rest = module.partition(os.sep)
            if top in self.apps:
                self.places[filename] = (top, module)
            elif top in NOT_APPS or (module and not rest):  # bench/, tests/, manage.py
                self.places[filename] = (None, module)
            else:  # the standard library, a virtualenv's packages (in the checkout or not), a skipped app
                self.places[filename] = None
        return self.places[filename]

    def __call__(self, frame, event, arg):
        if event != "call":
            return
        code = frame.f_code
        callee = self.place(code.co_filename)
        if callee is None or callee[0] is None or code.co_name == "<module>":
            return
        if code.co_flags & GENERATOR_FLAGS and resumed(frame):
            return
        self.calls += 1
        below = frame.f_back
        while below is not None:
            caller = self.place(below.f_code.co_filename)
            if caller is not None:
                break
            below = below.f_back
        else:
            return
        if caller[0] is None or caller[0] == callee[0]:
            return
        self.pairs[caller[0], callee[0]] += 1
        self.entered[callee[1]] += 1
        self.left[caller[1]] += 1
        self.path.append((f"{caller[1]}:{below.f_code.co_name}", f"{callee[1]}:{code.co_name}"))

    def trace(self, function, *args):
        sys.setprofile(self)
        try:
            return function(*args)
        finally:
            sys.setprofile(None)


def resumed(frame) -> bool:
    """Whether a generator's or coroutine's frame is resumed rather than started.

    Since CPython 3.11 a frame runs from a RESUME instruction whose argument is 0 where it starts.
    """
    code = frame.f_code.co_code
    return frame.f_lasti >= 0 and code[frame.f_lasti + 1] & 3 != 0


def largest_module(apps: set[str]) -> tuple[str, int]:
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text().splitlines())
        for app in apps
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
    }
    module = max(sizes, key=sizes.get)
    return module, sizes[module]


class Receiver:
    """The connectors' endpoint on 127.0.0.1: answers 200 to every POST and keeps the bodies."""

    def __init__(self):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    received.append(json.loads(self.rfile.read(length) or b"{}"))
                except ValueError:
                    received.append({})
                answer = b'{"success": true}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_port}/api/vtex"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def codes(self, marketplace_order_id: str) -> list[str]:
        return [
            body.get("code")
            for body in self.received
            if body.get("marketplaceOrderId") == marketplace_order_id
        ]


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # With DEBUG off, as production runs, the settings refuse the development key.
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
    os.environ["OUTBOUND_ALLOW_PRIVATE_URLS"] = "true"  # the receiver is on 127.0.0.1
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("bench/crossings.py: set DATABASE_URL to a PostgreSQL database (production's).")
    from celery import current_app
    from django.core.management import call_command

    current_app.conf.task_always_eager = True
    call_command("migrate", verbosity=0)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="bench/crossings.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--list", action="store_true", help="print every crossing, in the order of the path")
    parser.add_argument(
        "--skip",
        metavar="APP",
        action="append",
        default=[],
        help="count APP's frames as a library's, not an app's (repeatable; e.g. --skip config --skip kit)",
    )
    options = parser.parse_args(argv)
    unknown = set(options.skip) - apps()
    if unknown:
        parser.error(f"no such app: {', '.join(sorted(unknown))}")

    setup()
    from django.core.wsgi import get_wsgi_application

    # The checkout's own seed and example order: they call that checkout's services.
    from bench.seed import _shop

    try:
        from bench.profile_rounds import order_body, post
    except ImportError:  # older checkouts keep them in the command
        from bench.profile_paths import order_body, post

    receiver = Receiver()
    account_name = f"crossings-{uuid.uuid4().hex[:8]}"
    credentials = _shop(account_name, endpoint=receiver.endpoint).credentials[0]  # SkyHub's
    headers = {
        "HTTP_X_VTEX_API_APPKEY": credentials.app_key,
        "HTTP_X_VTEX_API_APPTOKEN": credentials.app_token,
        "QUERY_STRING": f"an={account_name}&affiliateId=SKY",  # else `post` names the profiling account
    }
    application = get_wsgi_application()

    crossings = Crossings(apps(), set(options.skip))
    for name in ("warm-up", "traced"):
        order_id = f"{account_name}-{name}"
        arguments = (
            application,
            "/api/order-integration/orders",
            order_body(account_name, order_id, held=False),
        )
        status, content = (
            crossings.trace(post, *arguments, headers) if name == "traced" else post(*arguments, headers)
        )
        if status != 200:
            sys.exit(f"the {name} order was answered {status}: {content[:500]!r}")
        if "SOI001" not in receiver.codes(order_id):
            sys.exit(f"the {name} order's SOI001 did not reach the receiver: {receiver.codes(order_id)}")
    receiver.server.shutdown()

    report(crossings, every=options.list)


def report(crossings: Crossings, *, every: bool) -> None:
    if every:
        for number, (caller, callee) in enumerate(crossings.path, 1):
            print(f"{number:4} {caller} → {callee}")
        print()
    skipped = f"; skipped: {', '.join(sorted(crossings.skipped))}" if crossings.skipped else ""
    print(
        f"one order, from the POST to its SOI001: {len(crossings.path)} crossings between apps "
        f"({len(set(crossings.path))} distinct: a function calling the same one again counted once), "
        f"in {crossings.calls} calls of the apps' functions\n"
        f"apps: {', '.join(sorted(crossings.apps))}{skipped}"
    )
    print("by pair of apps, most first (then in the order of the path):")
    first = {pair: index for index, pair in enumerate(crossings.pairs)}  # a Counter keeps insertion order
    for (caller, callee), count in sorted(
        crossings.pairs.items(), key=lambda item: (-item[1], first[item[0]])
    ):
        print(f"  {caller} → {callee}: {count}")
    print("modules entered from another app, most often first:")
    for module, count in crossings.entered.most_common(5):
        print(f"  {module}: re-entered {count} times")
    print("modules calling another app, so that the path comes back to them, most often first:")
    for module, count in crossings.left.most_common(5):
        print(f"  {module}: comes back {count} times")
    module, lines = largest_module(crossings.apps)
    print(
        f"largest module: {module}, {lines} lines: re-entered {crossings.entered[module]} times, "
        f"comes back {crossings.left[module]} times"
    )


if __name__ == "__main__":
    main()
