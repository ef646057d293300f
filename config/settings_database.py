"""The database connection's options, built from the values `config/settings.py` reads.

SQLite (the default, for one machine) in WAL mode, so the web process and the worker both write;
PostgreSQL with persistent, health-checked connections, bounded waits on a host that stops
answering, and statements prepared by the server.
"""

from pathlib import Path


def database(
    default: dict,
    *,
    conn_max_age: int,
    connect_timeout: int,
    tcp_user_timeout: float,
    idle_in_transaction_timeout: float,
    prepared_statements: bool,
) -> dict:
    """Return `default` (`DATABASE_URL` as django-environ reads it) with its engine's options; times in seconds."""
    options = default.setdefault("OPTIONS", {})
    if default["ENGINE"] == "django.db.backends.sqlite3":
        Path(default["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        options.update(
            {
                "init_command": "PRAGMA journal_mode=wal; PRAGMA synchronous=normal;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            }
        )
        return default
    default["CONN_MAX_AGE"] = conn_max_age
    default["CONN_HEALTH_CHECKS"] = True
    # A database host that stops answering fails a connection within seconds, not the system's minutes.
    options.setdefault("connect_timeout", connect_timeout)
    # And one that stops answering mid-conversation (its link down) fails the connection once what
    # was sent stays unacknowledged this long: a query would otherwise wait out TCP's retries, minutes.
    options.setdefault("tcp_user_timeout", round(tcp_user_timeout * 1000))
    # A session left idle inside a transaction (its process cut off from the database host between
    # two statements) is ended by the server after this long, releasing its row locks; 0: never.
    idle_in_transaction = round(idle_in_transaction_timeout * 1000)
    if idle_in_transaction:
        options["options"] = " ".join(
            filter(
                None,
                [options.get("options", ""), f"-c idle_in_transaction_session_timeout={idle_in_transaction}"],
            )
        )
    if prepared_statements:
        # Parameters bound by the server, and a statement prepared on its second run: what the
        # app repeats (every order runs the same statements) is planned once per connection,
        # not every time. Off behind a pooler in transaction mode, which cannot keep them.
        options.update(server_side_binding=True, prepare_threshold=2)
    return default
