"""Log lines and error reports, built from the values `config/settings.py` reads.

Readable text by default; `json` writes one JSON object a line with the request id, the account,
connector and order the line is about (`kit.logs`), for a log collector to follow. Error reports
go to Sentry only when a DSN is set (docs/operations.md#error-tracking).
"""

import re

import sentry_sdk
from django.core.exceptions import ImproperlyConfigured
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration

from kit.logs import sentry_before_send


def logging_config(*, log_format: str, level: str) -> dict:
    """Return Django's LOGGING: every line to the console, with its log context, in `log_format`."""
    if log_format not in ("text", "json"):
        raise ImproperlyConfigured(f"LOG_FORMAT is {log_format!r}: it is text or json.")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "kit.logs.LogContextFilter"}},
        "formatters": {
            "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
            "json": {"()": "kit.logs.json_formatter"},
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": log_format, "filters": ["context"]}
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
    }


def every_minute(beat_schedule: dict) -> list[str]:
    """The names of beat's entries run more often than once a minute, which Sentry's monitors
    (counting whole minutes) cannot follow: config/celery.py monitors them as running every minute."""
    return sorted(name for name, entry in beat_schedule.items() if entry["schedule"] < 60)


def sentry_start(*, dsn: str, environment: str, traces_sample_rate: float, every_minute: list[str]) -> None:
    """Send error reports to Sentry: exceptions of the web processes and the workers, and error log
    lines, each with its log context as tags; no personal data (addresses, cookies, users), no local
    variables, no URL but its pattern. Beat's entries are monitored as cron check-ins, so a sweep
    that stops running is an alert; those in `every_minute` are left to config/celery.py."""
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        traces_sample_rate=traces_sample_rate,
        send_default_pii=False,
        # A frame's variables can hold a connector's token, a signing secret, a decision link.
        include_local_variables=False,
        integrations=[
            DjangoIntegration(),
            CeleryIntegration(
                monitor_beat_tasks=True,
                exclude_beat_tasks=[f"^{re.escape(name)}$" for name in every_minute],
            ),
        ],
        before_send=sentry_before_send,
    )
