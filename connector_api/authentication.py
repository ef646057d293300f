"""Connector authentication: the `X-VTEX-API-AppKey` + `X-VTEX-API-AppToken` pair of a connector."""

import copy
import hmac
import logging
import time
import uuid

import redis
from django.conf import settings
from django.db import transaction
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from connectors.models import Connector
from connectors.services import app_token_digest
from kit.logs import log_context_set
from kit.redis import UNAVAILABLE, redis_run

from .rate_limit import RateHit, rate_hit

logger = logging.getLogger(__name__)

# Credentials this process accepted lately, so that a connector posting orders costs no query
# per request: {(app key, token digest): (generation, until, connector)}. An entry holds while
# the generation in Redis is the one read before the connector was; every change to a connector
# or an account replaces it as it commits (`credentials_changed`), with a random value, so that
# Redis losing its data cannot bring an old one back: a rotated token or a deactivated
# connector stops working at once in every process. Without Redis, or while it does not
# answer, each request reads the connector. CONNECTOR_AUTH_CACHE_SECONDS bounds an entry's
# life, should a change ever fail to reach Redis.
_accepted: dict[tuple[str, str], tuple[str, float, Connector]] = {}
ACCEPTED_MAX = 1000
GENERATION_KEY = "connectors:credentials-generation"


def _generation(hit: RateHit | None = None, ahead: tuple = ()) -> tuple[str | None, object]:
    """Return the credentials' generation (None when Redis cannot say) and the reply to `hit`,
    counted in the same round trip (UNAVAILABLE when there is none), where the view's looks
    ahead (`ConnectorAPIView.redis_ahead`: `send(pipeline)`, `read(reply)`) go too."""
    if settings.CONNECTOR_AUTH_CACHE_SECONDS <= 0:
        return None, UNAVAILABLE
    key = settings.REDIS_KEY_PREFIX + GENERATION_KEY

    def read(client: redis.Redis) -> tuple[bytes | None, object]:
        with client.pipeline(transaction=False) as pipeline:
            pipeline.get(key)
            for look in ahead:
                look.send(pipeline)
            if hit is not None:
                hit.send(pipeline)
            value, *replies = pipeline.execute(raise_on_error=False)
        for look, reply in zip(ahead, replies, strict=False):
            look.read(reply)
        counted = replies[len(ahead) :]
        if isinstance(value, Exception):
            raise value
        if value is None:  # a new or emptied Redis: the first to ask starts a generation
            client.set(key, uuid.uuid4().hex, nx=True)
            value = client.get(key)
        return value, counted[0] if counted else UNAVAILABLE

    answer = redis_run(read)
    if answer is UNAVAILABLE:
        return None, UNAVAILABLE
    value, counted = answer
    return (None if value is None else value.decode()), counted


def forget_accepted() -> None:
    """Read every connector's credentials again on its next request (in this process)."""
    _accepted.clear()


def credentials_changed(**kwargs) -> None:
    """Make every process read connectors again once the current transaction commits."""
    forget_accepted()

    def advance():
        forget_accepted()
        if not settings.REDIS_URL:
            return
        try:
            client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
            client.set(settings.REDIS_KEY_PREFIX + GENERATION_KEY, uuid.uuid4().hex)
        except redis.RedisError:
            logger.error(
                "Could not tell other processes that connectors' credentials changed; they trust "
                "what they accepted for up to CONNECTOR_AUTH_CACHE_SECONDS.",
                exc_info=True,
            )

    transaction.on_commit(advance, robust=True)


def _recently_accepted(app_key: str, digest: str, generation: str) -> Connector | None:
    entry = _accepted.get((app_key, digest))
    if entry is None:
        return None
    accepted_generation, until, connector = entry
    if accepted_generation != generation or time.monotonic() >= until:
        _accepted.pop((app_key, digest), None)
        return None
    return copy.copy(connector)  # a request may set attributes on its connector: not on ours


def _rate_hit_ahead(app_key: str, digest: str) -> RateHit | None:
    """The rate hit of the connector these credentials were last accepted as, to count with the
    generation's read. Should the generation have moved on, the hit counted stands only if the
    connector read again has the same rate (the throttle compares): one request at most, per
    process and change, is counted against a rate no longer the connector's."""
    entry = _accepted.get((app_key, digest))
    return None if entry is None else rate_hit(entry[2], quiet=True)


def _accept(app_key: str, digest: str, connector: Connector, generation: str) -> None:
    if len(_accepted) >= ACCEPTED_MAX:
        _accepted.clear()
    until = time.monotonic() + settings.CONNECTOR_AUTH_CACHE_SECONDS
    _accepted[(app_key, digest)] = (generation, until, copy.copy(connector))


class ConnectorPrincipal:
    """Who is calling: a connector. Stands in for `request.user` on the connector API."""

    is_authenticated = True
    is_anonymous = False
    is_active = True

    def __init__(self, connector: Connector):
        self.connector = connector

    def __str__(self):
        return f"connector {self.connector}"


class ConnectorAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        app_key = request.META.get("HTTP_X_VTEX_API_APPKEY", "")
        app_token = request.META.get("HTTP_X_VTEX_API_APPTOKEN", "")
        if not app_key or not app_token:
            raise exceptions.NotAuthenticated("Send the X-VTEX-API-AppKey and X-VTEX-API-AppToken headers.")
        digest = app_token_digest(app_token)
        hit = _rate_hit_ahead(app_key, digest)
        # The view's looks only for credentials this process accepted: what a caller who never
        # authenticated sends changes nothing the workers do.
        ahead = getattr(request, "redis_ahead", ()) if (app_key, digest) in _accepted else ()
        # Read before the connector is: a change after it moves it on.
        generation, counted = _generation(hit, ahead)
        connector = _recently_accepted(app_key, digest, generation) if generation is not None else None
        if connector is None:
            connector = Connector.objects.select_related("account").filter(app_key=app_key).first()
            if connector is None or not hmac.compare_digest(connector.app_token_digest, digest):
                raise exceptions.AuthenticationFailed("Invalid X-VTEX-API-AppKey or X-VTEX-API-AppToken.")
            if not connector.active:
                raise exceptions.AuthenticationFailed("This connector is deactivated.")
            if generation is not None:
                _accept(app_key, digest, connector, generation)
        if hit is not None and counted is not UNAVAILABLE:
            request.rate_counted = (hit, counted)  # for ConnectorRateThrottle: counted once
        log_context_set(connector_id=connector.pk, account_id=connector.account_id)
        return ConnectorPrincipal(connector), connector

    def authenticate_header(self, request):
        return "X-VTEX-API-AppToken"


class ConnectorAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = ConnectorAuthentication
    name = ["appKey", "appToken"]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "apiKey", "in": "header", "name": "X-VTEX-API-AppKey"},
            {"type": "apiKey", "in": "header", "name": "X-VTEX-API-AppToken"},
        ]

    def get_security_requirement(self, auto_schema):
        return {"appKey": [], "appToken": []}
