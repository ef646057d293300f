"""Starting, writing and deleting background exports.

An export too long to stream in the request is recorded as an `Export` and written by a
worker: it rebuilds the list from the user and the query string (`lists.list_rows`), counts
it, streams it from the database in chunks into a temporary file, writing its progress as it
goes, and stores the file in the `exports` storage. Memory stays flat however long the list.
A worker lost mid-way leaves the export silent; the sweep queues it again and it starts over.
"""

import csv
import io
import logging
import tempfile
import time
from datetime import timedelta

from django.conf import settings
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.files import File
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from kit.enqueue import enqueue_on_commit
from kit.errors import DomainError

from .lists import exportable_admin, list_request, list_rows, list_title, zone_label
from .models import Export
from .tables import Clock, csv_lines

logger = logging.getLogger(__name__)

# Rows read from the database at a time (a server-side cursor on PostgreSQL).
CHUNK_ROWS = 2000
# How often a running export writes its progress: after this many rows, or this many seconds.
FLUSH_EVERY_ROWS = 5000
FLUSH_EVERY_SECONDS = 1.0
# A running export that wrote no progress for this long lost its worker, and is started again.
SILENT_FOR = timedelta(minutes=5)
# A pending export not started by then lost its message, and is queued again.
UNSTARTED_FOR = timedelta(minutes=1)
MAX_ATTEMPTS = 3

# Why an export failed, kept in English in `Export.error` (logs and operators read it there) and
# said in the reader's language on its page (`failure_words`).
NOT_EXPORTABLE = gettext_noop("The list %(list)s cannot be exported.")
NO_LONGER_VISIBLE = gettext_noop("%(user)s may no longer see this list.")
FILTER_INVALID = gettext_noop("The list's filter is no longer valid; export the list again.")
GAVE_UP = gettext_noop("The export was started %(attempts)s times and never finished; export the list again.")
FAILURES = (NOT_EXPORTABLE, NO_LONGER_VISIBLE, FILTER_INVALID, GAVE_UP)


def inline_max() -> int:
    """Longest list streamed in the request; a longer one is written in the background."""
    return settings.EXPORT_INLINE_MAX_ROWS


def retention() -> timedelta:
    return timedelta(hours=settings.EXPORT_RETENTION_HOURS)


def export_storage():
    return storages["exports"]


def export_start(*, user, model_admin, query: str, accounts: list[int]) -> Export:
    """Record the export of a list and queue it for a worker once the transaction commits.

    Asking again for the same list while its export is still being written returns that one.
    """
    from .tasks import write_export

    label = model_admin.opts.label_lower
    with transaction.atomic():
        waiting = Export.objects.filter(
            user=user,
            list_label=label,
            query=query,
            accounts=accounts,
            state__in=[Export.State.PENDING, Export.State.RUNNING],
        ).first()
        if waiting is not None:
            return waiting
        export = Export.objects.create(
            user=user,
            list_label=label,
            title=list_title(model_admin),
            query=query,
            accounts=accounts,
            language=translation.get_language() or "",
        )
        enqueue_on_commit(write_export, export.pk)
    return export


def _claim(export_id: int, now) -> bool:
    """Take the export: waiting to start, or running but silent long enough to have lost its worker."""
    return bool(
        Export.objects.filter(
            Q(state=Export.State.PENDING) | Q(state=Export.State.RUNNING, heartbeat_at__lt=now - SILENT_FOR),
            pk=export_id,
        ).update(state=Export.State.RUNNING, heartbeat_at=now, attempts=F("attempts") + 1, done=0, error="")
    )


class Refused(DomainError):
    """The export cannot be written; the message says why, to the user."""


class TakenOver(DomainError):
    """This worker went silent so long that another took the export over; that one writes it."""


