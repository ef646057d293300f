"""Submissions received: stored and queued for the pipeline (`intake_receive`), or sent through it again (`intake_reprocess`)."""

from contextlib import nullcontext

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from kit.enqueue import OnceAhead, enqueue_on_commit
from kit.inserts import insert
from kit.logs import log_context_set
from kit.redis import redis_together

from ..events import Actor
from ..models import IntakeRecord
from ..signals import submission_received
from ..statuses import IntakeStatus
from .pipeline import intake_kick


@transaction.atomic
def intake_reprocess(*, intake: IntakeRecord, actor: Actor, ignore_divergence: bool = False) -> bool:
    """Send a held, rejected or failed submission through processing again; False if it moved on."""
    changed = IntakeRecord.objects.filter(
        pk=intake.pk, status__in=[IntakeStatus.HELD, IntakeStatus.REJECTED, IntakeStatus.FAILED]
    ).update(
        status=IntakeStatus.RECEIVED,
        ignore_divergence=ignore_divergence,
        reprocessed_by=actor.user,
        reprocessed_at=timezone.now(),
        lease_until=None,
        held_until_rule=False,
    )
    if changed:
        from ..tasks import process_intake

        enqueue_on_commit(process_intake, intake.pk)
    return bool(changed)


def intake_receive(
    *, connector, flow: str, body: dict, body_digest: str, kick: OnceAhead | None = None
) -> tuple[IntakeRecord, bool]:
    """Store a submission of `connector`'s account and queue its processing after commit;
    return (record, created). The account is the connector's, as the database checks.

    An exact replay of a placed order finds the record already there and starts nothing,
    also when two identical requests race each other (the unique constraint decides). `kick` is
    the request's look at the waiting batch (`intake_kick_ahead`), sent before it wrote.
    """
    intake = IntakeRecord(
        account=connector.account,
        connector=connector,
        flow=flow,
        marketplace_order_id=str(body.get("marketplaceOrderId", "")),
        body=body,
        body_digest=body_digest,
    )
    log_context_set(marketplace_order_id=intake.marketplace_order_id)
    try:
        # In a caller's transaction, a savepoint keeps it usable after a replay's IntegrityError;
        # otherwise the INSERT commits by itself, a round trip less than BEGIN … COMMIT, and what
        # the commit asks of Redis (the batch's mark, unless `kick` relied on one) goes together.
        with redis_together(), transaction.atomic() if connection.in_atomic_block else nullcontext():
            if connection.vendor == "postgresql":
                insert(intake)  # the statement built once: the order API's hottest write
            else:
                intake.save(force_insert=True)
            intake_kick(kick)  # after the commit
            submission_received.send(sender=IntakeRecord, flow=flow)
        return intake, True
    except IntegrityError:
        return IntakeRecord.objects.get(connector=connector, flow=flow, body_digest=body_digest), False
