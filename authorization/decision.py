"""The decision: which band a divergence falls in, and what that band does.

PRODUCT.md §5. Pure functions of plain values returning frozen results, so processing, the
rule editor's preview and the replay of past orders all decide exactly alike.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy

ZERO = Decimal(0)
HUNDRED = Decimal(100)
DEFAULT_ESCALATE_AFTER_MINUTES = 240


class BandAction(TextChoices):
    """What a band of the rule does with an order whose divergence falls in it: the seller's setting."""

    AUTHORIZE = "authorize", gettext_lazy("Authorize")
    MANUAL = "manual", gettext_lazy("Hold for approval")
    DENY = "deny", gettext_lazy("Deny")


class OnDeadline(TextChoices):
    """What a manual band does with an order its whole chain of approvers has left undecided."""

    WAIT = "wait", gettext_lazy("Keep waiting")
    DENY = "deny", gettext_lazy("Deny (expired)")
    APPROVE_UP_TO = "approve-up-to", gettext_lazy("Approve if paid is at most the cap")


# The longest deadline a band may set: a year.
DEADLINE_MINUTES_MAX = 60 * 24 * 365


class Outcome(StrEnum):
    """What the decision came to.

    The bands alone come to one of the first four (a band's action, or no divergence); a whole
    submission, routed, may also be held. Orders record, the dashboard counts and the replay
    compares these same values.
    """

    NO_DIVERGENCE = "no-divergence"  # integrated: no divergence, or within an allowance
    AUTHORIZE = "authorize"  # integrated despite a divergence
    MANUAL = "manual"  # integrated, waiting for manual authorization
    DENY = "deny"  # not integrated: the connector is told (EOI003)
    HELD = "held"  # not integrated: kept in the intake list for the seller

    @property
    def authorized(self) -> bool:
        """Integrated with no one left to ask."""
        return self in (Outcome.NO_DIVERGENCE, Outcome.AUTHORIZE)


class Reason(StrEnum):
    NO_DIVERGENCE = "no-divergence"
    WITHIN_ALLOWANCE = "within-allowance"
    OVERPAYMENT = "overpayment"
    BAND = "band"
    GAP = "gap"
    ABOVE_LAST_BAND = "above-last-band"


# Strictest first: an order of several evaluated items takes the first of these it meets.
STRICTNESS = (Outcome.DENY, Outcome.MANUAL, Outcome.AUTHORIZE, Outcome.NO_DIVERGENCE)


@dataclass(frozen=True)
class Band:
    """`[lower_percent, upper_percent)`; a band ending at 100 includes 100."""

    lower_percent: Decimal
    upper_percent: Decimal
    action: BandAction
    approvers: tuple[str, ...] = ()
    escalate_after_minutes: int = DEFAULT_ESCALATE_AFTER_MINUTES
    on_deadline: OnDeadline = OnDeadline.WAIT
    deadline_minutes: int | None = None  # counted from when the order was held
    approve_up_to_cents: int | None = None  # "approve-up-to" only: the most paid it approves

    # The keys of the deadline in `as_dict()`: a band stored before deadlines has none of them.
    DEADLINE_KEYS = ("onDeadline", "deadlineMinutes", "approveUpToCents")

    @classmethod
    def from_dict(cls, row: dict) -> "Band":
        """The band `as_dict()` stored (on a revision, an order); one stored before deadlines keeps waiting."""
        return cls(
            lower_percent=Decimal(row["from"]),
            upper_percent=Decimal(row["to"]),
            action=BandAction(row["action"]),
            approvers=tuple(row.get("approvers") or ()),
            escalate_after_minutes=row.get("escalateAfterMinutes", DEFAULT_ESCALATE_AFTER_MINUTES),
            on_deadline=OnDeadline(row.get("onDeadline") or OnDeadline.WAIT),
            deadline_minutes=row.get("deadlineMinutes"),
            approve_up_to_cents=row.get("approveUpToCents"),
        )

    @property
    def has_deadline(self) -> bool:
        """A held order of this band is decided when its deadline passes (else it waits for people)."""
        return (
            self.action == BandAction.MANUAL
            and self.on_deadline != OnDeadline.WAIT
            and self.deadline_minutes is not None
        )

    @property
    def chain_minutes(self) -> int:
        """How long the whole chain takes: each approver has the escalation delay to decide."""
        return max(len(self.approvers), 1) * self.escalate_after_minutes

    def contains(self, percent: Decimal) -> bool:
        if self.upper_percent == HUNDRED and percent == HUNDRED:
            return True
        return self.lower_percent <= percent < self.upper_percent

    def as_dict(self) -> dict:
        return {
            "from": f"{self.lower_percent:.2f}",
            "to": f"{self.upper_percent:.2f}",
            "action": str(self.action),
            "approvers": list(self.approvers),
            "escalateAfterMinutes": self.escalate_after_minutes,
            "onDeadline": str(self.on_deadline),
            "deadlineMinutes": self.deadline_minutes,
            "approveUpToCents": self.approve_up_to_cents,
        }


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: Reason
    divergence_percent: Decimal
    band: Band | None = None
    band_index: int | None = None

    @property
    def integrates(self) -> bool:
        return self.outcome is not Outcome.DENY


