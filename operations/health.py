"""Liveness and readiness, as a load balancer or an orchestrator asks for them.

Readiness names each check and what it found; none of them says an address, a name of the
database or an error's text, so the answer can be public. A check that could not be made
(the heartbeats when the database is away) counts as failed.
"""

import time
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from kombu import Connection

from .heartbeats import heartbeats_seen

# Once every migration is applied, it stays so for the life of the process: the check is made
# until it first passes, not on every probe (it reads every migration file).
_migrations_applied = False


def database_check() -> dict:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return {"ok": False, "error": "unreachable"}
    return {"ok": True, "milliseconds": round((time.monotonic() - started) * 1000, 1)}


def migrations_check() -> dict:
    global _migrations_applied
    if _migrations_applied:
        return {"ok": True}
    try:
        executor = MigrationExecutor(connection)
        unapplied = len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    except Exception:
        return {"ok": False, "error": "unreadable"}
    if unapplied:
        return {"ok": False, "error": "unapplied", "unapplied": unapplied}
    _migrations_applied = True
    return {"ok": True}


def broker_check() -> dict:
    started = time.monotonic()
    try:
        with Connection(
            settings.CELERY_BROKER_URL,
            transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            connect_timeout=settings.HEALTH_BROKER_TIMEOUT,
        ) as broker:
            broker.ensure_connection(max_retries=1, interval_start=0, timeout=settings.HEALTH_BROKER_TIMEOUT)
            broker.default_channel  # noqa: B018 - Redis is only spoken to when a channel opens
    except Exception:
        return {"ok": False, "error": "unreachable"}
    return {"ok": True, "milliseconds": round((time.monotonic() - started) * 1000, 1)}


def heartbeat_check(last, *, now) -> dict:
    if last is None:
        return {"ok": False, "error": "never-seen"}
    age = max((now - last).total_seconds(), 0.0)
    found = {"ok": age <= settings.HEALTH_HEARTBEAT_MAX_AGE, "secondsAgo": round(age, 1)}
    if not found["ok"]:
        found["error"] = "stale"
    return found


def readiness() -> tuple[bool, dict]:
    """Every check's result by name, and whether all passed."""
    checks = {"database": database_check()}
    checks["migrations"] = (
        migrations_check() if checks["database"]["ok"] else {"ok": False, "error": "unknown"}
    )
    checks["broker"] = broker_check()
    try:
        seen = heartbeats_seen() if checks["database"]["ok"] else None
    except Exception:
        seen = None
    if seen is None:
        checks["worker"] = checks["beat"] = {"ok": False, "error": "unknown"}
    else:
        now = timezone.now()
        checks["worker"] = heartbeat_check(seen["worker"], now=now)
        window = now - timedelta(seconds=settings.HEALTH_HEARTBEAT_MAX_AGE)
        checks["worker"]["workers"] = sum(at >= window for at in seen["workers"])
        checks["beat"] = heartbeat_check(seen["beat"], now=now)
    return all(check["ok"] for check in checks.values()), checks
