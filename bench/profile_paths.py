"""Time and profile order intake and order processing in one process, for before/after comparisons.

    DATABASE_URL=postgres://…/oa_x REDIS_URL=redis://127.0.0.1:6379/N \
        .venv/bin/python -m bench.profile_paths [--orders 300] [--rounds 3] [--profile intake|processing]

Each round posts `--orders` orders through the WSGI application, as gunicorn calls it (the
connector API's whole stack: middleware, authentication, the contract check, the intake
record and a batch of processing asked for on Redis), then processes the submissions it made with
`orders.intake.pipeline.intake_process`, as the worker does, one after the other. It prints each
round's milliseconds per order (wall time, and this process's CPU time, which other work on a
busy machine disturbs less) and queries per order, and the median of the rounds.
`--profile` runs one more round of that path under cProfile and prints its heaviest functions;
`--queries` prints the SQL of one order of each path. `--compare REVISION` runs the code at a
git commit (or in a directory holding a copy of the code) and this tree in a process each,
alternating their rounds, and compares the medians. Unlike `bench/run`, this measures no
baseline and judges nothing: it is for seeing where the time goes and whether a change helped.

The database must be PostgreSQL and is not dropped: the first run adds an account
(`profile-paths`) with the benchmarks' catalog and rule, and later runs reuse it.
Notifications are queued on Redis and never delivered; the Redis database is flushed at the end.
"""

import argparse
import cProfile
import io
import itertools
import json
import os
import pstats
import secrets
import statistics
import sys
import time
import uuid
from contextlib import contextmanager

ACCOUNT = "profile-paths"


def setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # With DEBUG off, as production runs, the settings refuse the development key.
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("bench/profile_paths.py: set DATABASE_URL to a PostgreSQL database (production's).")
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def shop():
    """Return (account, app key, app token): the profiling account, made once, and a connector of this run's."""
    from accounts.models import Account
    from bench.seed import _shop
    from connectors.services import connector_create

    account = Account.objects.filter(name=ACCOUNT).first()
    if account is None:
        account = _shop(ACCOUNT).account
    code = uuid.uuid4().hex[:8].upper()
    _, credentials = connector_create(
        account=account,
        name=f"Profile {code}",
        type="external",
        affiliate_id=f"P{code}",
        endpoint="https://profile.connector.example/api/vtex",
    )
    return account, credentials.app_key, credentials.app_token


def order_body(account_name: str, marketplace_order_id: str, *, held: bool) -> bytes:
    """The seed's order: SKU 1 at its catalog price, Express freight; `held` pays 7 % less (manual band)."""
    from bench.seed_plan import FREIGHT_CENTS, BodyTemplate

    body = json.loads(BodyTemplate(account_name).text)
    seller_value = 975 + FREIGHT_CENTS
    price = 975 - round(0.07 * seller_value) if held else 975
    body.update(
        marketplaceOrderId=marketplace_order_id,
        connectorName="SkyHub",
        marketplacePaymentValue=price + FREIGHT_CENTS,
        items=[{"id": "1", "price": price, "quantity": 1}],
    )
    body["clientProfileData"]["email"] = "customer@example.com"
    return json.dumps(body).encode()


class QueryCounter:
    """Count the statements sent to the database (an executemany counts once)."""

    def __init__(self):
        self.count = 0
        self.statements: list[str] | None = None

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        if self.statements is not None:
            self.statements.append(sql if not many else f"[many] {sql}")
        return execute(sql, params, many, context)


