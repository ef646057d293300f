"""Celery tasks of exports: writing one, the sweep that queues lost ones, deleting old files."""

from celery import shared_task

from kit.enqueue import requeue

from .services import export_run, exports_expire, exports_sweep


@shared_task(acks_late=True, ignore_result=True)
def write_export(export_id: int) -> None:
    """Write an export's file; a redelivered message finds it taken and does nothing."""
    export_run(export_id=export_id)


@shared_task(ignore_result=True)
def sweep_exports() -> int:
    """Queue again the exports never started, or whose worker went silent."""
    return requeue(write_export, exports_sweep(), what="exports")


@shared_task(ignore_result=True)
def expire_exports() -> int:
    """Delete the files of exports older than the retention."""
    return exports_expire()
