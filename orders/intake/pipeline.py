"""Processing submissions: claim → plan → decide → write → publish, a batch at a time.

The order API does not queue a task per submission: it asks for a batch (`intake_kick`), at
most one waiting on the broker at a time, or relies on the one waiting when it looked before
writing and committed within the grace (`intake_kick_ahead`, docs/reliability.md). The batch
task (`orders.tasks.process_intakes`) claims the oldest received submissions, up to
`INTAKE_BATCH_SIZE`, by locking them in the
transaction that processes them (rows another worker holds are passed over, not waited for),
asks for the next batch at once when it took a full one (so every worker has one), and
processes them together in that one transaction: the catalog read once an account, the rest
of what planning reads as kept since it last changed (`account_settings`), each submission
planned and decided — integrated, held for approval, held, denied or refused, from the
seller's stock, a franchise's or a pickup point's, first time or reprocessed — and each table
written in one statement for the whole batch (`write`), with the notifications and decision
records (`publish`).

Every other way in is a batch of one through the same stages: a sweep's or a retry's task
(`intake_process`), the previous protocol's connector waiting for its answer
(`intake_process_now`). A submission that fails isolates itself: one whose planning or
deciding raises is left failed with its error while the rest of its batch is written; when
the writing itself fails, the batch is taken back and each of its submissions processed as a
batch of one, so only the one at fault fails. A failed submission is tried again later, alone.
"""

import logging
import time
from collections import defaultdict
from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.db import connection, transaction

from accounts.settings_version import settings_version_later
from authorization.decision import Outcome
from catalog.availability import skus_and_stock_later
from connectors.contract import PLACE_ORDER
from kit.enqueue import OnceAhead, enqueue_once_on_commit
from kit.logs import log_context_bound
from kit.together import fetch_later, statements_together

from ..models import IntakeRecord, Order
from ..statuses import IntakeStatus
from .account_settings import AccountSettings, with_settings
from .approve import intake_approve
from .claim import intake_claim, intake_fail, intakes_claim
from .decide import divergence_rejection, intake_decide
from .plan import Rejection, already_exists, plan_order
from .write import Processed, ReadChanged, StockChooser, processed_write

logger = logging.getLogger(__name__)

KICK = "orders:process-intakes"
# How long after looking at the batch's mark a request may commit and still rely on the batch
# waiting (`intake_kick_ahead`); the batch claims again this long after it starts. Nearly every
# request commits within it under load (docs/benchmarks.md), and a batch waits it out briefly.
KICK_GRACE_SECONDS = 0.01
READ_TRIES = 3


def intake_kick_ahead() -> OnceAhead | None:
    """A look at the waiting batch's mark, for a request to send before it writes: when a batch
    is waiting and the request commits within KICK_GRACE_SECONDS, it asks nothing after."""
    return OnceAhead.possible(KICK, grace=KICK_GRACE_SECONDS)


def intake_kick(ahead: OnceAhead | None = None) -> None:
    """Ask for a batch once the current transaction commits, unless one is already waiting
    (and, with `ahead`, unless the request relied on it in time)."""
    from ..tasks import process_intakes

    enqueue_once_on_commit(process_intakes, key=KICK, ahead=ahead)


def intakes_process(
    *,
    limit: int | None = None,
    on_full: Callable[[], None] | None = None,
    on_failure: Callable[[IntakeRecord], None] | None = None,
) -> int:
    """Claim and process a batch of received submissions in one transaction; return how many
    were claimed.

    `on_full` is called when the batch was full, before it is processed: there may be more, and
    another worker may take them now, passing over this batch's. `on_failure(intake)` is called
    for a submission whose processing failed (it is kept failed, with its error, and the sweep
    would try it again later).
    """
    limit = limit or settings.INTAKE_BATCH_SIZE
    claimed, failures, alone = [], [], []
    try:
        # Together (`kit.together`): the transaction's BEGIN goes with the claim, and the writes
        # whose answers nobody reads with the next statement that waits.
        with transaction.atomic(), statements_together():
            claimed = intakes_claim(limit=limit)
            if len(claimed) == limit and on_full is not None:
                on_full()
            _, failures = _batch_process([intake for intake in claimed if intake.flow == PLACE_ORDER])
            for intake, error in failures:
                intake_fail(intake, error)
    except Exception as error:
        placing = [intake for intake in claimed if intake.flow == PLACE_ORDER]
        if isinstance(error, ReadChanged):
            logger.info(
                "%s under a batch of %s submissions; each is processed alone.",
                type(error).__name__,
                len(placing),
            )
        else:
            logger.exception(
                "A batch of %s submissions failed as a whole; each is processed alone.", len(placing)
            )
        failures, alone = [], placing
    for intake, error in failures:
        with _about(intake):
            logger.error("Submission %s failed: %s", intake.pk, error, exc_info=error)
        if on_failure is not None:
            on_failure(intake)
    # Approvals after the orders they may approve, each in a transaction of its own: an
    # approval locks an existing order, which comes before the stock in `orders.locking`.
    for intake in [*alone, *(intake for intake in claimed if intake.flow != PLACE_ORDER)]:
        try:
            intake_process(intake_id=intake.pk)
        except Exception:
            logger.exception("Submission %s failed.", intake.pk)
            if on_failure is not None:
                on_failure(intake)
    return len(claimed)


