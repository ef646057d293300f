"""The figures of a fault run: what was posted, refused, resent, recovered and delivered, and when.

Times are seconds on the monotonic clock that `bench.load` and the connector receiver share.
`bin/faults` prints them as a table and writes it to `var/faults/report.md`.
"""

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.harness_results import git_commit
from bench.harness_timing import percentile

REPORTED: list[str] = []  # lines for pytest's terminal summary
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Figures:
    scenario: str
    size: str
    orders: int
    faults: str = ""  # the faults of the burst, in turn
    fault_seconds: float = 0.0  # how long they lasted, together
    accepted_first_time: int = 0
    refused: str = ""  # the statuses of the orders refused at first, e.g. "503×120"
    resent: int = 0  # requests sending refused orders again, until accepted
    latency_p99_in_fault: float = 0.0  # seconds, of the requests due while the fault lasted
    latency_max: float = 0.0
    burst_ended: float = 0.0
    first_delivery_after_fault: float = 0.0  # seconds from the end of the fault
    # Seconds from the end of the fault, and from the last order accepted, to the last notification delivered
    drained_after_fault: float = 0.0
    drained_after_burst: float = 0.0
    notifications: int = 0  # owed, and delivered
    posts_received: int = 0  # by the connector, every try included
    delivered_again: int = 0  # copies the connector took (answered 200) again, with the same idempotency key
    different_keys_for_one_result: int = 0
    delivery_attempts: int = 0  # recorded by the app
    submissions_reclaimed: int = 0  # processed again after a claim was lost (attempts > 1)
    reclaimed_delivered_after: float = 0.0  # seconds from the start of the fault to the last of them notified
    integrated: int = 0
    rejected: int = 0
    notes: list[str] = field(default_factory=list)

    def record_load(self, load, windows: dict[str, tuple[float, float]]) -> None:
        self.faults = " + ".join(windows)
        self.fault_seconds = sum(ended - began for began, ended in windows.values())
        self.accepted_first_time = load.accepted
        refused = {status: n for status, n in load.statuses().items() if status != 200}
        self.refused = ", ".join(f"{status or 'no answer'}×{n}" for status, n in refused.items()) or "none"
        during = [
            sent.latency
            for sent in load.sent
            if any(began <= sent.due <= ended for began, ended in windows.values())
        ]
        self.latency_p99_in_fault = percentile(during, 99) if during else 0.0
        self.latency_max = max(sent.latency for sent in load.sent)

    def record_delivery(self, arrivals, census: dict, burst) -> None:
        delivered = [arrival for arrival in arrivals if burst.delivered(arrival)]
        taken = [arrival for arrival in arrivals if arrival.status == 200]  # by the connector, even too late
        last = max(arrival.at for arrival in delivered)
        after_fault = [arrival.at for arrival in delivered if arrival.at >= burst.fault_ended]
        self.first_delivery_after_fault = min(after_fault) - burst.fault_ended if after_fault else 0.0
        self.drained_after_fault = last - burst.fault_ended
        self.drained_after_burst = max(0.0, last - self.burst_ended)
        self.notifications = census["notifications"]
        self.posts_received = len(arrivals)
        self.delivered_again = len(taken) - len({arrival.idempotency_key for arrival in taken})
        orders_keys: dict[tuple, set] = {}
        for arrival in arrivals:
            orders_keys.setdefault((arrival.order_id, arrival.code), set()).add(arrival.idempotency_key)
        self.different_keys_for_one_result = sum(len(found) - 1 for found in orders_keys.values())
        self.delivery_attempts = census["notification_attempts"]
        self.submissions_reclaimed = len(census["reclaimed_ids"])
        if census["reclaimed_ids"]:
            reclaimed = set(census["reclaimed_ids"])
            began = min(began for began, _ in burst.windows.values())
            self.reclaimed_delivered_after = max(a.at for a in delivered if a.order_id in reclaimed) - began
        self.integrated = census["intakes_by_status"].get("integrated", 0)
        self.rejected = census["intakes_by_status"].get("rejected", 0)

    def lines(self) -> list[str]:
        return [
            f"{self.scenario} ({self.size}): {self.orders:,} orders, {self.faults} for {self.fault_seconds:.0f} s; "
            f"accepted at once {self.accepted_first_time:,}, refused {self.refused}, resent {self.resent:,}; "
            f"latency p99 during the fault {self.latency_p99_in_fault:.2f} s, max {self.latency_max:.2f} s",
            f"  integrated {self.integrated:,}, rejected {self.rejected:,}, reclaimed after a lost claim "
            f"{self.submissions_reclaimed} (notified {self.reclaimed_delivered_after:.0f} s after the fault "
            f"began); notifications {self.notifications:,} delivered "
            f"({self.delivery_attempts:,} tries, {self.posts_received:,} received, {self.delivered_again} "
            f"delivered again with the same key, {self.different_keys_for_one_result} under another key)",
            f"  first delivery {self.first_delivery_after_fault:.1f} s after the (last) fault; all delivered "
            f"{self.drained_after_fault:.1f} s after it, {self.drained_after_burst:.1f} s after the "
            f"last order was accepted" + "".join(f"; {note}" for note in self.notes),
        ]


COLUMNS = (
    ("fault", lambda f: f.faults),
    ("orders", lambda f: f"{f.orders:,}"),
    ("fault lasted", lambda f: f"{f.fault_seconds:.0f} s"),
    ("refused at first (resent until accepted)", lambda f: f"{f.refused} ({f.resent:,} sent again)"),
    ("p99 / max answer", lambda f: f"{f.latency_p99_in_fault:.2f} s / {f.latency_max:.2f} s"),
    ("integrated / rejected", lambda f: f"{f.integrated:,} / {f.rejected:,}"),
    (
        "claims lost (notified after)",
        lambda f: (
            f"{f.submissions_reclaimed} ({f.reclaimed_delivered_after:.0f} s)"
            if f.submissions_reclaimed
            else "0"
        ),
    ),
    ("first delivery after the fault", lambda f: f"{f.first_delivery_after_fault:.1f} s"),
    ("all delivered after the fault", lambda f: f"{f.drained_after_fault:.1f} s"),
    (
        "notifications (tries; same key again; other key)",
        lambda f: (
            f"{f.notifications:,} ({f.delivery_attempts:,}; {f.delivered_again}; "
            f"{f.different_keys_for_one_result})"
        ),
    ),
)


def markdown(figures: list[Figures]) -> str:
    lines = ["| " + " | ".join(name for name, _ in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(cell(f) for _, cell in COLUMNS) + " |" for f in figures]
    return "\n".join(lines)


def write_reports(figures: list[Figures]) -> None:
    """Print the figures at the end of the run; with FAULTS_REPORT, also write them there as Markdown."""
    for each in figures:
        REPORTED.extend(each.lines())
    target = os.environ.get("FAULTS_REPORT")
    if figures and target:
        path = Path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        path.write_text(
            f"# Fault run, {when}, commit {git_commit()}\n\n{markdown(figures)}\n\n"
            + "\n".join(line for each in figures for line in each.lines())
            + "\n"
        )
        REPORTED.append(f"written to {path}")
