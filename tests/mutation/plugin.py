"""A pytest plugin of bin/mutate's runs (pyproject.toml, `[tool.mutmut]`).

mutmut runs up to two mutants at once, each in a process forked from its own: each process
takes a free slot and the test database of that slot (test_<name>_mutant<slot>), kept from one
mutant to the next (--reuse-db), so parallel runs never share or drop each other's database;
bin/mutate drops them when it ends (`python -m tests.mutation.tool cleanup`).
Hypothesis draws the same examples every run, with no deadline (mutants run slower), so a
mutant's verdict does not change between runs.
"""

import fcntl
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings as examples

examples.register_profile("mutation", derandomize=True, database=None, deadline=None)
examples.load_profile("mutation")

_slot_file = None
_base_name: str | None = None


def _take_slot(base_name: str) -> int:
    global _slot_file
    for slot in range(64):
        held = (Path(tempfile.gettempdir()) / f"{base_name}_mutant{slot}.lock").open("w")
        try:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            held.close()
            continue
        _slot_file = held
        return slot
    raise RuntimeError("No free test database slot for this mutant run.")


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    global _base_name
    from django.conf import settings

    database = settings.DATABASES["default"]
    # Once, from the database's own name (the suite's run slots rename the test name): pytest-django
    # leaves NAME renamed to the test database's (--reuse-db), and mutmut runs pytest again in that
    # process and forks every mutant from it. Running last, this name is the one used.
    if _base_name is None:
        _base_name = f"test_{database['NAME']}"
    database.setdefault("TEST", {})["NAME"] = f"{_base_name}_mutant{_take_slot(_base_name)}"


def pytest_unconfigure(config):
    global _slot_file
    if _slot_file is not None:
        _slot_file.close()
        _slot_file = None
