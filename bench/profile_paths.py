"""Time and profile order intake and order processing in one process, for before/after comparisons.

    DATABASE_URL=postgres://…/oa_x REDIS_URL=redis://127.0.0.1:6379/N \
        .venv/bin/python -m bench.profile_paths [--orders 300] [--rounds 3] [--profile intake|processing]

Each round posts `--orders` orders through the WSGI application, as gunicorn calls it (the
connector API's whole stack: middleware, authentication, the contract check, the intake
record and a batch of processing asked for on Redis), then processes the submissions it made with
`orders.intake.pipeline.intake_process`, as the worker does, one after the other. It prints each
round's milliseconds per order (wall time, and this process's CPU time, which other work on a
busy machine disturbs less) and queries per order, and the median of the rounds.
`--profile` runs one more round of that path under cProfile and prints its heaviest functions;
`--queries` prints the SQL of one order of each path. `--compare REVISION` runs the code at a
git commit (or in a directory holding a copy of the code) and this tree in a process each,
alternating their rounds, and compares the medians. Unlike `bench/run`, this measures no
baseline and judges nothing: it is for seeing where the time goes and whether a change helped.

The database must be PostgreSQL and is not dropped: the first run adds an account
(`profile-paths`) with the benchmarks' catalog and rule, and later runs reuse it.
Notifications are queued on Redis and never delivered; the Redis database is flushed at the end.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import sys

from bench.profile_rounds import Paths, QueryCounter, flush_broker, measure, setup


def profiled(function, *args, top: int):
    profile = cProfile.Profile()
    profile.enable()
    function(*args)
    profile.disable()
    for order in ("cumulative", "tottime"):
        stream = io.StringIO()
        pstats.Stats(profile, stream=stream).strip_dirs().sort_stats(order).print_stats(top)
        print(stream.getvalue())


def describe(result: dict) -> str:
    return ", ".join(
        f"{key} {result[f'{key}_ms']:.2f} ms/order (CPU {result[f'{key}_cpu_ms']:.2f}, "
        f"database CPU {result[f'{key}_db_cpu_ms']:.2f}, {result[f'{key}_queries']:.1f} queries)"
        for key in ("intake", "processing")
    )


def compare(revision: str, options) -> None:
    """Alternate rounds of the code at `revision` and of this tree, one process for each.

    `revision` is a git commit of this repository, or the directory of another copy of the code.
    Both processes start, warm up and wait; then each round is run by one and then the other
    (the first alternating), so that whatever else the machine does falls on both alike.
    """
    import subprocess
    import tempfile

    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    rounds_script = os.path.join(here, "bench", "profile_rounds.py")
    with tempfile.TemporaryDirectory(prefix="profile-paths-") as scratch:
        if os.path.isdir(revision):
            before, label = os.path.abspath(revision), os.path.basename(os.path.abspath(revision))
        else:
            label = subprocess.run(
                ["git", "rev-parse", "--short", revision],
                cwd=here,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            archive = subprocess.run(["git", "archive", label], cwd=here, capture_output=True, check=True)
            subprocess.run(["tar", "-x", "-C", scratch], input=archive.stdout, check=True)
            before = scratch
        sides = {label: before, "this tree": here}
        processes = {}
        try:
            for name, directory in sides.items():  # one after the other: their warm-ups share the account
                processes[name] = subprocess.Popen(
                    # This tree's rounds, with the side's code: -P keeps the script's directory off the path.
                    [
                        *(sys.executable, "-P", "-W", "ignore", rounds_script),
                        *("--held-every", str(options.held_every), "--workers", str(options.workers)),
                    ],
                    cwd=directory,
                    env={**os.environ, "PYTHONPATH": directory},
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
                if processes[name].stdout.readline().strip() != "ready":
                    sys.exit(f"{name} did not start")
            results: dict[str, list[dict]] = {name: [] for name in sides}
            for round_number in range(options.rounds):
                names = list(sides) if round_number % 2 == 0 else list(reversed(sides))
                for name in names:
                    processes[name].stdin.write(f"{options.orders}\n")
                    processes[name].stdin.flush()
                    line = processes[name].stdout.readline()
                    if not line:
                        sys.exit(f"{name} stopped")
                    results[name].append(json.loads(line))
                    if options.verbose:
                        print(f"round {round_number + 1}, {name}: {describe(results[name][-1])}", flush=True)
        finally:
            for process in processes.values():
                process.stdin.close()
                process.wait(timeout=60)
    print(
        f"{options.orders} orders × {options.rounds} rounds a side, alternating, held every "
        f"{options.held_every or 'none'}, processed by {options.workers} process(es); load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}"
    )
    for key in ("intake", "processing"):
        old, new = (medians(results[name], key) for name in sides)
        print(
            f"median {key:<10} {label}: {old['ms']:.2f} ms/order (CPU {old['cpu_ms']:.2f}, database "
            f"{old['db_cpu_ms']:.2f}), {old['queries']:.1f} queries; this tree: {new['ms']:.2f} ms/order "
            f"(CPU {new['cpu_ms']:.2f}, database {new['db_cpu_ms']:.2f}), {new['queries']:.1f} queries; "
            f"{new['ms'] / old['ms']:.2f}× (CPU {new['cpu_ms'] / old['cpu_ms']:.2f}×, database "
            f"{new['db_cpu_ms'] / max(old['db_cpu_ms'], 1e-9):.2f}×)"
        )


def medians(results: list[dict], key: str) -> dict:
    return {
        measure: statistics.median(result[f"{key}_{measure}"] for result in results)
        for measure in ("ms", "cpu_ms", "db_cpu_ms", "queries")
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="bench/profile_paths.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=300, help="orders per round (default 300)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the median is reported (default 3)")
    parser.add_argument(
        "--held-every",
        type=int,
        default=0,
        help="make every Nth order diverge 7 %% into a manual band (default 0: none held)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes sharing each round's processing, as a worker's pool does (default 1)",
    )
    parser.add_argument("--profile", choices=["intake", "processing"], help="profile one more round")
    parser.add_argument("--top", type=int, default=40, help="functions listed by --profile")
    parser.add_argument("--queries", action="store_true", help="print the SQL of one order of each path")
    parser.add_argument(
        "--compare",
        metavar="REVISION",
        help="alternate rounds of the code at REVISION (a git commit, or a directory holding a copy of the "
        "code) and of this tree",
    )
    parser.add_argument("--verbose", action="store_true", help="with --compare, print every round")
    options = parser.parse_args(argv)
    if options.rounds < 1 or options.orders < 1:
        parser.error("--orders and --rounds must be at least 1")
    if options.compare:
        compare(options.compare, options)
        return

    setup()
    from django.conf import settings

    paths = Paths(options.held_every, options.workers)
    paths.warm_up()

    if options.queries:
        for name in ("intake", "processing"):
            counter = QueryCounter()
            counter.statements = []
            if name == "intake":
                paths.intake(paths.bodies(1), counter)
            else:
                paths.process(paths.pending(), counter)
            print(f"-- {name}: {counter.count} statements")
            for sql in counter.statements:
                print(f"   {sql[:300]}")

    results = []
    for round_number in range(1, options.rounds + 1):
        results.append(measure(paths, options.orders))
        print(f"round {round_number}: {describe(results[-1])}", flush=True)

    database = settings.DATABASES["default"]
    print(
        f"\n{options.orders} orders × {options.rounds} rounds, held every {options.held_every or 'none'}, "
        f"processed by {options.workers} process(es), "
        f"database {database['NAME']}, CONN_MAX_AGE {database.get('CONN_MAX_AGE')}, "
        f"load average {' '.join(f'{value:.2f}' for value in os.getloadavg())}"
    )
    for key in ("intake", "processing"):
        median = medians(results, key)
        print(
            f"median {key:<10} {median['ms']:.2f} ms/order ({1000 / median['ms']:.0f} orders/s; CPU "
            f"{median['cpu_ms']:.2f} ms, database CPU {median['db_cpu_ms']:.2f} ms), "
            f"{median['queries']:.1f} queries/order"
        )

    if options.profile == "intake":
        print("\n== cProfile: intake")
        profiled(paths.intake, paths.bodies(options.orders), QueryCounter(), top=options.top)
    if options.profile == "processing":
        paths.intake(paths.bodies(options.orders), QueryCounter())
        print("\n== cProfile: processing")
        profiled(paths.process, paths.pending(), QueryCounter(), top=options.top)
    flush_broker()


if __name__ == "__main__":
    main()
