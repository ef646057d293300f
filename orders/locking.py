"""The one order in which writes lock rows, so that no two transactions wait for each other in a circle.

When two transactions each hold a row the other needs, PostgreSQL breaks the circle by failing
one of them (a deadlock, which the APIs answer with 503). A transaction that changes several of
the rows below locks them in this order, top to bottom, and never an earlier kind once it holds
a later one:

1. the account, while its rule changes (`authorization.services.rule_replace`) or an absence of
   one of its members is set (`accounts.absences`);
2. submissions (intake records) being processed, claimed by the transaction that processes
   them and passed over when another holds them (`SKIP LOCKED`: a claim never waits);
3. an existing order, then its approval task (`order_lock`), one order a transaction: a bulk
   decision and the reservation expiry take each order in a transaction of its own; then the
   decision link being used for it (`orders.decision_links`); a sent digest records itself on
   the approval tasks it named, by primary key, without their orders and nothing after them
   (`orders.approval_mail`); a step of the escalation chain claims the due approval tasks alone,
   passing over any another transaction holds (`orders.escalation`, `SKIP LOCKED`: it never
   waits), and takes nothing after them. The order's
   items, its place in the queue and the rows added for it (events, feed items, hook deliveries,
   notifications) are written only under its lock, or by the transaction creating the order;
4. the decision records' rollups, in the order of their keys (`insight.rollups`);
5. catalog SKUs, then stock rows, each by primary key ascending (`stocks_lock`).

Every service that changes an existing order — a decision (approve, deny; the admin, the seller
API, the bulk decisions), a cancel, an invoice, a reservation's expiry, renewal or sale, the
marketplace's approval, any status transition — starts with `order_lock`, and decides on what it
reads then, not on what a request read before the lock. Processing creates its orders and takes
the stock last, so shared rows stay locked only until its commit.

Locks are FOR NO KEY UPDATE, the lock an UPDATE itself takes: rows being inserted that refer to
a locked row (an event of the order, an item of a stock row) are not held up by it.
"""

from authorization.models import ApprovalTask
from catalog.services import stocks_lock

from .models import Order

__all__ = ["order_lock", "stocks_lock"]


def order_lock(order: Order) -> Order:
    """Lock the order, then its approval task, until the transaction ends; read the order again.

    Call it in a transaction, before reading anything of the order a change depends on.
    """
    order.refresh_from_db(from_queryset=Order.objects.select_for_update(no_key=True))
    list(ApprovalTask.objects.select_for_update(no_key=True).filter(order_id=order.pk).values_list("pk"))
    return order
