"""The connector's endpoint as a process of its own, on the connector host of a cluster run.

    python -m tests.faults.connector_host HOST PORT RECORD

serves `bench.load_receiver.ConnectorReceiver` on HOST:PORT and appends each POST it receives
to RECORD, one JSON object a line, as it arrives: the test reads them from there
(`RecordedReceiver`). The receiver's clock is `time.monotonic()`, the machine's, which the test's
own processes share.
"""

import dataclasses
import json
import signal
import sys
import threading
from pathlib import Path

from bench.load_receiver import Arrival, ConnectorReceiver


@dataclasses.dataclass
class RecordedReceiver:
    """What the connector host received, read from its record."""

    endpoint: str
    record: Path

    def received(self) -> list[Arrival]:
        if not self.record.exists():
            return []
        lines = self.record.read_text().splitlines()
        # A line being written as the record is read is left for the next reading.
        return [Arrival(**json.loads(line)) for line in lines if line.endswith("}")]


class _Recording(ConnectorReceiver):
    def __init__(self, host: str, port: int, record: Path):
        super().__init__(port=port, host=host)
        self._record = open(record, "a", buffering=1)  # noqa: SIM115 (open while it serves)
        self.arrivals = _Appending(self._record)


class _Appending(list):
    """The receiver's list of arrivals, each also written to the record at once."""

    def __init__(self, record):
        super().__init__()
        self._record = record

    def append(self, arrival: Arrival) -> None:
        super().append(arrival)
        self._record.write(json.dumps(dataclasses.asdict(arrival)) + "\n")


def main(argv: list[str]) -> int:
    host, port, record = argv[0], int(argv[1]), Path(argv[2])
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    with _Recording(host, port, record):
        stopped.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
