"""Settings of the lane's worker for the approvers' digests: the lane's own, with e-mails written
to files in the folder the test names (`TEST_MAIL_DIR`), where the test counts them, and the
digest sender's beat every two seconds, so that a digest goes out as soon as an approver's
interval has passed rather than up to a minute later."""

import os

from tests.worker_lane.worker_settings import *  # noqa: F403
from tests.worker_lane.worker_settings import CELERY_BEAT_SCHEDULE as _SCHEDULE

MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "OPTIONS": {"file_path": os.environ["TEST_MAIL_DIR"]},
    }
}

CELERY_BEAT_SCHEDULE = {
    name: {**entry, "schedule": 2.0} if name == "send-approval-digests" else entry
    for name, entry in _SCHEDULE.items()
}
