"""Counting the round trips to PostgreSQL, from libpq's trace of the messages, and to Redis.

A round trip is a wait for the server: a Sync (the end of a statement, or of statements sent
together), simple Query or Flush the client sends, then the server's answers. Not each answer
read: in pipeline mode the server may answer the first statements while the client still sends
the next, which no one waits for.
"""

import itertools
import tempfile
from contextlib import contextmanager
from unittest import mock

import redis.connection
from django.db import connection
from psycopg import pq

WAITS = {"Sync", "Query", "Flush"}  # the messages after which the client waits for the server


class RoundTrips:
    count: int | None = None  # known once the block ends


@contextmanager
def round_trips():
    """Count the round trips of the default connection within the block."""
    connection.ensure_connection()
    pgconn = connection.connection.pgconn
    trips = RoundTrips()
    with tempfile.TemporaryFile("w+") as log:
        pgconn.trace(log.fileno())
        pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
        try:
            yield trips
        finally:
            pgconn.untrace()  # which flushes the trace
        log.seek(0)
        messages = [line.rstrip("\n").split("\t")[:3] for line in log if line.strip()]
    # A wait: a message that asks for answers, the server's answer next. Several sent in a row
    # (a Sync, then the block's own) are one wait; an answer read while the client still sends
    # (in pipeline mode, more often the busier the machine) is none.
    trips.count = sum(
        1
        for (direction, _, message), (answer, *_) in itertools.pairwise(messages)
        if direction == "F" and message in WAITS and answer == "B"
    )


@contextmanager
def redis_round_trips():
    """Count the round trips to Redis within the block, of every client of this process: each
    command sent, or each pipeline of them, is one."""
    trips = RoundTrips()
    trips.count = 0
    send = redis.connection.AbstractConnection.send_packed_command

    def counted(self, command, *args, **kwargs):
        trips.count += 1
        return send(self, command, *args, **kwargs)

    with mock.patch.object(redis.connection.AbstractConnection, "send_packed_command", counted):
        yield trips
