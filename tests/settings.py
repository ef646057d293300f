"""Settings of the test suite: the app's own, with a secret key of this run's.

With DEBUG off, as the tests run, the app refuses the development key written in its settings;
the key is set in the environment, so the workers and servers the tests start share it.
"""

import os
import secrets

os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))

from config.settings import *  # noqa: F403