def database_cpu() -> tuple[int, float]:
    """Return the pid of this connection's PostgreSQL backend and the CPU seconds it has used.

    PostgreSQL runs on this machine in the benchmarks: its process's times are in /proc.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return pid, float("nan")
    return pid, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Spent:
    """Wall time, this process's CPU and its database backend's CPU, from creation to `stop()`."""

    def __init__(self):
        self.pid, self.database = database_cpu()
        self.started, self.cpu = time.perf_counter(), time.process_time()

    def stop(self) -> dict:
        seconds, cpu = time.perf_counter() - self.started, time.process_time() - self.cpu
        pid, database = database_cpu()
        return {
            "seconds": seconds,
            "cpu": cpu,
            "db_cpu": database - self.database if pid == self.pid else 0.0,
        }


@contextmanager
def counting(counter: QueryCounter):
    from django.db import connection

    with connection.execute_wrapper(counter):
        yield


def post(application, path: str, body: bytes, headers: dict) -> tuple[int, bytes]:
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "QUERY_STRING": f"an={ACCOUNT}&affiliateId=SKY",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        **headers,
    }
    answer = {}

    def start_response(status, response_headers, exc_info=None):
        answer["status"] = int(status.split()[0])

    chunks = application(environ, start_response)
    content = b"".join(chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    return answer["status"], content


class Paths:
    def __init__(self, held_every: int, workers: int = 1):
        from django.core.wsgi import get_wsgi_application

        self.application = get_wsgi_application()
        self.account, app_key, app_token = shop()
        self.headers = {"HTTP_X_VTEX_API_APPKEY": app_key, "HTTP_X_VTEX_API_APPTOKEN": app_token}
        self.held_every, self.workers = held_every, workers
        self.run_id = uuid.uuid4().hex[:8]
        self.numbers = itertools.count(1)

    def bodies(self, n: int) -> list[bytes]:
        bodies = []
        for _ in range(n):
            number = next(self.numbers)
            held = self.held_every > 0 and number % self.held_every == 0
            bodies.append(order_body(ACCOUNT, f"{self.run_id}-{number}", held=held))
        return bodies

    def intake(self, bodies: list[bytes], counter: QueryCounter) -> dict:
        """Post the bodies; return the seconds taken and the CPU seconds of this process and its database's."""
        path = "/api/order-integration/orders"
        spent = Spent()
        with counting(counter):
            for body in bodies:
                status, content = post(self.application, path, body, self.headers)
                if status != 200:
                    sys.exit(f"intake answered {status}: {content[:500]!r}")
        return spent.stop()

    def pending(self) -> list[int]:
        from orders.models import IntakeRecord
        from orders.statuses import IntakeStatus

        return list(
            IntakeRecord.objects.filter(account=self.account, status=IntakeStatus.RECEIVED)
            .order_by("pk")
            .values_list("pk", flat=True)
        )

    def process(self, intake_ids: list[int], counter: QueryCounter) -> dict:
        """Process the submissions; return the seconds taken and the CPU seconds of the processes and theirs.

        With several workers, each is a process forked for the round and takes every n-th
        submission, as Celery's prefork workers share a queue; they contend for the same rows.
        """
        if self.workers == 1 or len(intake_ids) < 2:
            spent = Spent()
            _process_all(intake_ids, counter)
            return spent.stop()
        import multiprocessing

        from django.db import connections

        connections.close_all()  # each worker opens its own
        context = multiprocessing.get_context("fork")
        results = context.Queue()
        started = time.perf_counter()
        workers = [
            context.Process(target=_process_share, args=(intake_ids[n :: self.workers], results))
            for n in range(self.workers)
        ]
        for worker in workers:
            worker.start()
        shares = [results.get() for _ in workers]
        for worker in workers:
            worker.join()
        seconds = time.perf_counter() - started
        failures = [share["failure"] for share in shares if share["failure"]]
        if failures:
            sys.exit(failures[0])
        counter.count += sum(share["statements"] for share in shares)
        return {
            "seconds": seconds,
            "cpu": sum(share["cpu"] for share in shares),
            "db_cpu": sum(share["db_cpu"] for share in shares),
        }


def _process_all(intake_ids: list[int], counter: QueryCounter) -> None:
    from orders.intake.pipeline import intake_process
    from orders.statuses import IntakeStatus

    with counting(counter):
        for intake_id in intake_ids:
            status = intake_process(intake_id=intake_id)
            if status not in (IntakeStatus.INTEGRATED,):
                raise RuntimeError(f"submission {intake_id} ended {status}")


def _process_share(intake_ids: list[int], results) -> None:
    """A forked worker: process its share; put what it spent, its statements and any failure on `results`."""
    counter, spent = QueryCounter(), Spent()
    try:
        _process_all(intake_ids, counter)
    except Exception as error:
        results.put({"failure": f"{type(error).__name__}: {error}"})
        return
    results.put({**spent.stop(), "statements": counter.count, "failure": ""})


