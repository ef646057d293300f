"""The app as a cluster of hosts (`tests.faults.cluster`), with a host cut off, the connector cut
off and beat's host killed while a burst of orders arrives over both web hosts.

Needs root and iproute2 (network namespaces); skipped otherwise, saying why, and failed instead
under REQUIRE_NETNS=1. `bin/faults -k cluster` runs it at full size (a 30 s cut).
"""

import dataclasses
import os
import threading
import time
from pathlib import Path

import pytest

from .cluster import CLUSTER_FULL, CLUSTER_SHORT, ClusterBurst, Readiness, cluster
from .network import ip, unavailable

pytestmark = pytest.mark.faults

# How long the cut-off host may take to be ready again once it rejoins (its connections retry).
READY_AGAIN_WITHIN = 90.0
# A load balancer's probe timeout: a probe not answered within it counts as not ready.
PROBE_TIMEOUT = 5.0


@pytest.fixture(scope="module")
def hosts():
    reason = unavailable()
    if reason:
        message = f"the cluster fault test runs hosts in network namespaces: {reason}"
        if os.environ.get("REQUIRE_NETNS"):
            pytest.fail(message)
        pytest.skip(message)
    size = CLUSTER_FULL if os.environ.get("FAULTS_SIZE") == "full" else CLUSTER_SHORT
    if os.environ.get("FAULTS_ORDERS"):
        size = dataclasses.replace(size, orders=int(os.environ["FAULTS_ORDERS"]))
    logs = Path(os.environ.get("FAULTS_LOGS", Path(__file__).resolve().parents[2] / "var" / "faults"))
    with cluster(size, keep_logs=logs / "cluster") as (stack, receiver):
        yield stack, receiver, size


def test_a_host_cut_off_the_connector_cut_off_and_beat_killed_lose_nothing(hosts, reports):
    stack, receiver, size = hosts
    network = stack.network
    burst = ClusterBurst(stack, receiver, size, "cluster")
    beat_host = network.hosts["beat"]
    readiness = Readiness(stack.web_url("web-1"))

    def cut_app1():
        with burst.fault("app1 cut off from the database host"):
            network.cut("app1", "back")
            # A probe as the cut begins, while app1's workers are still free: the later ones queue
            # behind the orders that wait on the database as long.
            readiness.probe_now()
            time.sleep(size.cut)
            network.rejoin("app1", "back")

    def cut_connector():
        time.sleep(size.cut / 2)
        with burst.fault("connector cut off"):
            network.cut("conn", "back")
            time.sleep(size.connector_cut)
            network.rejoin("conn", "back")

    def kill_beat_host():
        time.sleep(size.cut / 4)
        with burst.fault("beat's host killed"):
            network.remove("beat")
            time.sleep(size.beat_replaced)
        # As an orchestrator places it again: exactly one beat, on a new host.
        network.add("bt2", "back")
        stack.placement["beat"] = "bt2"
        stack.start_beat()

    with readiness:
        burst.start(fault_at=size.seconds / 5)
        faults = [threading.Thread(target=fault) for fault in (cut_app1, cut_connector, kill_beat_host)]
        for fault in faults:
            fault.start()
        for fault in faults:
            fault.join()
        load = burst.finish()
        began, ended = burst.windows["app1 cut off from the database host"]
        deadline = ended + READY_AGAIN_WITHIN
        while time.monotonic() < deadline and not any(
            p.sent >= ended and p.status == 200 for p in readiness.probes
        ):
            time.sleep(1)
    probes = readiness.answered()

    # Beat's host is gone, every process of it.
    assert beat_host.netns not in ip("netns", "list")
    # Both web hosts took orders.
    for target in burst.targets:
        assert any(s.accepted and s.order_id in _ids(burst, target) for s in load.sent), target.base_url
    # While cut off, the host said it was not ready, naming the database, whenever it answered, and
    # a load balancer's probe never found it ready; once back, it was ready.
    during = [p for p in probes if p.sent >= began and p.answered <= ended]
    assert during, f"no answer from app1's /health/ready while it was cut off: {probes}"
    assert [p for p in during if p.status != 503 or "database" not in p.failing] == [], during
    found_ready = [
        p
        for p in probes
        if began <= p.sent <= ended - PROBE_TIMEOUT
        and p.status == 200
        and p.answered - p.sent <= PROBE_TIMEOUT
    ]
    assert found_ready == [], found_ready
    ready = [p for p in probes if p.sent >= ended and p.status == 200]
    assert ready, f"app1 not ready again {READY_AGAIN_WITHIN:g} s after it rejoined: {probes[-5:]}"
    timed_out = [p for p in probes if began <= p.sent <= ended and p.answered - p.sent > PROBE_TIMEOUT]
    burst.figures.notes += [
        f"app1's /health/ready during the cut: {len(during)} answers, all 503 naming the database, the "
        f"first {min(p.answered for p in during) - began:.1f} s into it; {len(timed_out)} probes sent then "
        f"unanswered within {PROBE_TIMEOUT:g} s; ready again {ready[0].answered - ended:.1f} s after it rejoined",
        "orders accepted at once by app1 / app2: "
        + " / ".join(
            str(sum(1 for s in load.sent if s.accepted and s.order_id in _ids(burst, t)))
            for t in burst.targets
        ),
        f"beat started again on a new host {size.beat_replaced:g} s after its host was killed",
    ]
    census = burst.settle_and_check(reports)
    assert census["notification_attempts"] > census["notifications"]  # tries failed while cut off


def _ids(burst: ClusterBurst, target) -> set[str]:
    half = burst.size.orders // 2
    indexes = range(half) if target is burst.targets[0] else range(half, burst.size.orders)
    return {burst.bodies.order_id(i) for i in indexes}