def intakes_process_until(moment: float, **process) -> int:
    """Claim and process batches (`intakes_process(**process)`) until one has been claimed after
    `moment` (`time.monotonic()`); return how many were claimed.

    For the batch a request relied on (`intake_kick_ahead`): that request committed before
    `moment`. The claims before it, at growing intervals, take such a submission sooner.
    """
    claimed, pause = 0, 0.002
    while True:
        wait = moment - time.monotonic()
        if wait > 0:
            time.sleep(min(pause, wait))
            pause *= 2
        last = time.monotonic() >= moment
        claimed += intakes_process(**process)
        if last:
            return claimed


def intake_process(*, intake_id: int) -> str | None:
    """Process one submission, a batch of one, in a transaction of its own; return its final
    status, or None when there was nothing to do (done, or another worker holds it).

    What another worker changed between the read and the write is read again: the stock row
    chosen last time may have none left, another may; an order it integrated is a duplicate.
    """
    for attempt in range(READ_TRIES):
        intake = None
        try:
            with transaction.atomic(), statements_together():
                intake = intake_claim(intake_id=intake_id)
                if intake is None:
                    return None
                with _about(intake):
                    _alone(intake)
            return intake.status
        except Exception as error:
            if isinstance(error, ReadChanged) and attempt < READ_TRIES - 1:
                continue
            if intake is not None:
                intake_fail(intake, error)
            raise
    raise AssertionError("unreachable")


def _about(intake: IntakeRecord):
    """Log lines within are about this submission."""
    return log_context_bound(
        account_id=intake.account_id,
        connector_id=intake.connector_id,
        marketplace_order_id=intake.marketplace_order_id,
    )


def _alone(intake: IntakeRecord, *, answer_now: bool = False) -> None:
    """Process the claimed submission as a batch of one, in the caller's transaction."""
    _, failures = _batch_process([intake], answer_now=answer_now)
    for _, error in failures:
        raise error


def intake_process_now(*, intake_id: int) -> IntakeRecord:
    """Decide a place-order submission in the caller's transaction, for a connector that waits.

    This is the previous fulfillment protocol without `isCreatedAsync`: any divergence that the
    rule and the allowances would not count as none is refused (EOI003 with FMT007) instead of
    consulting the bands, and nothing is notified, since the answer to the request is the result.
    An unexpected error propagates, so the caller's transaction takes everything back.
    """
    intake = intake_claim(intake_id=intake_id)
    if intake is None or intake.flow != PLACE_ORDER:
        raise ValueError(f"Submission {intake_id} is not a place order waiting to be processed.")
    for attempt in range(READ_TRIES):
        try:
            with transaction.atomic():
                _alone(intake, answer_now=True)
            return intake
        except ReadChanged:
            if attempt == READ_TRIES - 1:
                raise
    raise AssertionError("unreachable")