def profiled(function, *args, top: int):
    profile = cProfile.Profile()
    profile.enable()
    function(*args)
    profile.disable()
    for order in ("cumulative", "tottime"):
        stream = io.StringIO()
        pstats.Stats(profile, stream=stream).strip_dirs().sort_stats(order).print_stats(top)
        print(stream.getvalue())


def measure(paths: Paths, orders: int) -> dict:
    """Post `orders` orders, then process them; return milliseconds and queries per order of each."""
    counter = QueryCounter()
    spent = paths.intake(paths.bodies(orders), counter)
    result = {
        "intake_ms": 1000 * spent["seconds"] / orders,
        "intake_cpu_ms": 1000 * spent["cpu"] / orders,
        "intake_db_cpu_ms": 1000 * spent["db_cpu"] / orders,
        "intake_queries": counter.count / orders,
    }
    intake_ids = paths.pending()
    counter = QueryCounter()
    spent = paths.process(intake_ids, counter)
    result.update(
        processing_ms=1000 * spent["seconds"] / len(intake_ids),
        processing_cpu_ms=1000 * spent["cpu"] / len(intake_ids),
        processing_db_cpu_ms=1000 * spent["db_cpu"] / len(intake_ids),
        processing_queries=counter.count / len(intake_ids),
    )
    return result


def describe(result: dict) -> str:
    return ", ".join(
        f"{key} {result[f'{key}_ms']:.2f} ms/order (CPU {result[f'{key}_cpu_ms']:.2f}, "
        f"database CPU {result[f'{key}_db_cpu_ms']:.2f}, {result[f'{key}_queries']:.1f} queries)"
        for key in ("intake", "processing")
    )


