"""Run requests at the same moment: threads released together, each on its own database connection."""

import threading
from collections.abc import Callable

from django.db import connection


def at_once[T](actions: list[Callable[[], T]], *, threads: int | None = None) -> list[T]:
    """Run every action, `threads` at a time (all of them by default), started together by a barrier.

    Return the results in the order of `actions`; raise the first error any action raised.
    Each thread has its own database connection, as each web process or worker does.
    """
    threads = min(threads or len(actions), len(actions))
    barrier = threading.Barrier(threads)
    pending = list(enumerate(actions))
    lock = threading.Lock()
    results: list = [None] * len(actions)
    errors: list[BaseException] = []

    def work():
        try:
            with lock:  # each thread holds its first action before the barrier: those all start together
                job = pending.pop(0)
            barrier.wait()
            while job is not None:
                index, action = job
                results[index] = action()
                with lock:
                    job = pending.pop(0) if pending and not errors else None
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if errors:
        raise errors[0]
    return results
