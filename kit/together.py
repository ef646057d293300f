"""Statements sent together: a batch's reads, and its writes, in one round trip to PostgreSQL each.

Each statement waits for its answer before the next is sent: for an order processed alone, the
waits were a third of its time. Within `statements_together()` (psycopg's pipeline mode) a
statement run through `send` does not wait: it goes with the next one that does, with
`answers_now()`, or with the block's end, and `then(cursor)` reads its result there;
`fetch_later` sends a read so, the first read of its rows waiting for all that were sent. Every
other statement in the block waits for its answer as it would outside it, so an ORM update
still sees its row count and an error is raised by the statement that caused it. Outside a
block, and on another database, `send` runs its statement at once.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import psycopg
from django.db import connection


class _Block:
    def __init__(self, pipeline: psycopg.Pipeline):
        self.pipeline = pipeline
        self.answered: list[Callable[[], None]] = []  # run once the statements sent are answered


# The open block; None outside one.
_block: ContextVar[_Block | None] = ContextVar("kit_together", default=None)
# True while `send` runs its statement: the one kind the block does not wait for.
_sending: ContextVar[bool] = ContextVar("kit_together_sending", default=False)


@contextmanager
def statements_together() -> Iterator[None]:
    """Send what `send` runs within in one round trip with the next statement that waits.

    Nested, it is the outer block's; on another database than PostgreSQL it changes nothing.
    An error of a statement sent together is raised by the next one that waits, or at the end.
    """
    if _block.get() is not None or connection.vendor != "postgresql" or not psycopg.Pipeline.is_supported():
        yield
        return
    connection.ensure_connection()
    with (
        connection.wrap_database_errors,
        connection.connection.pipeline() as pipeline,
        connection.execute_wrapper(_waiting(pipeline)),
    ):
        block = _Block(pipeline)
        token = _block.set(block)
        try:
            yield
        finally:
            _block.reset(token)
    _run(block.answered)


def _run(callbacks: list[Callable[[], None]]) -> None:
    while callbacks:
        callbacks.pop(0)()


def _waiting(pipeline: psycopg.Pipeline):
    """Every statement of the block but those of `send` waits for its answer, as outside it."""

    def execute(run, sql, params, many, context):
        result = run(sql, params, many, context)
        if not _sending.get():
            with connection.wrap_database_errors:
                pipeline.sync()
        return result

    return execute


def answers_now() -> None:
    """Wait for the answers of every statement sent so far, in one round trip, and run their
    callbacks; outside a block there is nothing to wait for."""
    block = _block.get()
    if block is None:
        return
    with connection.wrap_database_errors:
        block.pipeline.sync()
    _run(block.answered)


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
    """Run `callback()` once the statements sent so far are answered: at `answers_now()` or the
    end of the block (when nothing in it failed), or at once outside one."""
    block = _block.get()
    if block is None:
        callback()
    else:
        block.answered.append(callback)


class Rows:
    """The rows of a statement sent by `fetch_later`; reading them waits for its answer."""

    def __init__(self):
        self._rows: list[tuple] | None = None

    @property
    def rows(self) -> list[tuple]:
        if self._rows is None:
            answers_now()
        return self._rows


def fetch_later(sql: str, params) -> Rows:
    """Send a read whose rows are needed later: several go in one round trip, the first read
    of their rows waiting for them all."""
    found = Rows()

    def answered(cursor):
        found._rows = cursor.fetchall()

    send(sql, params, then=answered)
    return found
