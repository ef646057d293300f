"""The heartbeats of the background processes: each worker says it is alive from a timer of its
main process, beat as its scheduler ticks (`operations.signals`, sent by config/celery.py); they
are stamped here and readiness reads them (`operations.health`)."""

from datetime import datetime, timedelta

from django.dispatch import receiver
from django.utils import timezone

from .models import Heartbeat
from .signals import beat_alive, worker_alive

BEAT = "beat"
WORKER_PREFIX = "worker:"
# A worker's name changes with its host; rows of names not heard of for this long are dropped.
FORGET_AFTER = timedelta(days=1)


def heartbeat_stamp(name: str, *, at: datetime | None = None) -> None:
    """Record that `name` is alive now."""
    at = at or timezone.now()
    Heartbeat.objects.update_or_create(name=name, defaults={"at": at})
    if name == BEAT:
        Heartbeat.objects.filter(name__startswith=WORKER_PREFIX, at__lt=at - FORGET_AFTER).delete()


@receiver(worker_alive, dispatch_uid="operations.worker_heartbeat")
def worker_heartbeat_stamp(*, hostname: str, **signal) -> None:
    heartbeat_stamp(WORKER_PREFIX + hostname)


@receiver(beat_alive, dispatch_uid="operations.beat_heartbeat")
def beat_heartbeat_stamp(**signal) -> None:
    heartbeat_stamp(BEAT)


def heartbeats_seen() -> dict:
    """The newest heartbeat of any worker and beat's, and how many workers were heard within
    `since`: {"worker": datetime | None, "beat": datetime | None, "workers": [datetimes]}."""
    rows = list(Heartbeat.objects.values_list("name", "at"))
    workers = [at for name, at in rows if name.startswith(WORKER_PREFIX)]
    beat = next((at for name, at in rows if name == BEAT), None)
    return {"worker": max(workers, default=None), "beat": beat, "workers": workers}
