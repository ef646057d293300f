"""Celery's queues, the queue of each task, and what beat runs how often (`config/settings.py` sets them).

Three queues, which every worker consumes (unless started with -Q), taking from them in turn:
deliveries to connectors and the periodic upkeep never wait behind a backlog of orders.
"""

from kombu import Queue

DEFAULT_QUEUE = "celery"
# Each bound by its own name (declared bare, all three would be bound by the default queue's).
QUEUES = tuple(Queue(name, routing_key=name) for name in ("celery", "deliveries", "upkeep"))
ROUTES = {
    "connectors.tasks.deliver_notification": {"queue": "deliveries"},
    "connectors.tasks.deliver_notifications": {"queue": "deliveries"},
    "connectors.tasks.deliver_hook": {"queue": "deliveries"},
    **{
        name: {"queue": "upkeep"}
        for name in (
            "orders.tasks.sweep_intake",
            "orders.tasks.expire_reservations",
            "orders.tasks.sweep_bulk_decisions",
            "connectors.tasks.sweep_notifications",
            "connectors.tasks.sweep_hook_deliveries",
            "connectors.tasks.purge_feed_items",
            "connectors.tasks.flag_failing_connectors",
            "orders.tasks.escalate_approvals",
            "orders.tasks.send_approval_digests",
            "orders.tasks.decide_at_deadlines",
            "accounts.tasks.sweep_member_notices",
            "exports.tasks.sweep_exports",
            "exports.tasks.expire_exports",
        )
    },
}
# The sweeps that recover lost work, and the upkeep (docs/reliability.md#sweeps); seconds between runs.
BEAT_SCHEDULE = {
    "sweep-intake": {"task": "orders.tasks.sweep_intake", "schedule": 30.0},
    "sweep-notifications": {"task": "connectors.tasks.sweep_notifications", "schedule": 30.0},
    "sweep-hook-deliveries": {"task": "connectors.tasks.sweep_hook_deliveries", "schedule": 30.0},
    "purge-feed-items": {"task": "connectors.tasks.purge_feed_items", "schedule": 600.0},
    "flag-failing-connectors": {"task": "connectors.tasks.flag_failing_connectors", "schedule": 3600.0},
    "expire-reservations": {"task": "orders.tasks.expire_reservations", "schedule": 60.0},
    "escalate-approvals": {"task": "orders.tasks.escalate_approvals", "schedule": 60.0},
    "send-approval-digests": {"task": "orders.tasks.send_approval_digests", "schedule": 60.0},
    "decide-at-deadlines": {"task": "orders.tasks.decide_at_deadlines", "schedule": 60.0},
    "sweep-member-notices": {"task": "accounts.tasks.sweep_member_notices", "schedule": 60.0},
    "sweep-bulk-decisions": {"task": "orders.tasks.sweep_bulk_decisions", "schedule": 60.0},
    "sweep-exports": {"task": "exports.tasks.sweep_exports", "schedule": 60.0},
    "expire-exports": {"task": "exports.tasks.expire_exports", "schedule": 600.0},
}
