"""Deciding several queued orders at once: a few inline, many as a background job that records each result.

Every order is decided through the same services as one by one (`order_approve`, `order_deny`),
so the one permission rule and the once-only decision hold in bulk too; what became of each
order is reported in words the approver can act on.
"""

import time
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from authorization.models import DenyReason
from kit.enqueue import enqueue_on_commit
from kit.errors import DomainError

from .approvals import DecisionForbidden, order_approve, order_deny
from .models import BulkDecision, Order
from .selectors import orders_to_decide

# Most orders decided in one request; more run as a background job (settings.BULK_DECISION_INLINE_MAX).
INLINE_MAX = 50
# Most orders one selection may decide.
SELECTION_MAX = 10_000
# How often a job writes its progress: after this many orders, or this many seconds.
FLUSH_EVERY_ORDERS = 100
FLUSH_EVERY_SECONDS = 1.0
# The refusal of an order the user's accounts do not hold; the others are the services' codes.
NOT_FOUND = "not_found"


def inline_max() -> int:
    return getattr(settings, "BULK_DECISION_INLINE_MAX", INLINE_MAX)


@dataclass(frozen=True)
class BulkDecisionResult:
    """What became of one order of a selection."""

    order: int
    main_order_id: str
    ok: bool
    message: str
    # Why it was not decided (a refusal's code, or NOT_FOUND), and its paid value for the summary.
    refusal: str = ""
    paid_value_cents: int = 0
    currency: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def order_approve_or_deny(
    *, order: Order, user, action: str, reason_code: str = "", note: str = ""
) -> BulkDecisionResult:
    """Approve or deny one order through the services; say what happened, never raise a refusal."""
    label = order.main_order_id
    value = {"paid_value_cents": order.paid_value_cents, "currency": order.account.currency}
    try:
        if action == BulkDecision.Action.APPROVE:
            order_approve(order=order, approver=user, note=note)
            said = gettext("Order %(order)s approved.") % {"order": label}
        else:
            order_deny(order=order, approver=user, reason_code=reason_code, note=note)
            said = gettext("Order %(order)s denied (%(reason)s).") % {
                "order": label,
                "reason": DenyReason(reason_code).label,
            }
        return BulkDecisionResult(order.pk, label, True, said, **value)
    except DecisionForbidden as refused:
        said = gettext(
            "Order %(order)s: not yours to decide; only the approvers of the band that held it may (%(approvers)s)."
        ) % {"order": label, "approvers": refused.approvers}
        return BulkDecisionResult(order.pk, label, False, said, refused.code, **value)
    except DomainError as refused:
        return BulkDecisionResult(order.pk, label, False, refused.message, refused.code, **value)


def orders_approve_or_deny(
    *, user, order_ids, action: str, reason_code: str = "", note: str = ""
) -> list[BulkDecisionResult]:
    """Decide each of the orders in turn; an id outside the user's accounts is reported, not decided."""
    orders = orders_to_decide(user=user, order_ids=order_ids)
    said = []
    for order_id in order_ids:
        order = orders.get(order_id)
        if order is None:
            said.append(
                BulkDecisionResult(
                    order_id,
                    "",
                    False,
                    gettext("Order #%(id)s is not in your accounts.") % {"id": order_id},
                    NOT_FOUND,
                )
            )
            continue
        said.append(
            order_approve_or_deny(order=order, user=user, action=action, reason_code=reason_code, note=note)
        )
    return said


def bulk_decision_start(
    *, user, order_ids: list[int], action: str, reason_code: str = "", note: str = ""
) -> BulkDecision:
    """Record a large selection as a job and queue it for a worker once the transaction commits."""
    from .tasks import decide_in_bulk

    account_ids = set(Order.objects.filter(pk__in=order_ids).values_list("account_id", flat=True).distinct())
    with transaction.atomic():
        job = BulkDecision.objects.create(
            account_id=account_ids.pop() if len(account_ids) == 1 else None,
            user=user,
            action=action,
            reason_code=reason_code,
            note=note,
            language=translation.get_language() or "",
            order_ids=list(order_ids),
            total=len(order_ids),
        )
        enqueue_on_commit(decide_in_bulk, job.pk)
    return job


def bulk_decision_run(*, job_id: int) -> BulkDecision | None:
    """Decide the job's orders not decided yet, writing progress as it goes; a rerun resumes where it stopped."""
    claimed = BulkDecision.objects.filter(
        pk=job_id, state__in=[BulkDecision.State.PENDING, BulkDecision.State.RUNNING]
    ).update(state=BulkDecision.State.RUNNING)
    if not claimed:
        return None
    job = BulkDecision.objects.select_related("user").get(pk=job_id)
    results = list(job.results)
    seen = {result["order"] for result in results}
    remaining = [order_id for order_id in job.order_ids if order_id not in seen]
    written, last_write = len(results), time.monotonic()

    def write(**extra):
        BulkDecision.objects.filter(pk=job.pk).update(results=results, done=len(results), **extra)

    # Each result's message is read on the progress page: say it in the language the queue was read in.
    language = job.language or settings.LANGUAGE_CODE
    for start in range(0, len(remaining), 500):
        chunk = remaining[start : start + 500]
        with translation.override(language):
            decided = orders_approve_or_deny(
                user=job.user, order_ids=chunk, action=job.action, reason_code=job.reason_code, note=job.note
            )
        for result in decided:
            results.append(result.as_dict())
            if (
                len(results) - written >= FLUSH_EVERY_ORDERS
                or time.monotonic() - last_write >= FLUSH_EVERY_SECONDS
            ):
                write()
                written, last_write = len(results), time.monotonic()
    write(state=BulkDecision.State.DONE, finished_at=timezone.now())
    job.refresh_from_db()
    return job
