"""`bin/mutate --help` says what it does and how to call it, and starts nothing."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_mutate_help_prints_its_usage_and_runs_no_mutant():
    answer = subprocess.run(
        [str(ROOT / "bin" / "mutate"), "--help"], capture_output=True, text=True, timeout=30, check=False
    )
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.startswith("Mutation testing of the core with mutmut: `bin/mutate [group ...]`")
    assert "pyproject.toml, [tool.mutate.groups]" in answer.stdout
    assert "No mutation group" not in answer.stdout + answer.stderr
    assert not (ROOT / "var" / "mutation" / "--help").exists()
