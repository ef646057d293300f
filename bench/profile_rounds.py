"""A round of order intake and order processing in this process, timed and its queries counted.

`Paths` posts orders through the WSGI application, as gunicorn calls it, and processes the
submissions they made with `orders.intake.pipeline.intake_process`, as the worker does;
`measure` runs a round of both. `bench.profile_paths` drives the rounds and reports them.

Run as a script, it is a side of `python -m bench.profile_paths --compare`: it warms up, says
"ready", then runs a round of the number of orders on each line of stdin and prints its
figures as a line of JSON. The comparison runs this file with another copy of the code on the
path, so the rounds are this tree's and only the app's and the seed's code is that copy's: it
imports no module of `bench` at the top, where that copy may have none of the same name.
"""

import argparse
import io
import itertools
import json
import os
import secrets
import sys
import time
import uuid
from contextlib import contextmanager

ACCOUNT = "profile-paths"


def setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # With DEBUG off, as production runs, the settings refuse the development key.
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    # Every request counted, as in production, at a rate no round reaches (as bench.settings).
    os.environ.setdefault("CONNECTOR_RATE_LIMIT", "20000/s")
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

    def warm_up(self) -> None:
        """Process what an earlier run left, then a few orders: imports, caches, connections."""
        leftover = self.pending()
        if leftover:
            self.process(leftover, QueryCounter())
        self.intake(self.bodies(20), QueryCounter())
        self.process(self.pending(), QueryCounter())


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


def serve(paths: "Paths") -> None:
    """For --compare: run a round of the number of orders read from each line of stdin."""
    print("ready", flush=True)
    for line in sys.stdin:
        print(json.dumps(measure(paths, int(line))), flush=True)


def flush_broker() -> None:
    """Drop the tasks queued on Redis: nothing runs them."""
    from config.celery import app

    with app.connection_for_write() as broker:
        broker.default_channel.client.flushdb()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="bench/profile_rounds.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--held-every", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1)
    options = parser.parse_args(argv)
    setup()
    paths = Paths(options.held_every, options.workers)
    paths.warm_up()
    serve(paths)
    flush_broker()


if __name__ == "__main__":
    main()
