"""What every app shares, and nothing of any app: the lowest layer (docs/architecture.md).

The error base of every service's refusal, the APIs' error body and JSON parser, the base of every service's refusal, serializer
fields, dates, text, spreadsheet cells, the insert helper, the OpenAPI hooks, queueing tasks after
commit, the process's client of Redis, and the admin's list kit.
No module here imports a project app; import-linter holds it so (pyproject.toml).
"""
