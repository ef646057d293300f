"""System checks of the connectors: stored URLs the address policy now refuses, retries longer
than the broker keeps a task to itself, and a request rate that is not one."""

from django.conf import settings
from django.core.checks import Error, Warning, register
from django.db import DatabaseError

from . import egress
from .rates import rate_parse


@register()
def outbound_urls_check(app_configs=None, **kwargs):
    """List the connectors' endpoints and hooks that the address policy refuses by their text.

    Saved before the policy (or before `OUTBOUND_ALLOW_PRIVATE_URLS` was turned off), their
    notifications and hook calls now fail: an operator should hear of it at startup rather than
    find failed deliveries. Names are not resolved here (each call checks its addresses).
    """
    from .models import Connector, HookConfig

    try:
        connectors = list(
            Connector.objects.select_related("account").only("name", "endpoint", "account__name")
        )
        hooks = list(HookConfig.objects.select_related("connector__account").only("url", "connector"))
    except DatabaseError:  # not migrated yet, or no database: nothing stored to check
        return []
    found = []
    for connector in connectors:
        problem = egress.url_problem(connector.endpoint)
        if problem:
            found.append(
                Warning(
                    f"Connector {connector.name!r} of account {connector.account.name!r}: its notification "
                    f"endpoint {connector.endpoint!r} is refused by the outbound address policy: {problem}",
                    hint="Change the endpoint in the admin; or, if this connector lives on your own network, "
                    "set OUTBOUND_ALLOW_PRIVATE_URLS=true. Until then its notifications fail.",
                    obj=connector,
                    id="connectors.W001",
                )
            )
    for hook in hooks:
        problem = egress.url_problem(hook.url)
        if problem:
            connector = hook.connector
            found.append(
                Warning(
                    f"Connector {connector.name!r} of account {connector.account.name!r}: its hook URL "
                    f"{hook.url!r} is refused by the outbound address policy: {problem}",
                    hint="The connector must configure its hook again with a public URL; or, if it lives on "
                    "your own network, set OUTBOUND_ALLOW_PRIVATE_URLS=true. Until then its hook calls fail.",
                    obj=hook,
                    id="connectors.W002",
                )
            )
    return found


@register()
def retry_delays_check(app_configs=None, **kwargs):
    """A retry is a task queued with a countdown, held by a worker unacknowledged until then; Redis
    gives it to a second worker once the visibility timeout passes, so a longer delay (with its
    tenth of jitter) would be tried twice."""
    visibility = (getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}) or {}).get("visibility_timeout")
    if not visibility or not settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        return []
    longest = max(settings.NOTIFICATION_RETRY_MAX_SECONDS, settings.HOOK_RETRY_MAX_SECONDS) * 1.1
    if visibility > longest:
        return []
    return [
        Error(
            f"The broker's visibility timeout ({visibility:g} s) is not longer than the longest retry "
            f"delay of notifications and hook calls ({longest:g} s with jitter): such a retry would be "
            "delivered twice.",
            hint="Raise BROKER_VISIBILITY_TIMEOUT, or lower NOTIFICATION_RETRY_MAX_SECONDS and HOOK_RETRY_MAX_SECONDS.",
            id="connectors.E001",
        )
    ]


@register()
def rate_limit_setting_check(app_configs=None, **kwargs):
    """A `CONNECTOR_RATE_LIMIT` that writes no rate stops the app at startup (`migrate` runs the
    checks), rather than every connector request finding out."""
    try:
        rate_parse(settings.CONNECTOR_RATE_LIMIT)
    except ValueError as problem:
        return [
            Error(
                f"CONNECTOR_RATE_LIMIT: {problem}.",
                hint="Set CONNECTOR_RATE_LIMIT to requests per second, minute or hour (200/s, 12000/min, "
                "3600/h), or to 0 for no limit.",
                id="connectors.E002",
            )
        ]
    return []
