"""Counting the round trips to PostgreSQL: libpq's trace of the messages, each batch the client
sends followed by the server's answers being one round trip."""

import itertools
import tempfile
from contextlib import contextmanager

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
