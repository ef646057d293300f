"""Benchmarks: speed targets measured side by side in one run, on PostgreSQL and Redis.

`bench/run [NAME ...]` runs them (see README.md, "Benchmarks"); each benchmark is a module
listed in `bench.harness.BENCHMARKS` with a `run(context) -> Report` function.
"""
