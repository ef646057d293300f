"""Each connector's request rate, counted in Redis across every web process.

The count is `limits`' moving window in Redis: one Lua call a request, exact over any window,
shared by every process. The check runs after authentication and before the view does anything
(DRF's throttle), so a request over the rate is answered 429 with Retry-After having written
nothing. An order placement the connector made before (its marketplace order id among the
connector's submissions) gets its usual answer even over the rate: a connector sending again an
order it believes lost is never refused; that lookup runs only over the rate.

Without Redis (no `REDIS_URL`, or Redis not answering) nothing is refused: refusing orders would
cost more than a flood. A warning says so at most once a minute.
"""

import logging
import math
import time

import redis
from django.conf import settings
from limits import RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter
from rest_framework.throttling import BaseThrottle

from connectors.rates import connector_rate

logger = logging.getLogger(__name__)

KEY_PREFIX = "connector-rates"
# After Redis failed, requests skip it for this long rather than each wait for its timeout.
REDIS_BACKOFF_SECONDS = 2.0
WARN_EVERY_SECONDS = 60.0
_limiter: MovingWindowRateLimiter | None = None
_redis_failed_at: float | None = None
_warned_at: float | None = None


def _limiter_get() -> MovingWindowRateLimiter | None:
    global _limiter
    if not settings.REDIS_URL:
        return None
    if _redis_failed_at is not None and time.monotonic() - _redis_failed_at < REDIS_BACKOFF_SECONDS:
        return None
    if _limiter is None:
        storage = RedisStorage(
            settings.REDIS_URL,
            key_prefix=settings.REDIS_KEY_PREFIX + KEY_PREFIX,
            wrap_exceptions=True,
            socket_connect_timeout=0.5,
            socket_timeout=0.5,
        )
        _limiter = MovingWindowRateLimiter(storage)
    return _limiter


def _redis_failed(problem: Exception) -> None:
    global _redis_failed_at, _warned_at
    _redis_failed_at = now = time.monotonic()
    if _warned_at is None or now - _warned_at >= WARN_EVERY_SECONDS:
        _warned_at = now
        logger.warning("Redis did not answer; connectors' request rates are not enforced: %s", problem)


def forget_limiter() -> None:
    """Connect to Redis again on the next request, as a new process would."""
    global _limiter, _redis_failed_at, _warned_at
    _limiter = _redis_failed_at = _warned_at = None


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
    limiter = _limiter_get() if rate is not None else None
    if limiter is None:
        return None
    item = RateLimitItemPerSecond(rate.requests, rate.seconds)
    try:
        if limiter.hit(item, str(connector.pk)):
            return None
        reset_at, _ = limiter.get_window_stats(item, str(connector.pk))
    except (StorageError, redis.RedisError) as problem:
        _redis_failed(problem)
        return None
    return max(1, math.ceil(reset_at - time.time()))


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