def _batch_process(
    intakes: list[IntakeRecord], *, answer_now: bool = False
) -> tuple[list[IntakeRecord], list[tuple[IntakeRecord, Exception]]]:
    """Plan, decide and write the claimed submissions, in the caller's (the claim's)
    transaction; return those processed, and those whose planning or deciding failed with why.

    `answer_now` is `intake_process_now`'s: divergence refused at once, nothing notified.
    """
    placing = [intake for intake in intakes if intake.flow == PLACE_ORDER]
    groups = _by_account(placing)
    # The batch's reads sent together (`kit.together`): the first of them read waits for them all.
    versions = {
        account_id: settings_version_later(account_id) for account_id in {i.account_id for i in intakes}
    }
    existing_later = _existing_later(placing)
    catalogs = {
        group[0].account_id: skus_and_stock_later(
            group[0].account_id, {item["id"] for intake in group for item in intake.body["items"]}
        )
        for group in groups
    }
    settings = with_settings(intakes, versions)
    batch, failures, stock = [], [], StockChooser()
    existing = existing_later()
    for group in groups:
        account_id = group[0].account_id
        reads = _AccountReads(settings[account_id], catalogs[account_id]())
        for intake in group:
            try:
                processed = _decided(intake, reads, stock, existing, answer_now=answer_now)
            except Exception as error:
                failures.append((intake, error))
                continue
            batch.append(processed)
            if (
                processed.status == IntakeStatus.INTEGRATED
            ):  # a second submission of it in the batch is a duplicate
                existing.add((intake.connector_id, intake.marketplace_order_id))
    if batch:
        processed_write(batch, taken=stock.taken)
    for intake in intakes:
        if intake.flow != PLACE_ORDER:
            intake_approve(intake)
    failed = {intake.pk for intake, _ in failures}
    return [intake for intake in intakes if intake.pk not in failed], failures


def _existing_later(placing: list[IntakeRecord]) -> Callable[[], set[tuple[int, str]]]:
    """(connector, marketplace order id) of the orders that are there already, of those placed:
    on PostgreSQL its read is sent now (`kit.together`), and calling the result reads it."""
    if not placing:
        return set
    connectors = sorted({intake.connector_id for intake in placing})
    order_ids = sorted({intake.marketplace_order_id for intake in placing})
    if connection.vendor == "postgresql":
        found = fetch_later(_existing_sql(), [connectors, order_ids])
        return lambda: set(found.rows)
    return lambda: set(
        Order.objects.filter(connector_id__in=connectors, marketplace_order_id__in=order_ids)
        .order_by()
        .values_list("connector_id", "marketplace_order_id")
    )


@cache
def _existing_sql() -> str:
    """`_existing`'s read on PostgreSQL, built once (`kit.selects`)."""
    quote, meta = connection.ops.quote_name, Order._meta
    connector, order_id = (
        quote(meta.get_field(name).column) for name in ("connector", "marketplace_order_id")
    )
    return (
        f"SELECT {connector}, {order_id} FROM {quote(meta.db_table)} "
        f"WHERE {connector} = ANY(%s) AND {order_id} = ANY(%s)"
    )


def _by_account(intakes: list[IntakeRecord]) -> list[list[IntakeRecord]]:
    groups = defaultdict(list)
    for intake in intakes:
        groups[intake.account_id].append(intake)
    return list(groups.values())


class _AccountReads:
    """What planning and deciding read of an account, once for all of its submissions in a batch:
    its SKUs and stock each time, the rest as kept (`account_settings`)."""

    def __init__(self, settings: AccountSettings, catalog: tuple):
        self.settings = settings
        self.catalog = catalog


def _decided(
    intake: IntakeRecord, reads: _AccountReads, stock: StockChooser, existing: set, *, answer_now: bool
):
    """Plan and decide one submission of the batch: what becomes of it."""
    notify = not answer_now
    if (intake.connector_id, intake.marketplace_order_id) in existing:
        return Processed.refused(intake, already_exists(intake), notify=notify)
    try:
        plan = plan_order(intake=intake, read=reads.catalog, settings=reads.settings)
    except Rejection as rejection:
        return Processed.refused(intake, rejection, notify=notify)
    decided = intake_decide(intake, plan, reads.settings.bands)
    decision, outcome = decided.decision, decided.outcome
    if answer_now and decision.decision.outcome is not Outcome.NO_DIVERGENCE:
        refusal = divergence_rejection(
            decided.values, decision, has_rule=decided.has_rule, refused_at_once=True
        )
        return Processed.refused(intake, refusal, notify=False)
    if outcome is Outcome.HELD:
        return Processed.held(intake, decided)
    if outcome is Outcome.DENY:
        refusal = divergence_rejection(decided.values, decision, has_rule=decided.has_rule)
        return Processed.refused(intake, refusal, notify=notify, decided=decided)
    try:
        reserved = stock.choose(plan)
    except Rejection as rejection:
        return Processed.refused(intake, rejection, notify=notify)
    return Processed.placed(intake, decided, reserved, notify=notify)


__all__ = [
    "KICK",
    "intake_kick",
    "intake_kick_ahead",
    "intake_process",
    "intake_process_now",
    "intakes_process",
    "intakes_process_until",
]
