"""Know which on-commit callbacks a test registered and never ran.

Inside a test's transaction, work queued "after commit" (notifications, e-mails, tasks) only runs
when the test captures it with `django_capture_on_commit_callbacks(execute=True)` (or `mkp`).
An assertion about what a connector received while such work is still pending cannot fail, so
`assert_settled` refuses to let it be made. Only callbacks that queue tasks count (every task is
queued through kit.enqueue); a cache's version bump after commit sends nothing. And only what
the test body queues counts: what fixtures queue is setup (a rule's reprocessing of orders held
until a rule existed, say), whose effects a fixture checks on its own terms.
"""

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper


class Tracked:
    """An on-commit callback that remembers whether it ran."""

    def __init__(self, func):
        self.func, self.ran = func, False

    def __call__(self):
        self.ran = True
        return self.func()

    @property
    def queues_work(self) -> bool:
        return getattr(self.func, "__module__", None) == "kit.enqueue"

    def __repr__(self):
        return getattr(self.func, "__qualname__", None) or repr(self.func)


_tracking: list[Tracked] | None = None
_body_starts_at: int | None = None  # index in _tracking of the first callback the test body queued


def track(monkeypatch) -> list[Tracked]:
    """Wrap every callback registered from now on; returns the list they are recorded in."""
    global _tracking
    registered: list[Tracked] = []
    original = BaseDatabaseWrapper.on_commit

    def on_commit(self, func, robust=False):
        tracked = Tracked(func)
        registered.append(tracked)
        return original(self, tracked, robust)

    monkeypatch.setattr(BaseDatabaseWrapper, "on_commit", on_commit)
    _tracking = registered
    return registered


def body_starts() -> None:
    global _body_starts_at
    _body_starts_at = len(_tracking) if _tracking is not None else None


def untrack() -> None:
    global _tracking, _body_starts_at
    _tracking, _body_starts_at = None, None


def pending() -> list[Tracked]:
    """Callbacks still waiting for a commit that, inside the test's transaction, never comes."""
    if not _tracking or _body_starts_at is None:
        return []
    waiting = {
        id(callback)
        for connection in connections.all(initialized_only=True)
        for _, callback, _ in connection.run_on_commit
    }
    return [
        callback
        for callback in _tracking[_body_starts_at:]
        if callback.queues_work and not callback.ran and id(callback) in waiting
    ]


def assert_settled() -> None:
    waiting = pending()
    if waiting:
        raise AssertionError(
            f"{len(waiting)} on-commit callback(s) have not run ({', '.join(map(repr, waiting))}): "
            "run the action inside mkp.capture(execute=True) or "
            "django_capture_on_commit_callbacks(execute=True) before asserting what it sent"
        )


def lose_queued() -> int:
    """Drop the work the test body queued and has not run, as a broker that was down would lose
    it: for tests of what recovers lost work (the sweeps). Returns how many were dropped."""
    dropped = {id(callback) for callback in pending()}
    for connection in connections.all(initialized_only=True):
        connection.run_on_commit = [
            entry for entry in connection.run_on_commit if id(entry[1]) not in dropped
        ]
    return len(dropped)
