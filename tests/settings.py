"""Settings of the test suite: the app's own, with a secret key of this run's.

With DEBUG off, as the tests run, the app refuses the development key written in its settings;
the key is set in the environment, so the workers and servers the tests start share it.

So is the run's own name: its keys on Redis carry it (`REDIS_KEY_PREFIX`), so that two runs on
one machine, or on one Redis database, keep apart.
"""

import os
import secrets

os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
# The process that names the run removes the run's keys at the end (tests/conftest.py).
OWNS_TEST_RUN = "TEST_RUN" not in os.environ
TEST_RUN = os.environ.setdefault("TEST_RUN", secrets.token_hex(6))
os.environ["REDIS_KEY_PREFIX"] = f"test-{TEST_RUN}:"  # never one set for an app: its keys are removed

from config.settings import *  # noqa: E402, F403
