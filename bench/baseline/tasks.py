import json
import time
from functools import cache

import redis
import requests
from celery import shared_task
from django.conf import settings

from .models import Submission

# Where `noop` notes its runs, in the broker's Redis database.
NOOP_COUNT = "bench:noop:count"
NOOP_FIRST = "bench:noop:first"
NOOP_LAST = "bench:noop:last"


@cache
def _redis():
    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


@shared_task(acks_late=True, ignore_result=True)
def noop(number: int) -> None:
    """Do nothing but note when it ran (one round trip to Redis), so the benchmark knows it is done."""
    now = repr(time.time())
    pipe = _redis().pipeline(transaction=False)
    pipe.incr(NOOP_COUNT).set(NOOP_FIRST, now, nx=True).set(NOOP_LAST, now)
    pipe.execute()


@shared_task(acks_late=True, ignore_result=True)
def relay(submission_id: int, url: str) -> None:
    """Read the submission back and POST a processing result for it, as the app notifies a connector."""
    submission = Submission.objects.get(pk=submission_id)
    body = {"marketplaceOrderId": submission.marketplace_order_id, "code": "SOI001", "success": True}
    requests.post(
        url,
        data=json.dumps(body),
        headers={"Content-Type": "application/json", "Idempotency-Key": f"baseline-{submission.pk}"},
        timeout=settings.NOTIFICATION_TIMEOUT_SECONDS,
    )
