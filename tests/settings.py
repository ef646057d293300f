"""Settings of the test suite: the app's own, with a secret key of this run's.

With DEBUG off, as the tests run, the app refuses the development key written in its settings;
the key is set in the environment, so the workers and servers the tests start share it.

So are the run's own name and folder: its keys on Redis carry the name (`REDIS_KEY_PREFIX`), and
what it writes goes to the folder, not `var/`, so that two runs on one machine, or on one Redis
database, keep apart.
"""

import os
import secrets
import tempfile
from pathlib import Path

os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
# The process that names the run removes the run's keys and folder at the end (tests/conftest.py).
OWNS_TEST_RUN = "TEST_RUN" not in os.environ
TEST_RUN = os.environ.setdefault("TEST_RUN", secrets.token_hex(6))
os.environ["REDIS_KEY_PREFIX"] = f"test-{TEST_RUN}:"  # never one set for an app: its keys are removed
TEST_RUN_DIR = Path(tempfile.gettempdir()) / f"order-authorization-test-{TEST_RUN}"
if OWNS_TEST_RUN:  # the processes the run starts inherit these, unless a test gives them others
    os.environ["IMPORT_ROOT"] = str(TEST_RUN_DIR / "imports")
    os.environ["EXPORT_ROOT"] = str(TEST_RUN_DIR / "exports")

from config.settings import *  # noqa: E402, F403
from config.settings import CELERY_BROKER_TRANSPORT_OPTIONS, CELERY_BROKER_URL  # noqa: E402

CELERY_BEAT_SCHEDULE_FILENAME = str(TEST_RUN_DIR / "celerybeat-schedule")
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        **CELERY_BROKER_TRANSPORT_OPTIONS,
        "data_folder_in": str(TEST_RUN_DIR / "broker"),
        "data_folder_out": str(TEST_RUN_DIR / "broker"),
        "control_folder": str(TEST_RUN_DIR / "broker-control"),
    }
    for _folder in (TEST_RUN_DIR / "broker", TEST_RUN_DIR / "broker-control"):
        _folder.mkdir(parents=True, exist_ok=True)
