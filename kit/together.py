"""Statements sent together: the writes of a batch in one round trip to PostgreSQL, not one each.

Each statement waits for its answer before the next is sent; on a busy machine that wait, not
the statement, is most of what an order's writes cost. Within `statements_together()` (psycopg's
pipeline mode) a statement run through `send` does not wait: it goes with the next one that
does, or with the block's end, and `then(cursor)` reads its result there. Every other statement
in the block waits for its answer as it would outside it, so an ORM update still sees its row
count and an error is raised by the statement that caused it. Outside a block, and on another
database, `send` runs its statement at once.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import psycopg
from django.db import connection

# The open block's callbacks, run once its statements are answered; None outside a block.
_answered: ContextVar[list[Callable[[], None]] | None] = ContextVar("kit_together", default=None)
# True while `send` runs its statement: the one kind the block does not wait for.
_sending: ContextVar[bool] = ContextVar("kit_together_sending", default=False)


@contextmanager
def statements_together() -> Iterator[None]:
    """Send what `send` runs within in one round trip with the next statement that waits.

    Nested, it is the outer block's; on another database than PostgreSQL it changes nothing.
    An error of a statement sent together is raised by the next one that waits, or at the end.
    """
    if (
        _answered.get() is not None
        or connection.vendor != "postgresql"
        or not psycopg.Pipeline.is_supported()
    ):
        yield
        return
    connection.ensure_connection()
    answered: list[Callable[[], None]] = []
    token = _answered.set(answered)
    try:
        with (
            connection.wrap_database_errors,
            connection.connection.pipeline() as pipeline,
            connection.execute_wrapper(_waiting(pipeline)),
        ):
            yield
    finally:
        _answered.reset(token)
    for callback in answered:
        callback()


def _waiting(pipeline: psycopg.Pipeline):
    """Every statement of the block but those of `send` waits for its answer, as outside it."""

    def execute(run, sql, params, many, context):
        result = run(sql, params, many, context)
        if not _sending.get():
            with connection.wrap_database_errors:
                pipeline.sync()
        return result

    return execute


def send(sql: str, params, *, then: Callable[[object], None] | None = None) -> None:
    """Run a statement whose result nobody reads before `then(cursor)` does: within a block,
    when the block's statements are answered; elsewhere at once."""
    cursor = connection.cursor()
    marker = _sending.set(True)
    try:
        cursor.execute(sql, params)
    except BaseException:
        cursor.close()
        raise
    finally:
        _sending.reset(marker)

    def answered():
        try:
            if then is not None:
                then(cursor)
        finally:
            cursor.close()

    when_answered(answered)


def when_answered(callback: Callable[[], None]) -> None:
    """Run `callback()` once the statements sent so far are answered: at the end of the block
    (when nothing in it failed), or at once outside one."""
    pending = _answered.get()
    if pending is None:
        callback()
    else:
        pending.append(callback)