def export_run(*, export_id: int) -> Export | None:
    """Write the export's file, reporting progress; mark it failed, with the reason, when it cannot be."""
    if not _claim(export_id, timezone.now()):
        return None
    export = Export.objects.select_related("user").get(pk=export_id)
    # Every write of this run names its attempt: a run that lost the export to another changes nothing.
    mine = Export.objects.filter(pk=export.pk, state=Export.State.RUNNING, attempts=export.attempts)
    try:
        # The worker has no reader: the file speaks the language its list was read in when asked for.
        with translation.override(export.language or settings.LANGUAGE_CODE):
            _write(export, mine)
    except TakenOver:
        logger.warning("Export %s was taken over by another worker", export.pk)
    except Exception as error:
        logger.exception("Export %s failed", export.pk)
        reason = str(error) if isinstance(error, Refused) else f"{type(error).__name__}: {error}"
        mine.update(state=Export.State.FAILED, error=reason[:2000], finished_at=timezone.now())
    export.refresh_from_db()
    return export


def _write(export: Export, mine) -> None:
    model_admin = exportable_admin(export.list_label)
    if model_admin is None:
        raise Refused(NOT_EXPORTABLE % {"list": export.list_label})
    request = list_request(user=export.user, query=export.query)
    if not export.user.is_active or not model_admin.has_view_permission(request):
        raise Refused(NO_LONGER_VISIBLE % {"user": export.user})
    try:
        rows = list_rows(model_admin, request, accounts=export.accounts)
    except IncorrectLookupParameters:
        raise Refused(FILTER_INVALID) from None
    mine.update(total=rows.count(), heartbeat_at=timezone.now())
    table = model_admin.export_table
    clock = Clock()
    done, written, last_write = 0, 0, time.monotonic()

    def counted(objects):
        nonlocal done, written, last_write
        for obj in objects:
            yield obj
            done += 1
            if done - written >= FLUSH_EVERY_ROWS or time.monotonic() - last_write >= FLUSH_EVERY_SECONDS:
                if not mine.update(done=done, heartbeat_at=timezone.now()):
                    raise TakenOver
                written, last_write = done, time.monotonic()

    with tempfile.TemporaryFile() as binary:
        text = io.TextIOWrapper(binary, encoding="utf-8", newline="")
        writer = csv.writer(text)
        zone = zone_label(export.accounts)
        for line in csv_lines(table, counted(rows.iterator(chunk_size=CHUNK_ROWS)), zone=zone, clock=clock):
            writer.writerow(line)
        text.flush()
        size = binary.tell()
        binary.seek(0)
        file_name = table.file_name(clock.now)
        path = export_storage().save(f"{export.pk}/{file_name}", File(binary, name=file_name))
        text.detach()
    finished = mine.update(
        state=Export.State.READY,
        done=done,
        file_path=path,
        file_name=file_name,
        size_bytes=size,
        finished_at=timezone.now(),
    )
    if not finished:
        export_storage().delete(path)
        raise TakenOver


def exports_sweep(*, now=None) -> list[int]:
    """Return the exports to queue again: never started a while after they were asked for, or silent."""
    now = now or timezone.now()
    lost = Export.objects.filter(
        Q(state=Export.State.PENDING, created_at__lte=now - UNSTARTED_FOR)
        | Q(state=Export.State.RUNNING, heartbeat_at__lt=now - SILENT_FOR)
    )
    given_up = lost.filter(attempts__gte=MAX_ATTEMPTS).update(
        state=Export.State.FAILED,
        error=GAVE_UP % {"attempts": MAX_ATTEMPTS},
        finished_at=now,
    )
    if given_up:
        logger.warning("%s exports gave up after %s attempts", given_up, MAX_ATTEMPTS)
    return list(lost.filter(attempts__lt=MAX_ATTEMPTS).values_list("pk", flat=True)[:100])


def exports_expire(*, now=None) -> int:
    """Delete the files of exports finished longer ago than the retention; return how many."""
    now = now or timezone.now()
    storage = export_storage()
    expired = 0
    old = Export.objects.filter(state=Export.State.READY, finished_at__lt=now - retention())
    for export in old.only("pk", "file_path")[:1000]:
        if export.file_path:
            storage.delete(export.file_path)
        expired += Export.objects.filter(pk=export.pk, state=Export.State.READY).update(
            state=Export.State.EXPIRED, file_path=""
        )
    return expired
