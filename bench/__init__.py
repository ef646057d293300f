"""Benchmarks: speed targets measured side by side in one run, on PostgreSQL and Redis.

`bench/run [NAME ...]` runs them (see docs/benchmarks.md); each benchmark is a module
listed in `bench.harness.BENCHMARKS` with a `run(context) -> Report` function.
"""