def compare(revision: str, options) -> None:
    """Alternate rounds of the code at `revision` and of this tree, one process for each.

    `revision` is a git commit of this repository, or the directory of another copy of the code.
    Both processes start, warm up and wait; then each round is run by one and then the other
    (the first alternating), so that whatever else the machine does falls on both alike.
    """
    import subprocess
    import tempfile

    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with tempfile.TemporaryDirectory(prefix="profile-paths-") as scratch:
        if os.path.isdir(revision):
            before, label = os.path.abspath(revision), os.path.basename(os.path.abspath(revision))
        else:
            label = subprocess.run(
                ["git", "rev-parse", "--short", revision],
                cwd=here,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            archive = subprocess.run(["git", "archive", label], cwd=here, capture_output=True, check=True)
            subprocess.run(["tar", "-x", "-C", scratch], input=archive.stdout, check=True)
            before = scratch
        sides = {label: before, "this tree": here}
        processes = {}
        try:
            for name, directory in sides.items():  # one after the other: their warm-ups share the account
                processes[name] = subprocess.Popen(
                    # This script, with the side's code: -P keeps this script's directory off the path.
                    [
                        *(sys.executable, "-P", "-W", "ignore", os.path.abspath(__file__), "--serve"),
                        *("--held-every", str(options.held_every), "--workers", str(options.workers)),
                    ],
                    cwd=directory,
                    env={**os.environ, "PYTHONPATH": directory},
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
                if processes[name].stdout.readline().strip() != "ready":
                    sys.exit(f"{name} did not start")
            results: dict[str, list[dict]] = {name: [] for name in sides}
            for round_number in range(options.rounds):
                names = list(sides) if round_number % 2 == 0 else list(reversed(sides))
                for name in names:
                    processes[name].stdin.write(f"{options.orders}\n")
                    processes[name].stdin.flush()
                    line = processes[name].stdout.readline()
                    if not line:
                        sys.exit(f"{name} stopped")
                    results[name].append(json.loads(line))
                    if options.verbose:
                        print(f"round {round_number + 1}, {name}: {describe(results[name][-1])}", flush=True)
        finally:
            for process in processes.values():
                process.stdin.close()
                process.wait(timeout=60)
    print(
        f"{options.orders} orders × {options.rounds} rounds a side, alternating, held every "
        f"{options.held_every or 'none'}, processed by {options.workers} process(es); load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}"
    )
    for key in ("intake", "processing"):
        old, new = (medians(results[name], key) for name in sides)
        print(
            f"median {key:<10} {label}: {old['ms']:.2f} ms/order (CPU {old['cpu_ms']:.2f}, database "
            f"{old['db_cpu_ms']:.2f}), {old['queries']:.1f} queries; this tree: {new['ms']:.2f} ms/order "
            f"(CPU {new['cpu_ms']:.2f}, database {new['db_cpu_ms']:.2f}), {new['queries']:.1f} queries; "
            f"{new['ms'] / old['ms']:.2f}× (CPU {new['cpu_ms'] / old['cpu_ms']:.2f}×, database "
            f"{new['db_cpu_ms'] / max(old['db_cpu_ms'], 1e-9):.2f}×)"
        )


def serve(paths: "Paths") -> None:
    """For --compare: run a round of the number of orders read from each line of stdin."""
    print("ready", flush=True)
    for line in sys.stdin:
        print(json.dumps(measure(paths, int(line))), flush=True)


def medians(results: list[dict], key: str) -> dict:
    return {
        measure: statistics.median(result[f"{key}_{measure}"] for result in results)
        for measure in ("ms", "cpu_ms", "db_cpu_ms", "queries")
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="bench/profile_paths.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=300, help="orders per round (default 300)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the median is reported (default 3)")
    parser.add_argument(
        "--held-every",
        type=int,
        default=0,
        help="make every Nth order diverge 7 %% into a manual band (default 0: none held)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes sharing each round's processing, as a worker's pool does (default 1)",
    )
    parser.add_argument("--profile", choices=["intake", "processing"], help="profile one more round")
    parser.add_argument("--top", type=int, default=40, help="functions listed by --profile")
    parser.add_argument("--queries", action="store_true", help="print the SQL of one order of each path")
    parser.add_argument(
        "--compare",
        metavar="REVISION",
        help="alternate rounds of the code at REVISION (a git commit, or a directory holding a copy of the "
        "code) and of this tree",
    )
    parser.add_argument("--verbose", action="store_true", help="with --compare, print every round")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)  # a side of --compare
    options = parser.parse_args(argv)
    if options.rounds < 1 or options.orders < 1:
        parser.error("--orders and --rounds must be at least 1")
    if options.compare:
        compare(options.compare, options)
        return

    setup()
    from django.conf import settings

    paths = Paths(options.held_every, options.workers)
    leftover = paths.pending()
    if leftover:
        paths.process(leftover, QueryCounter())
    paths.intake(paths.bodies(20), QueryCounter())  # imports, caches, connections
    paths.process(paths.pending(), QueryCounter())

    if options.serve:
        serve(paths)
        flush_broker()
        return

    if options.queries:
        for name in ("intake", "processing"):
            counter = QueryCounter()
            counter.statements = []
            if name == "intake":
                paths.intake(paths.bodies(1), counter)
            else:
                paths.process(paths.pending(), counter)
            print(f"-- {name}: {counter.count} statements")
            for sql in counter.statements:
                print(f"   {sql[:300]}")

    results = []
    for round_number in range(1, options.rounds + 1):
        results.append(measure(paths, options.orders))
        print(f"round {round_number}: {describe(results[-1])}", flush=True)

    database = settings.DATABASES["default"]
    print(
        f"\n{options.orders} orders × {options.rounds} rounds, held every {options.held_every or 'none'}, "
        f"processed by {options.workers} process(es), "
        f"database {database['NAME']}, CONN_MAX_AGE {database.get('CONN_MAX_AGE')}, "
        f"load average {' '.join(f'{value:.2f}' for value in os.getloadavg())}"
    )
    for key in ("intake", "processing"):
        median = medians(results, key)
        print(
            f"median {key:<10} {median['ms']:.2f} ms/order ({1000 / median['ms']:.0f} orders/s; CPU "
            f"{median['cpu_ms']:.2f} ms, database CPU {median['db_cpu_ms']:.2f} ms), "
            f"{median['queries']:.1f} queries/order"
        )

    if options.profile == "intake":
        print("\n== cProfile: intake")
        profiled(paths.intake, paths.bodies(options.orders), QueryCounter(), top=options.top)
    if options.profile == "processing":
        paths.intake(paths.bodies(options.orders), QueryCounter())
        print("\n== cProfile: processing")
        profiled(paths.process, paths.pending(), QueryCounter(), top=options.top)
    flush_broker()


def flush_broker() -> None:
    """Drop the tasks queued on Redis: nothing runs them."""
    from config.celery import app

    with app.connection_for_write() as broker:
        broker.default_channel.client.flushdb()


if __name__ == "__main__":
    main()
