"""Each connector's request rate, counted in Redis across every web process.

The count is `limits`' moving window in Redis: one Lua call a request, exact over any window,
shared by every process; for a connector the process knows, authentication sends it with the
credentials' generation, in one round trip (`RateHit`), and the throttle reads its reply. The
check runs after authentication and before the view does anything (DRF's throttle), so a
request over the rate is answered 429 with Retry-After having written nothing. An order
placement the connector made before (its marketplace order id among the connector's
submissions) gets its usual answer even over the rate: a connector sending again an order it
believes lost is never refused; that lookup runs only over the rate.

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
ACQUIRE = RedisStorage.SCRIPT_ACQUIRE_MOVING_WINDOW
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


class RateHit:
    """One request of a connector counted against its rate: `send` adds it to a client's commands
    or a pipeline's (limits' own script and key, so limits reads the same window), `wait` reads
    its reply."""

    def __init__(self, item: RateLimitItemPerSecond, identifier: str):
        self.item = item
        self.identifier = identifier
        self.key = f"{settings.REDIS_KEY_PREFIX}{KEY_PREFIX}:{item.key_for(identifier)}"

    def send(self, client: redis.Redis | redis.client.Pipeline):
        expiry = self.item.get_expiry()
        return client.eval(ACQUIRE, 1, self.key, time.time(), self.item.amount, expiry, 1)

    def wait(self, reply) -> int | None:
        """The whole seconds (at least 1) until the connector may send again when the reply says
        it is over its rate; None when it is not, or when Redis could not say."""
        if reply is UNAVAILABLE or isinstance(reply, Exception) or reply:
            return None
        stats = redis_run(lambda client: _limiter_on(client).get_window_stats(self.item, self.identifier))
        if stats is UNAVAILABLE:
            return None
        return max(1, math.ceil(stats.reset_time - time.time()))


def rate_hit(connector, *, quiet: bool = False) -> RateHit | None:
    """The hit that counts a request of `connector`; None when it has no rate (or none that is
    one: logged unless `quiet`, never a 500)."""
    try:
        rate = connector_rate(connector)
    except ValueError as problem:  # stored past the admin's check
        if not quiet:
            logger.error(
                "Connector %s: its request rate is not one, so none is enforced: %s", connector.pk, problem
            )
        return None
    if rate is None:
        return None
    return RateHit(RateLimitItemPerSecond(rate.requests, rate.seconds), str(connector.pk))


def rate_limit_wait(connector) -> int | None:
    """Count one request of `connector`; return the whole seconds (at least 1) until it may send
    again when it is over its rate, None when it is not (or no rate, or no Redis, says so)."""
    hit = rate_hit(connector)
    return None if hit is None else hit.wait(redis_run(hit.send))


class ConnectorRateThrottle(BaseThrottle):
    """Refuse a connector's request over its rate, unless the view finds it places an order the
    connector placed before (`placed_before(request)`)."""

    def allow_request(self, request, view) -> bool:
        hit = rate_hit(request.auth)
        counted = getattr(request, "rate_counted", None)  # by authentication, with its own reads
        if hit is None:
            self.seconds = None
        else:
            same = counted is not None and counted[0].key == hit.key
            self.seconds = hit.wait(counted[1] if same else redis_run(hit.send))
        if self.seconds is None:
            return True
        placed_before = getattr(view, "placed_before", None)
        return placed_before is not None and placed_before(request)

    def wait(self) -> int | None:
        return self.seconds
