"""Replay past submissions under a draft rule: what would have happened, beside what did.

The input is what processing recorded of every decided submission (`insight.DecisionRecord`:
the divergence, the items' divergences, the allowance, "ignore divergence"), read in one
query; each is decided again by `decide_submission`, the function processing itself calls,
with the connectors' and the account's settings as they are now. So the replay says exactly
what saving the draft would do to the same orders arriving again. Submissions rejected before
the rule was consulted (unknown SKU, no stock, a duplicate) were never decided and are not
replayed.

The rule editor (authorization) offers it: insight stands above authorization, so it installs
this module in the editor's admin when it is ready (`InsightConfig.ready`).
"""

import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone

from authorization.decision import (
    CONNECTOR_FACTS,
    HUNDRED,
    Band,
    ConnectorFacts,
    DeadlineVerdict,
    Outcome,
    SubmissionFacts,
    decide_at_deadline,
    decide_submission,
)
from connectors.models import Connector
from kit.money import DEFAULT_CURRENCY

from .models import DecisionRecord

DEFAULT_DAYS = 30
LONGEST_DAYS = 366
MOST_SUBMISSIONS = 100_000
SHOWN_CHANGES = 200


# The decision inputs, one row a submission; the item divergences stay text until needed.
INPUTS = (
    "pk",
    "connector_id",
    "divergence_percent",
    "item_divergences_text",
    "allowance_percent",
    "ignore_divergence",
    "paid_value_cents",
    "outcome",
)


@dataclass
class Tally:
    orders: int = 0
    paid_value_cents: int = 0


@dataclass(frozen=True)
class Change:
    """A submission the draft would decide otherwise."""

    intake_id: int
    order_id: int | None
    marketplace_order_id: str
    affiliate_id: str
    decided_at: datetime
    divergence_percent: Decimal
    paid_value_cents: int
    actual: Outcome
    draft: Outcome
    main_order_id: str = ""


@dataclass
class Replay:
    since: datetime
    days: int
    limit: int
    replayed: int = 0
    truncated: bool = False  # the period held more submissions than `limit`
    actual: dict[Outcome, Tally] = field(default_factory=lambda: {outcome: Tally() for outcome in Outcome})
    draft: dict[Outcome, Tally] = field(default_factory=lambda: {outcome: Tally() for outcome in Outcome})
    moves: Counter = field(default_factory=Counter)  # (actual, draft) → submissions
    changed: int = 0
    changes: list[Change] = field(default_factory=list)  # the newest SHOWN_CHANGES of them
    seconds: float = 0.0
    currency: str = DEFAULT_CURRENCY  # the account's, for showing the values
    bands: tuple[Band, ...] = ()  # the draft's
    # What the deadlines of the draft's bands would do to the orders it holds, if nobody decided in time.
    at_deadline: dict[DeadlineVerdict, Tally] = field(
        default_factory=lambda: {verdict: Tally() for verdict in DeadlineVerdict}
    )


def replay_inputs(*, account, since: datetime, limit: int):
    """Return the decision inputs (`INPUTS`) of the account's submissions decided since `since`.

    One query, newest first, one row more than `limit` to tell whether there were more.
    """
    return (
        DecisionRecord.objects.filter(account=account, decided_at__gte=since)
        .order_by("-decided_at", "-pk")
        .annotate(item_divergences_text=Cast("item_divergences", TextField()))
        .values_list(*INPUTS)[: limit + 1]
    )


def replay_draft(
    *,
    account,
    bands: Sequence[Band],
    days: int = DEFAULT_DAYS,
    limit: int = MOST_SUBMISSIONS,
    now: datetime | None = None,
) -> Replay:
    """Decide the account's submissions of the last `days` days (the newest `limit`) under `bands`."""
    started = time.perf_counter()
    now = now or timezone.now()
    days = max(1, min(int(days), LONGEST_DAYS))
    answer = Replay(
        since=now - timedelta(days=days),
        days=days,
        limit=limit,
        currency=account.currency,
        bands=tuple(bands),
    )
    rows = list(replay_inputs(account=account, since=answer.since, limit=limit))
    answer.truncated = len(rows) > limit
    del rows[limit:]
    answer.replayed = len(rows)
    connectors = {
        pk: ConnectorFacts(*facts)
        for pk, *facts in Connector.objects.filter(account=account).values_list("pk", *CONNECTOR_FACTS)
    }
    decide_draft = _decider(account=account, bands=bands)
    outcomes = {outcome.value: outcome for outcome in Outcome}
    orders, values = Counter(), Counter()
    listed = []
    for pk, connector_id, divergence, items_text, allowance, ignore, paid, outcome in rows:
        actual = outcomes[outcome]
        draft, band = decide_draft(connectors[connector_id], divergence, items_text, allowance, ignore)
        if draft is Outcome.MANUAL and band is not None and band.has_deadline:
            tally = answer.at_deadline[decide_at_deadline(band=band, paid_value_cents=paid)]
            tally.orders += 1
            tally.paid_value_cents += paid
        orders[actual, "actual"] += 1
        values[actual, "actual"] += paid
        orders[draft, "draft"] += 1
        values[draft, "draft"] += paid
        if draft is not actual:
            answer.moves[actual, draft] += 1
            if len(listed) < SHOWN_CHANGES:
                listed.append((pk, actual, draft))
    for outcome in Outcome:
        for side, tallies in (("actual", answer.actual), ("draft", answer.draft)):
            tallies[outcome] = Tally(orders[outcome, side], values[outcome, side])
    answer.changed = sum(answer.moves.values())
    answer.changes = _changes(listed)
    answer.seconds = time.perf_counter() - started
    return answer


def _changes(listed) -> list[Change]:
    """Describe the listed changes (record id, actual, draft), reading them in one query."""
    shown = {
        row[0]: row[1:]
        for row in DecisionRecord.objects.filter(pk__in=[pk for pk, _, _ in listed]).values_list(
            "pk",
            "intake_id",
            "order_id",
            "marketplace_order_id",
            "connector__affiliate_id",
            "decided_at",
            "divergence_percent",
            "paid_value_cents",
            "order__main_order_id",
        )
    }
    return [
        Change(*shown[pk][:7], actual=actual, draft=draft, main_order_id=shown[pk][7] or "")
        for pk, actual, draft in listed
    ]


def _decider(*, account, bands):
    """Return decide_memoized(connector, divergence, item divergences as JSON, allowance %, ignore) →
    (Outcome, the band that decided or None), memoized.

    The decision is a pure function of these values, so submissions that share them share the
    answer; a month of orders holds far fewer distinct inputs than orders.
    """
    bands = tuple(bands)
    options = {
        "bands": bands,
        "has_rule": bool(bands),
        "no_rule_policy": account.no_rule_policy,
        "overpayment_is_divergence": account.overpayment_is_divergence,
    }
    known: dict[tuple, tuple[Outcome, Band | None]] = {}

    def decide_memoized(connector, divergence, item_divergences_text, allowance, ignore):
        key = (connector, divergence, item_divergences_text, allowance, ignore)
        decided = known.get(key)
        if decided is None:
            facts = SubmissionFacts(
                connector=connector,
                divergence_percent=divergence,
                item_divergences=tuple(Decimal(value) for value in json.loads(item_divergences_text or "[]")),
                # The record keeps the percentage the rate came to; a rate of p/100 gives p again.
                allowance_rate=None if allowance is None else allowance / HUNDRED,
                ignore_divergence=ignore,
            )
            submission = decide_submission(facts=facts, **options)
            decided = known[key] = (submission.outcome, submission.decision.decision.band)
        return decided

    return decide_memoized
