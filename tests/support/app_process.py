"""The app run in a process of its own, as a server would start it: its settings read from the
environment given here alone (no `.env` of the working directory), from a checkout's code."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def app_environment(**variables) -> dict:
    """The variables of a process running the app: the settings module, the test's secret key, and
    `variables` (with DEBUG off the settings refuse the development key)."""
    return {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": os.environ["SECRET_KEY"],
        "PYTHONPATH": str(ROOT),
        **{key: str(value) for key, value in variables.items()},
    }


def python_in(working_directory, code: str, **variables):
    """Run `code` in a new Python process with `app_environment(**variables)`, in a working
    directory the test chose (without `.env`); return the JSON its last line prints."""
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=working_directory,
        env=app_environment(**variables),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.splitlines()[-1])
