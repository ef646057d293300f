"""Settings of the servers and workers the benchmarks start: the app's, plus the bare baselines.

`bench.baseline` adds a bare DRF endpoint and bare Celery tasks beside the real ones, on the
same server and workers, so that each is measured against the simplest thing doing the same
job. Only the benchmarks use this module; production runs `config.settings`.
"""

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench.baseline"]
ROOT_URLCONF = "bench.baseline.urls"

# Every connector's requests are counted, as in production, at a rate no benchmark's load reaches;
# the rate-limits benchmark gives its flooding connector a rate of its own.
CONNECTOR_RATE_LIMIT = "20000/s"
