"""`python -m bench [NAME ...]`, which `bench/run` calls: run benchmarks on a database of their own.

The database named by BENCH_DATABASE_URL (default `oa_bench` on the local PostgreSQL; the
smoke mode adds `_smoke` to its name) is dropped and created again, migrated, seeded by the
benchmarks and dropped at the end, unless `--keep` keeps it, and its seeded accounts, for the
next run. The Redis database of BENCH_REDIS_URL is flushed before and after.
"""

import argparse
import os
import secrets
import shlex
import sys
import time
import urllib.parse

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/oa_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"


def arguments(argv):
    from bench.harness import BENCHMARKS

    parser = argparse.ArgumentParser(
        prog="bench/run",
        description="Run benchmarks against PostgreSQL and Redis; print a table per benchmark and "
        "write it to bench/RESULTS.md.",
    )
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"benchmarks to run (default all: {', '.join(BENCHMARKS)})"
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny data and a few requests, in seconds; judges nothing, writes nothing",
    )
    parser.add_argument(
        "--repetitions", type=int, help="measurements per case and side (default 30; smoke 1)"
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="scale the big data sets, to try things out quickly (not written to RESULTS.md)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the database and its seeded data for the next --keep run"
    )
    parser.add_argument(
        "--explain", action="store_true", help="print EXPLAIN ANALYZE of the slowest queries of every case"
    )
    parser.add_argument("--no-results", action="store_true", help="do not write bench/RESULTS.md")
    options = parser.parse_args(argv)
    unknown = [name for name in options.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"no benchmark {', '.join(unknown)}; there are: {', '.join(BENCHMARKS)}")
    return options


def fail(message: str) -> None:
    print(f"bench/run: {message}", file=sys.stderr)
    sys.exit(2)


def say(line: str) -> None:
    print(line, flush=True)


def database_prepare(url: str, *, keep: bool) -> str:
    """Drop and create the benchmark database (or keep it); return its name."""
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        fail(
            f"BENCH_DATABASE_URL must be a PostgreSQL URL, not {parts.scheme}: benchmarks run as production does."
        )
    if "bench" not in name:
        fail(f"BENCH_DATABASE_URL names database {name!r}: it is dropped, so its name must contain 'bench'.")
    try:
        with psycopg.connect(maintenance_url(url), autocommit=True, connect_timeout=5) as server:
            exists = server.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if exists and keep:
                say(f"database {name}: kept from an earlier --keep run")
                return name
            if exists:
                server.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            server.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        fail(
            f"PostgreSQL does not answer at {parts.hostname}:{parts.port or 5432} ({error}). Start it, or set BENCH_DATABASE_URL."
        )
    say(f"database {name}: created")
    return name


def database_drop(url: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    with psycopg.connect(maintenance_url(url), autocommit=True) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    say(f"database {name}: dropped")


def smoke_database_url(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path=parts.path.rstrip("/") + "_smoke"))


def maintenance_url(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(
        (parts.scheme.replace("pgsql", "postgresql"), parts.netloc, "/postgres", parts.query, "")
    )


def redis_flush(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_timeout=5).flushdb()
    except redis.RedisError as error:
        fail(f"Redis does not answer at {url} ({error}). Start it, or set BENCH_REDIS_URL.")


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    options = arguments(argv)
    database_url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
    if options.smoke:  # its own database: a smoke run leaves a database kept by --keep alone
        database_url = smoke_database_url(database_url)
    redis_url = os.environ.get("BENCH_REDIS_URL") or DEFAULT_REDIS_URL
    redis_flush(redis_url)
    database_prepare(database_url, keep=options.keep)

    # The app's settings read these: the benchmarks run on their own database and Redis.
    os.environ["DATABASE_URL"] = database_url
    os.environ["REDIS_URL"] = redis_url
    os.environ["CELERY_BROKER_URL"] = redis_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    # With DEBUG off, as production runs, the settings refuse the development key.
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ["OUTBOUND_ALLOW_PRIVATE_URLS"] = "true"  # the connectors' receivers listen on 127.0.0.1
    try:
        return run(options, command=shlex.join(["bench/run", *argv]))
    finally:
        redis_flush(redis_url)
        if not options.keep:
            database_drop(database_url)


def run(options, *, command: str) -> int:
    """Migrate, run the chosen benchmarks, print their tables and write RESULTS.md; 1 when one fails."""
    import django

    django.setup()
    from django.core.management import call_command

    from bench.harness import BENCHMARKS, Context, run_benchmark
    from bench.harness_results import git_commit, machine, results_section, results_write

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    say(f"migrated in {time.perf_counter() - started:.1f} s")

    settings = {"scale": options.scale, "explain": options.explain, "progress": say}
    context = Context.for_smoke(**settings) if options.smoke else Context(**settings)
    if options.repetitions:
        context.repetitions = options.repetitions
    write = not (options.smoke or options.no_results or options.scale != 1.0)
    description = machine()
    commit = git_commit()
    passed = True
    for name in options.names or list(BENCHMARKS):
        report = run_benchmark(name, context)
        passed = passed and report.passed
        say("")
        say(report.text())
        if report.diagnostics:
            say("")
            say("\n".join(report.diagnostics))
        say("")
        if write:
            section = results_section(report, machine_description=description, commit=commit, command=command)
            results_write(section, name)
            say(f"written to bench/RESULTS.md ({name})")
    return 0 if options.smoke or passed else 1


if __name__ == "__main__":
    sys.exit(main())