def decide_divergence(
    *,
    bands: Sequence[Band],
    divergence_percent: Decimal,
    allowance_percent: Decimal | None = None,
    overpayment_is_divergence: bool = True,
) -> Decision:
    """Decide an order of signed `divergence_percent` under `bands`.

    No divergence (0, an overpayment the account does not count, or within an allowance
    the seller chose to honour) integrates without consulting the bands. Otherwise the band
    is chosen on |d| capped at 100; a gap, or |d| above the last band, denies.
    """
    d = Decimal(divergence_percent)
    if d == ZERO:
        return Decision(Outcome.NO_DIVERGENCE, Reason.NO_DIVERGENCE, d)
    if d < ZERO and not overpayment_is_divergence:
        return Decision(Outcome.NO_DIVERGENCE, Reason.OVERPAYMENT, d)
    magnitude = min(abs(d), HUNDRED)
    if allowance_percent is not None and magnitude <= allowance_percent:
        return Decision(Outcome.NO_DIVERGENCE, Reason.WITHIN_ALLOWANCE, d)
    for index, band in enumerate(bands):
        if band.contains(magnitude):
            return Decision(Outcome(band.action.value), Reason.BAND, d, band, index)
    above_all = all(magnitude >= band.upper_percent for band in bands)
    return Decision(Outcome.DENY, Reason.ABOVE_LAST_BAND if above_all else Reason.GAP, d)


def strictest(decisions: Sequence[Decision]) -> Decision:
    """Return the strictest of several decisions (per-item evaluation of manual discounts)."""
    if not decisions:
        raise ValueError("strictest() needs at least one decision")
    return min(decisions, key=lambda decision: STRICTNESS.index(decision.outcome))


class DeadlineVerdict(StrEnum):
    """What a band's deadline does with the order it held, once passed."""

    WAIT = "wait"  # the band keeps waiting for people
    DENY = "deny"
    APPROVE = "approve"
    ABOVE_CAP = "above-cap"  # would approve, but the order paid more than the cap: keeps waiting


def decide_at_deadline(*, band: Band, paid_value_cents: int) -> DeadlineVerdict:
    """Decide a held order whose band's deadline has passed; never approve above the band's cap."""
    if not band.has_deadline:
        return DeadlineVerdict.WAIT
    if band.on_deadline == OnDeadline.DENY:
        return DeadlineVerdict.DENY
    if band.approve_up_to_cents is not None and paid_value_cents <= band.approve_up_to_cents:
        return DeadlineVerdict.APPROVE
    return DeadlineVerdict.ABOVE_CAP


# Which way an order goes before the bands are consulted: PRODUCT.md §5.3 and §5.4.


class Route(StrEnum):
    RULE = "rule"
    PER_ITEM_RULE = "per-item-rule"
    PREVIOUS_FLOW = "previous-flow"
    HOLD_UNTIL_RULE = "hold-until-rule"
    DENY_WITHOUT_RULE = "deny-without-rule"
    AUTHORIZE_WITHOUT_RULE = "authorize-without-rule"


NATIVE_WITHOUT_RULE_MESSAGE = (
    "The order price in the marketplace is different from the price determined by the seller. "
    "To automatically integrate orders with price divergence, go to Order authorization and "
    "configure a Price Divergence rule."
)


@dataclass(frozen=True)
class ConnectorFacts:
    type: str  # a connectors.ConnectorType value
    name: str
    keep_previous_flow: bool = False
    legacy_rate_percent: Decimal | None = None
    honour_allowance: bool = False

    @classmethod
    def of(cls, connector) -> "ConnectorFacts":
        """Read the facts from a connector (any object with these attributes, e.g. the model)."""
        return cls(**{name: getattr(connector, name) for name in CONNECTOR_FACTS})


CONNECTOR_FACTS = ("type", "name", "keep_previous_flow", "legacy_rate_percent", "honour_allowance")


def route(*, connector: ConnectorFacts, has_rule: bool, no_rule_policy: str = "deny") -> Route:
    """Choose the flow for an order of this connector (PRODUCT.md §5.3–§5.4)."""
    if connector.type == "native":
        previous_flow = (
            connector.name.strip().lower() == "zoom"
            or connector.keep_previous_flow
            or (connector.legacy_rate_percent is not None and not has_rule)
        )
        if previous_flow:
            return Route.PREVIOUS_FLOW
        return Route.RULE if has_rule else Route.HOLD_UNTIL_RULE
    if connector.type == "own-store":
        return Route.PER_ITEM_RULE if has_rule else Route.AUTHORIZE_WITHOUT_RULE
    if has_rule:
        return Route.RULE
    if connector.type in ("external", "certified") and no_rule_policy == "authorize":
        return Route.AUTHORIZE_WITHOUT_RULE
    return Route.DENY_WITHOUT_RULE


