"""A test database of the run's own, so two runs on one DATABASE_URL do not share one.

pytest-django names it test_<name> and drops whatever has that name when a run starts, so a
second run at the same time would drop the first's under it. Each run takes the first free slot
(a lock held for the run's life): the first keeps test_<name>, the others test_<name>_run<N>.
"""

import fcntl
import tempfile
from pathlib import Path

_held = None


def claim(settings) -> str | None:
    """Name the run's test database after the first free slot; None on SQLite (in memory)."""
    global _held
    database = settings.DATABASES["default"]
    if "postgresql" not in database["ENGINE"]:
        return None
    base = database.get("TEST", {}).get("NAME") or f"test_{database['NAME']}"
    for slot in range(64):
        name = base if slot == 0 else f"{base}_run{slot}"
        lock = (Path(tempfile.gettempdir()) / f"order-authorization-{name}.lock").open("w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            continue
        _held = lock
        database.setdefault("TEST", {})["NAME"] = name
        return name
    raise RuntimeError("64 test runs hold a test database of this DATABASE_URL; none is free.")


def release() -> None:
    global _held
    if _held is not None:
        _held.close()
        _held = None
