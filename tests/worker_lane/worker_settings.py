"""Settings of the lane's workers: the app's own, with the two sweeps the lane watches every two
seconds instead of every thirty, so that a test sees a lost task picked up without waiting half a
minute. What the sweeps do, and which queue they run on, is unchanged."""

from tests.settings import *  # noqa: F403
from tests.settings import CELERY_BEAT_SCHEDULE as _SCHEDULE

SWEEP_SECONDS = 2.0

CELERY_BEAT_SCHEDULE = {
    name: {**entry, "schedule": SWEEP_SECONDS} if name in {"sweep-intake", "sweep-notifications"} else entry
    for name, entry in _SCHEDULE.items()
}

# The worker and beat say they are alive every second (tests/worker_lane/test_health.py).
HEALTH_HEARTBEAT_SECONDS = 1.0