@dataclass(frozen=True)
class OrderDecision:
    """The routed decision: `outcome` for the order, `decision` what the bands said on their own."""

    outcome: Outcome
    route: Route
    decision: Decision
    held_reason: str = ""


def decide_order(
    *,
    connector: ConnectorFacts,
    bands: Sequence[Band],
    has_rule: bool,
    divergence_percent: Decimal,
    item_divergences: Sequence[Decimal] = (),
    allowance_rate: Decimal | None = None,
    no_rule_policy: str = "deny",
    overpayment_is_divergence: bool = True,
) -> OrderDecision:
    """Decide what happens to an order: the whole of PRODUCT.md §4–§5 on plain values.

    `allowance_rate` is the order's `priceDivergenceAllowanceRate` (a fraction); it counts
    only where the seller switched "honour connector allowance" on for the connector.
    `item_divergences` are the per-item divergences, used for own-store orders.
    """
    allowance = allowance_percent(allowance_rate) if connector.honour_allowance else None
    chosen = route(connector=connector, has_rule=has_rule, no_rule_policy=no_rule_policy)
    options = {"allowance_percent": allowance, "overpayment_is_divergence": overpayment_is_divergence}
    overall = decide_divergence(bands=bands, divergence_percent=divergence_percent, **options)

    if chosen is Route.PER_ITEM_RULE:
        per_item = [decide_divergence(bands=bands, divergence_percent=d, **options) for d in item_divergences]
        strictest_item = strictest(per_item) if per_item else overall
        return OrderDecision(strictest_item.outcome, chosen, strictest_item)
    if chosen is Route.RULE:
        return OrderDecision(overall.outcome, chosen, overall)
    if overall.outcome is Outcome.NO_DIVERGENCE:
        return OrderDecision(Outcome.NO_DIVERGENCE, chosen, overall)
    # Below, the order diverges: a route that integrates it without asking anyone authorizes it.
    if chosen is Route.PREVIOUS_FLOW:
        rate = connector.legacy_rate_percent or ZERO
        if min(abs(overall.divergence_percent), HUNDRED) <= rate:
            return OrderDecision(Outcome.AUTHORIZE, chosen, overall)
        return OrderDecision(
            Outcome.HELD,
            chosen,
            overall,
            f"Price divergence of {overall.divergence_percent} % is above the connector's rate of "
            f"{rate:.2f} % (previous flow): reprocess to integrate it.",
        )
    if chosen is Route.HOLD_UNTIL_RULE:
        return OrderDecision(Outcome.HELD, chosen, overall, NATIVE_WITHOUT_RULE_MESSAGE)
    if chosen is Route.AUTHORIZE_WITHOUT_RULE:
        return OrderDecision(Outcome.AUTHORIZE, chosen, overall)
    return OrderDecision(Outcome.DENY, chosen, overall)


# One submission as processing decides it; the replay of past orders decides the same way.


def allowance_percent(rate: Decimal | None) -> Decimal | None:
    """Return the order's allowance rate (a fraction) as the percentage the bands compare with."""
    return None if rate is None else (Decimal(rate) * HUNDRED).quantize(Decimal("0.01"))


# What an order records as its reason when a seller's "ignore divergence and reprocess"
# overrode the rule; it has no route then.
IGNORED_DIVERGENCE = "ignored-divergence"


@dataclass(frozen=True)
class SubmissionFacts:
    """Everything of one submission the decision reads besides the rule and the account's settings."""

    connector: ConnectorFacts
    divergence_percent: Decimal
    item_divergences: tuple[Decimal, ...] = ()
    allowance_rate: Decimal | None = None
    ignore_divergence: bool = False


@dataclass(frozen=True)
class SubmissionDecision:
    outcome: Outcome
    decision: OrderDecision
    ignored: bool  # "ignore divergence and reprocess" overrode the rule


def decide_submission(
    *,
    facts: SubmissionFacts,
    bands: Sequence[Band],
    has_rule: bool,
    no_rule_policy: str = "deny",
    overpayment_is_divergence: bool = True,
) -> SubmissionDecision:
    """Decide a submission as processing does: `decide_order`, then a seller's "ignore divergence"."""
    decision = decide_order(
        connector=facts.connector,
        bands=bands,
        has_rule=has_rule,
        divergence_percent=facts.divergence_percent,
        item_divergences=facts.item_divergences,
        allowance_rate=facts.allowance_rate,
        no_rule_policy=no_rule_policy,
        overpayment_is_divergence=overpayment_is_divergence,
    )
    ignored = facts.ignore_divergence and not decision.outcome.authorized
    return SubmissionDecision(Outcome.AUTHORIZE if ignored else decision.outcome, decision, ignored)
