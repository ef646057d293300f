"""Deadlines: a held order whose band's whole chain of approvers has had its time is decided by the band.

A manual band may say what happens once `deadlineMinutes` have passed since it held an order
(`authorization.decision.decide_at_deadline`): deny it as expired, approve it when it paid at most
the band's cap, or keep waiting. The approval task records when (`ApprovalTask.deadline_at`); the
beat's sweep decides the tasks due through the same lock, claim and transition as a person's
decision (`orders.approvals`), as the actor "deadline". An order the deadline may not decide (paid
above the cap, its stock gone) keeps waiting for people: that is recorded once and the deadline
cleared, so the sweep does not come back to it.
"""

import logging

from django.db import transaction
from django.utils import timezone

from authorization.decision import Band, DeadlineVerdict, decide_at_deadline
from authorization.models import ApprovalTask, DenyReason

from .approvals import DEADLINE, DecisionRefused, approval_record, denial_record, undecided_task
from .events import Actor, order_event_add
from .locking import order_lock
from .models import Order, OrderEvent

logger = logging.getLogger(__name__)

DEADLINE_ACTOR = Actor(label=DEADLINE)


def deadlines_decide_due(*, now=None, limit: int = 500) -> int:
    """Let every passed deadline have its say, oldest first; return how many orders it decided."""
    now = now or timezone.now()
    due = (
        ApprovalTask.objects.filter(decision="", deadline_at__lte=now)
        .order_by("deadline_at")
        .values_list("order_id", flat=True)[:limit]
    )
    decided = 0
    for order_id in due:
        try:
            decided += deadline_decide(order_id=order_id, now=now) in (
                DeadlineVerdict.APPROVE,
                DeadlineVerdict.DENY,
            )
        except Exception:
            logger.exception(
                "The deadline of order %s could not decide it; the next sweep tries again.", order_id
            )
    return decided


@transaction.atomic
def deadline_decide(*, order_id: int, now=None) -> DeadlineVerdict | None:
    """Decide one held order whose deadline has passed, as its band says; return the verdict, or
    None when there was nothing to decide (decided meanwhile, no longer waiting, not yet due)."""
    now = now or timezone.now()
    order = Order.objects.select_related("account", "connector").filter(pk=order_id).first()
    if order is None:
        return None
    order_lock(order)
    try:
        task = undecided_task(order)
    except DecisionRefused:
        # A person decided first (one decision), or the order no longer waits (canceled meanwhile):
        # the deadline has nothing left to decide, and the sweep need not come back.
        ApprovalTask.objects.filter(order=order, decision="").update(deadline_at=None)
        return None
    if task.deadline_at is None or task.deadline_at > now:
        return None
    band = Band.from_dict(order.band)
    verdict = decide_at_deadline(band=band, paid_value_cents=order.paid_value_cents)
    if verdict is DeadlineVerdict.WAIT:  # the band keeps waiting: nothing to say
        ApprovalTask.objects.filter(pk=task.pk).update(deadline_at=None)
        return verdict
    data = {"deadline": {"minutes": band.deadline_minutes, "capCents": band.approve_up_to_cents}}
    if verdict is DeadlineVerdict.DENY:
        denial_record(
            order=order,
            task=task,
            actor=DEADLINE_ACTOR,
            reason_code=DenyReason.EXPIRED,
            note=f"No decision within {band.deadline_minutes} min of the hold.",
            data=data,
        )
        return verdict
    kept_because = "above-cap"
    if verdict is DeadlineVerdict.APPROVE:
        try:
            with transaction.atomic():
                approval_record(
                    order=order,
                    task=task,
                    actor=DEADLINE_ACTOR,
                    note=f"Paid {order.paid_value_cents} is at most the cap of {band.approve_up_to_cents}.",
                    data=data,
                )
            return verdict
        except DecisionRefused as refused:
            logger.info("The deadline could not approve order %s: %s", order.main_order_id, refused.message)
            kept_because = "not-approvable"
    _keep_waiting(order=order, task=task, because=kept_because, data=data, message=_kept_note(kept_because))
    return verdict


def _kept_note(because: str) -> str:
    if because == "above-cap":
        return "The deadline passed; paid is above the cap, so the order keeps waiting for the approvers."
    return "The deadline passed; the order could not be approved, so it keeps waiting for the approvers."


def _keep_waiting(*, order, task: ApprovalTask, because: str, data: dict, message: str) -> None:
    """Record once that the deadline passed without deciding, and clear it: people decide from here."""
    ApprovalTask.objects.filter(pk=task.pk, deadline_at=task.deadline_at).update(deadline_at=None)
    order_event_add(
        order=order,
        kind=OrderEvent.Kind.NOTE,
        actor=DEADLINE_ACTOR,
        note=message,
        data={**data, "deadline": {**data["deadline"], "keptWaiting": because}},
    )
