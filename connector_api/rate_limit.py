"""Each connector's request rate, counted in Redis across every web process.

The count is `limits`' moving window in Redis: one Lua call a request, exact over any window,
shared by every process. The check runs after authentication and before the view does anything
(DRF's throttle), so a request over the rate is answered 429 with Retry-After having written
nothing. An order placement the connector made before (its marketplace order id among the
connector's submissions) gets its usual answer even over the rate: a connector sending again an
order it believes lost is never refused; that lookup runs only over the rate.

Without Redis (no `REDIS_URL`, or Redis not answering) nothing is refused: refusing orders would
cost more than a flood. `kit.redis` leaves a Redis that failed alone a moment and warns of it.
"""

import logging
import math
import time

import redis
from django.conf import settings
from limits import RateLimitItemPerSecond
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter
from rest_framework.throttling import BaseThrottle

from connectors.rates import connector_rate
from kit.redis import UNAVAILABLE, redis_run

logger = logging.getLogger(__name__)

KEY_PREFIX = "connector-rates"
# limits' storage, on the connection pool of the process's client: made again with the client.
_limiter: tuple[redis.Redis, MovingWindowRateLimiter] | None = None


def _limiter_on(client: redis.Redis) -> MovingWindowRateLimiter:
    global _limiter
    if _limiter is None or _limiter[0] is not client:
        storage = RedisStorage(
            settings.REDIS_URL,
            connection_pool=client.connection_pool,
            key_prefix=settings.REDIS_KEY_PREFIX + KEY_PREFIX,
        )
        _limiter = (client, MovingWindowRateLimiter(storage))
    return _limiter[1]


def rate_limit_wait(connector) -> int | None:
    """Count one request of `connector`; return the whole seconds (at least 1) until it may send
    again when it is over its rate, None when it is not (or no rate, or no Redis, says so)."""
    try:
        rate = connector_rate(connector)
    except ValueError as problem:  # stored past the admin's check: never a 500
        logger.error(
            "Connector %s: its request rate is not one, so none is enforced: %s", connector.pk, problem
        )
        return None
    if rate is None:
        return None
    item = RateLimitItemPerSecond(rate.requests, rate.seconds)
    key = str(connector.pk)

    def count(client: redis.Redis) -> int | None:
        limiter = _limiter_on(client)
        if limiter.hit(item, key):
            return None
        reset_at, _ = limiter.get_window_stats(item, key)
        return max(1, math.ceil(reset_at - time.time()))

    wait = redis_run(count)
    return None if wait is UNAVAILABLE else wait


class ConnectorRateThrottle(BaseThrottle):
    """Refuse a connector's request over its rate, unless the view finds it places an order the
    connector placed before (`placed_before(request)`)."""

    def allow_request(self, request, view) -> bool:
        self.seconds = rate_limit_wait(request.auth)
        if self.seconds is None:
            return True
        placed_before = getattr(view, "placed_before", None)
        return placed_before is not None and placed_before(request)

    def wait(self) -> int | None:
        return self.seconds
