"""Counting the round trips to PostgreSQL, from libpq's trace of the messages (each batch the
client sends followed by the server's answers being one), and to Redis."""

import itertools
import tempfile
from contextlib import contextmanager
from unittest import mock

import redis.connection
from django.db import connection
from psycopg import pq


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
        directions = [line.split("\t")[0] for line in log if line.strip()]
    trips.count = sum(1 for pair in itertools.pairwise(directions) if pair == ("F", "B"))


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
