"""The app as a small cluster of hosts on one machine (`tests.faults.network`), and a burst over it.

    db     PostgreSQL and Redis                       back network
    app1   gunicorn and a Celery worker (worker-1)    front and back
    app2   gunicorn and a Celery worker (worker-2)    front and back
    beat   Celery beat                                back
    conn   the connector's endpoint, recording        back

The test posts orders to both web hosts and asks their `/health/ready` over the front network; it
seeds, counts and reads the database over the back network, as an operator's machine would.
"""

import dataclasses
import functools
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import requests

from bench.harness_processes import background, python_command
from bench.load import Load, post_orders
from bench.servers import WebSetup, web_command

from .connector_host import RecordedReceiver
from .network import Host, Network
from .scenario import Burst, Size
from .stack import Stack, private_stack

WEB_PORT = 8000
CONNECTOR_PORT = 9000


@dataclass(frozen=True)
class ClusterSize(Size):
    cut: float = 30.0  # app1 cut off from the database host
    connector_cut: float = 30.0  # the connector host cut off from the application hosts
    beat_replaced: float = 30.0  # seconds from beat's host killed to beat started on a new one


# `bin/faults -k cluster`: production's timeouts, a 30 s cut.
CLUSTER_FULL = ClusterSize(
    name="full",
    orders=2_000,
    rate=20,
    redis_down=0,
    postgres_down=0,
    connector_failing=0,
    connector_hanging=0,
    settle_timeout=1_200,
    web=WebSetup(workers=2),
)
# The test suite's form: fewer orders, shorter cuts, faster retries.
CLUSTER_SHORT = dataclasses.replace(
    CLUSTER_FULL,
    name="short",
    orders=400,
    rate=10,
    cut=30,
    connector_cut=10,
    beat_replaced=10,
    settle_timeout=300,
    settings={"NOTIFICATION_TIMEOUT_SECONDS": "2", "NOTIFICATION_RETRY_BASE_SECONDS": "2"},
)


@dataclass
class ClusterStack(Stack):
    """A `Stack` whose processes each run on a host of `network`: `placement` says which."""

    network: Network | None = None
    placement: dict[str, str] = field(default_factory=dict)  # process name → host name

    def host(self, process: str) -> Host:
        assert self.network is not None
        return self.network.hosts[self.placement[process]]

    def environment(self, **overrides) -> dict[str, str]:
        assert self.network is not None
        web = [host.addresses["front"] for host in self.network.hosts.values() if "front" in host.addresses]
        return super().environment(ALLOWED_HOSTS=",".join(["127.0.0.1", *web]), **overrides)

    def launch(self, name, command, *, port=None):
        host = self.host(name)
        address = host.addresses.get("front") or host.addresses["back"]
        return self.processes.enter_context(
            background(
                host.command(command),
                env=self.environment(),
                port=port,
                host=address,
                log=self.logs / f"{name}.log",
            )
        )

    def web_url(self, process: str) -> str:
        return f"http://{self.host(process).addresses['front']}:{WEB_PORT}"

    @property
    def base_url(self) -> str:
        return self.web_url("web-2")

    def start_web_on(self, name: str, setup: WebSetup) -> None:
        address = self.host(name).addresses["front"]
        self.launch(name, web_command(setup, port=WEB_PORT, host=address), port=WEB_PORT)

    def start_connector(self) -> RecordedReceiver:
        address = self.host("connector").addresses["back"]
        record = self.logs / "connector.jsonl"
        command = python_command(
            "-m", "tests.faults.connector_host", address, str(CONNECTOR_PORT), str(record)
        )
        self.launch("connector", command, port=CONNECTOR_PORT)
        return RecordedReceiver(f"http://{address}:{CONNECTOR_PORT}/api/vtex", record)


@contextmanager
def cluster(size: ClusterSize, *, keep_logs):
    """The hosts, the app on them (started), and the connector's record; everything removed at the end."""
    with Network() as network:
        db = network.add("db", "back")
        for name in ("app1", "app2"):
            network.add(name, "front", "back")
        network.add("beat", "back")
        network.add("conn", "back")
        placement = {
            "web-1": "app1",
            "worker-1": "app1",
            "web-2": "app2",
            "worker-2": "app2",
            "beat": "beat",
            "connector": "conn",
        }
        make = functools.partial(ClusterStack, network=network, placement=placement)
        with private_stack(settings=size.settings, keep_logs=keep_logs, database_host=db, make=make) as stack:
            receiver = stack.start_connector()
            stack.start_web_on("web-1", size.web)
            stack.start_web_on("web-2", size.web)
            stack.start_worker("worker-1", size.workers)
            stack.start_worker("worker-2", size.workers)
            stack.supervise()
            stack.start_beat()
            yield stack, receiver


class ClusterBurst(Burst):
    """A burst whose orders go half to each web host, each half on schedule at half the rate."""

    def __init__(self, stack: ClusterStack, receiver, size: ClusterSize, name: str):
        super().__init__(stack, receiver, size, name)
        self.targets = [
            dataclasses.replace(self.target, base_url=stack.web_url(w)) for w in ("web-1", "web-2")
        ]
        self.loads: list[Load] = []

    def start(self, *, fault_at: float) -> None:
        half = self.size.orders // 2
        networks = tuple(self.stack.network.subnets.values())
        loads: list[Load | None] = [None, None]

        def post(which: int):
            loads[which] = post_orders(
                self.targets[which],
                count=half if which == 0 else self.size.orders - half,
                first=0 if which == 0 else half,
                rate=self.size.rate / 2,
                bodies=self.bodies,
                request_timeout=60,
                limit_seconds=self.size.seconds + 300,
                networks=networks,
            )

        def both():
            threads = [threading.Thread(target=post, args=(i,)) for i in (0, 1)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            self.loads = [load for load in loads if load is not None]
            sent = sorted((s for load in self.loads for s in load.sent), key=lambda s: s.due)
            self.load = Load(
                sent,
                min(load.started for load in self.loads),
                max(load.finished for load in self.loads),
                None,
                self.size.rate,
            )

        self.started = time.monotonic()
        self._thread = threading.Thread(target=both, name=f"burst-{self.name}")
        self._thread.start()
        time.sleep(max(0.0, self.started + fault_at - time.monotonic()))


@dataclass(frozen=True)
class Probe:
    sent: float
    answered: float
    status: int | None  # None: no answer within the timeout
    failing: tuple[str, ...]  # the checks the answer named failing


class Readiness:
    """Asks a web host's /health/ready every second, as a load balancer does: each probe on its own,
    whether or not the one before was answered. Keeps every answer."""

    def __init__(self, url: str, *, timeout: float = 30.0):
        self.url, self.timeout = f"{url}/health/ready", timeout
        self.probes: list[Probe] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> "Readiness":
        threading.Thread(target=self._run, daemon=True, name="readiness").start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in list(self._threads):
            thread.join(self.timeout + 5)

    def answered(self) -> list[Probe]:
        return sorted(self.probes, key=lambda probe: probe.sent)

    def probe_now(self) -> None:
        """One more probe, at once."""
        thread = threading.Thread(target=self._probe, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.probe_now()
            self._stop.wait(1)

    def _probe(self) -> None:
        sent = time.monotonic()
        status, failing = None, ()
        try:
            answer = requests.get(self.url, timeout=self.timeout)
            status = answer.status_code
            failing = tuple(answer.json().get("failing", ()))
        except (requests.RequestException, ValueError):
            pass
        self.probes.append(Probe(sent, time.monotonic(), status, failing))
