"""The bare baselines the benchmarks measure the app against (installed by `bench.settings` only).

- `POST /bench/baseline/orders`: a DRF endpoint with no authentication that parses the order
  body as JSON and inserts it as one row; with `?relay=<URL on 127.0.0.1>` it also queues,
  after commit, a task that reads the row back and POSTs a processing result there, as the app
  notifies a connector.
- `noop`: a Celery task that does nothing but note that it ran.
"""
