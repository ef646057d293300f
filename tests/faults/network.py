"""Hosts on one machine: a network namespace each, joined by virtual links to two bridges.

The bridges live in the test's own namespace, which has an address on each, so the test reaches
every host as a client or an operator would:

- the *front* network, where clients reach the web hosts (the test posts orders and asks
  `/health/ready` there);
- the *back* network, where the hosts reach each other: the database host's PostgreSQL and
  Redis, the connector's endpoint.

A host's link is a veth pair: one end in its namespace, the other a port of a bridge. Setting the
bridge's end down is a cable pulled: the host's packets on that network go nowhere, its
connections hang, and it comes back when the end is set up again. Names carry a run id of their
own, and each network a /24 that no route of the machine uses, so runs side by side never meet.
"""

import contextlib
import ipaddress
import json
import os
import secrets
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field

NETWORKS = ("front", "back")
# The /24s networks are chosen from (10.213.0.0 – 10.213.255.0).
POOL = ipaddress.ip_network("10.213.0.0/16")


def ip(*args: str, check: bool = True) -> str:
    result = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if check and result.returncode:
        raise RuntimeError(f"ip {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def unavailable() -> str | None:
    """Why this machine cannot make the hosts (root and iproute2 are needed), or None."""
    if shutil.which("ip") is None:
        return "iproute2's `ip` is not installed"
    if os.geteuid() != 0:
        return "network namespaces need root"
    probe = f"oa-probe-{secrets.token_hex(3)}"
    try:
        ip("netns", "add", probe)
    except RuntimeError as refused:
        return f"network namespaces are not allowed here ({refused})"
    ip("netns", "del", probe, check=False)
    return None


def _networks_in_use() -> list[ipaddress.IPv4Network]:
    routes = json.loads(ip("-j", "-4", "route", "show", "table", "all") or "[]")
    used = []
    for route in routes:
        with contextlib.suppress(ValueError):
            used.append(ipaddress.ip_network(route.get("dst", ""), strict=False))
    return used


def _free_subnets(count: int) -> list[ipaddress.IPv4Network]:
    used = _networks_in_use()
    candidates = list(POOL.subnets(new_prefix=24))
    secrets.SystemRandom().shuffle(candidates)
    free = [net for net in candidates if not any(net.overlaps(other) for other in used)]
    if len(free) < count:
        raise RuntimeError(f"no free /24 left in {POOL}")
    return free[:count]


@dataclass
class Host:
    name: str
    netns: str
    addresses: dict[str, str]  # network → address
    links: dict[str, str]  # network → the bridge's end of the host's veth

    def command(self, command: list[str]) -> list[str]:
        """`command`, run inside the host."""
        return ["ip", "netns", "exec", self.netns, *command]

    def pids(self) -> list[int]:
        return [int(pid) for pid in ip("netns", "pids", self.netns, check=False).split()]

    def kill(self) -> None:
        """Every process of the host killed at once (SIGKILL), as a host losing power."""
        for _ in range(5):
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.2)


@dataclass
class Network:
    """The bridges and the hosts on them; `close()` (or the `with` block's end) removes every one."""

    run: str = field(default_factory=lambda: secrets.token_hex(2))
    hosts: dict[str, Host] = field(default_factory=dict)
    subnets: dict[str, ipaddress.IPv4Network] = field(default_factory=dict)
    bridges: dict[str, str] = field(default_factory=dict)
    _next: dict[str, int] = field(default_factory=dict)

    def __enter__(self) -> "Network":
        try:
            for name, subnet in zip(NETWORKS, _free_subnets(len(NETWORKS)), strict=True):
                bridge = f"oa{self.run}{name[0]}"
                ip("link", "add", bridge, "type", "bridge")
                self.bridges[name] = bridge
                self.subnets[name] = subnet
                ip("addr", "add", f"{subnet[1]}/{subnet.prefixlen}", "dev", bridge)
                ip("link", "set", bridge, "up")
                self._next[name] = 10
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def add(self, name: str, *networks: str) -> Host:
        """A new host `name` (up to four letters) with a link to each of `networks`."""
        host = Host(name, f"oa-{self.run}-{name}", {}, {})
        self.hosts[name] = host
        ip("netns", "add", host.netns)
        ip("-n", host.netns, "link", "set", "lo", "up")
        for network in networks:
            subnet = self.subnets[network]
            address = str(subnet[self._next[network]])
            self._next[network] += 1
            outside = f"oa{self.run}{name}{network[0]}"
            ip("link", "add", outside, "type", "veth", "peer", "name", network, "netns", host.netns)
            ip("link", "set", outside, "master", self.bridges[network])
            ip("link", "set", outside, "up")
            ip("-n", host.netns, "addr", "add", f"{address}/{subnet.prefixlen}", "dev", network)
            ip("-n", host.netns, "link", "set", network, "up")
            host.addresses[network] = address
            host.links[network] = outside
        return host

    def cut(self, host: str, network: str) -> None:
        """Pull the host's cable to `network`: nothing passes either way until `rejoin`."""
        ip("link", "set", self.hosts[host].links[network], "down")

    def rejoin(self, host: str, network: str) -> None:
        ip("link", "set", self.hosts[host].links[network], "up")

    def remove(self, name: str) -> None:
        """The host gone: its processes killed, its namespace and links deleted."""
        host = self.hosts.pop(name)
        host.kill()
        ip("netns", "del", host.netns, check=False)
        for link in host.links.values():  # gone with the namespace; this is for a half-made host
            ip("link", "del", link, check=False)

    def close(self) -> None:
        for name in list(self.hosts):
            self.remove(name)
        for bridge in self.bridges.values():
            ip("link", "del", bridge, check=False)
        self.bridges.clear()
