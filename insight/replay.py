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
from functools import partial

from django.db.models import TextField
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from authorization.decision import (
    CONNECTOR_FACTS,
    HUNDRED,
    Band,
    BandAction,
    ConnectorFacts,
    DeadlineVerdict,
    Outcome,
    SubmissionFacts,
    decide_at_deadline,
    decide_submission,
)
from authorization.decision_words import OUTCOME_LABELS, deadline_words
from connectors.models import Connector
from kit.money import DEFAULT_CURRENCY, money
from kit.numbers import count, percent_range

from . import charts
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


def describe_moves(answer: Replay) -> list[str]:
    """Say each change of outcome in words, most frequent first: "3 denied instead of authorized"."""
    lines = []
    for (actual, draft), number in sorted(answer.moves.items(), key=lambda item: (-item[1], item[0])):
        lines.append(
            _("%(count)s %(draft)s instead of %(actual)s")
            % {
                "count": count(number),
                "draft": str(OUTCOME_LABELS[draft]).lower(),
                "actual": str(OUTCOME_LABELS[actual]).lower(),
            }
        )
    return lines


def describe_deadlines(answer: Replay) -> list[str]:
    """Say each manual band's deadline in the draft, then what the deadlines would do to the orders
    it holds if nobody decided in time; nothing when no band has a deadline."""
    lines = [
        _("The band %(band)s: at the deadline, %(deadline)s.")
        % {
            "band": percent_range(band.lower_percent, band.upper_percent),
            "deadline": deadline_words(band, answer.currency),
        }
        for band in answer.bands
        if band.action == BandAction.MANUAL and band.has_deadline
    ]
    if not lines:
        return []
    words = {
        verdict: {
            "count": count(answer.at_deadline[verdict].orders),
            "value": money(answer.at_deadline[verdict].paid_value_cents, answer.currency),
        }
        for verdict in DeadlineVerdict
    }
    lines.append(
        _(
            "Of the orders this rule would hold, if nobody decided them by their deadline: %(denied)s "
            "denied as expired, %(approved)s approved, %(kept)s kept waiting above the cap."
        )
        % {
            "denied": _("%(count)s (%(value)s)") % words[DeadlineVerdict.DENY],
            "approved": _("%(count)s (%(value)s)") % words[DeadlineVerdict.APPROVE],
            "kept": _("%(count)s (%(value)s)") % words[DeadlineVerdict.ABOVE_CAP],
        }
    )
    return lines


def outcome_rows(answer: Replay) -> list[dict]:
    """Return one row per outcome: actual and draft orders and value, and the difference."""
    rows = []
    for outcome in Outcome:
        actual, draft = answer.actual[outcome], answer.draft[outcome]
        if not actual.orders and not draft.orders:
            continue
        rows.append(
            {
                "outcome": outcome,
                "label": OUTCOME_LABELS[outcome],
                "actual": actual,
                "draft": draft,
                "orders_change": draft.orders - actual.orders,
                "value_change": draft.paid_value_cents - actual.paid_value_cents,
            }
        )
    return rows


# What the editor shows -----------------------------------------------------------------------


def _change_url(change: Change) -> str:
    if change.order_id:
        return reverse("admin:orders_order_change", args=[change.order_id])
    return reverse("admin:orders_intakerecord_change", args=[change.intake_id])


def shown(answer: Replay) -> dict:
    """Return the replay's figures, picture and words for the template."""
    rows = outcome_rows(answer)
    moves = describe_moves(answer)
    currency = answer.currency

    period = ngettext("the last %(count)s day", "the last %(count)s days", answer.days) % {
        "count": count(answer.days)
    }
    if not answer.replayed:
        summary = _("No order was decided in %(period)s: there is nothing to replay.") % {"period": period}
    else:
        replayed = ngettext("%(count)s order", "%(count)s orders", answer.replayed) % {
            "count": count(answer.replayed)
        }
        if answer.truncated:
            summary = _("Replayed %(orders)s decided in %(period)s (the newest %(limit)s).") % {
                "orders": replayed,
                "period": period,
                "limit": count(answer.limit),
            }
        else:
            summary = _("Replayed %(orders)s decided in %(period)s.") % {"orders": replayed, "period": period}
        if answer.changed:
            summary += " " + ngettext(
                "Under this rule %(count)s would change outcome: %(moves)s.",
                "Under this rule %(count)s would change outcome: %(moves)s.",
                answer.changed,
            ) % {
                "count": count(answer.changed),
                "moves": "; ".join(moves),
            }
        else:
            summary += " " + _("Under this rule every one of them would have the same outcome.")
    picture_rows, series = [], []
    for row in rows:
        for side, shade, words in (("actual", 0.45, _("happened")), ("draft", 1.0, _("this rule"))):
            tally = row[side]
            key = f"{row['outcome']}-{side}"
            label = f"{_SHORT_LABELS[row['outcome']]}: {words}"
            orders_and_value = f"{count(tally.orders)} · {money(tally.paid_value_cents, currency)}"
            picture_rows.append((label, {key: tally.orders}, orders_and_value))
            series.append(charts.Series(key, label, _TONES[row["outcome"]], shade))
    picture = charts.horizontal_bars(
        slug="replay",
        title=_("Orders per outcome: what happened, and under this rule"),
        summary=summary,
        rows=picture_rows,
        series=series,
        table=charts.Table([], []),
        x_label=_("orders"),
    )
    picture.legend = []
    changes = [
        {
            "change": change,
            "url": _change_url(change),
            "name": change.main_order_id or f"{change.affiliate_id}-{change.marketplace_order_id}",
            "actual": OUTCOME_LABELS[change.actual],
            "draft": OUTCOME_LABELS[change.draft],
            "paid": money(change.paid_value_cents, currency),
        }
        for change in answer.changes
    ]
    return {
        "replay": answer,
        "replay_rows": [
            {
                **row,
                "actual_value": money(row["actual"].paid_value_cents, currency),
                "draft_value": money(row["draft"].paid_value_cents, currency),
                "orders_change_text": _signed(row["orders_change"], count),
                "value_change_text": _signed(row["value_change"], partial(money, currency=currency)),
            }
            for row in rows
        ],
        "replay_summary": summary,
        "replay_moves": moves,
        "replay_deadlines": describe_deadlines(answer),
        "replay_picture": picture,
        "replay_changes": changes,
        "replay_more_changes": answer.changed - len(changes),
        "replay_limit": count(answer.limit),
    }


_TONES = {
    Outcome.NO_DIVERGENCE: "clear",
    Outcome.AUTHORIZE: "authorize",
    Outcome.MANUAL: "manual",
    Outcome.DENY: "deny",
    Outcome.HELD: "held",
}


_SHORT_LABELS = {
    Outcome.NO_DIVERGENCE: gettext_lazy("No divergence"),
    Outcome.AUTHORIZE: gettext_lazy("Authorized"),
    Outcome.MANUAL: gettext_lazy("Held for approval"),
    Outcome.DENY: gettext_lazy("Denied"),
    Outcome.HELD: gettext_lazy("Held, not integrated"),
}


def _signed(number: int, text) -> str:
    """A difference with its sign: +3, −25.71, and no sign for none."""
    if number == 0:
        return text(0)
    return f"+{text(number)}" if number > 0 else f"−{text(-number)}"
