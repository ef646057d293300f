"""Decide: what the planned submission is worth, and what the account's rule makes of it.

Pure but for what the plan read: the values in cents, the divergence, and the decision of
`authorization.decision`; the refusal a connector is told when the rule denies.
"""

from dataclasses import dataclass
from decimal import Decimal

from authorization.decision import (
    ConnectorFacts,
    Outcome,
    SubmissionDecision,
    SubmissionFacts,
    decide_submission,
)
from authorization.divergence import divergence_percent, paid_value_cents, seller_value_cents
from connectors.contract import SOURCE_FULFILLMENT, SOURCE_INTEGRATION, ContractError

from ..models import IntakeRecord
from ..statuses import OrderStatus, status_after_authorization
from .plan import ItemPlan, OrderPlan, Rejection


def values_of(body: dict, items: list[ItemPlan]) -> dict:
    is_fob = body["shippingData"].get("isFob") is True
    tax = sum(int(entry["value"]) for entry in body.get("taxData") or [])
    interest = int(body.get("marketplaceInterestValue") or 0)
    marketplace_freight = sum(item.declared_freight_cents for item in items) if is_fob else 0
    seller = seller_value_cents(
        item_lines=[(item.seller_sku.price_cents, item.quantity) for item in items],
        freight_lines=[] if is_fob else [(item.seller_freight_cents, 1) for item in items],
        tax_cents=tax,
        interest_cents=interest,
    )
    payment = int(body["marketplacePaymentValue"])
    paid = paid_value_cents(payment_value_cents=payment, marketplace_freight_cents=marketplace_freight)
    return {
        "payment_value_cents": payment,
        "interest_cents": interest,
        "tax_cents": tax,
        "marketplace_freight_cents": marketplace_freight,
        "seller_value_cents": seller,
        "paid_value_cents": paid,
        "divergence_percent": divergence_percent(seller_value_cents=seller, paid_value_cents=paid),
    }


def divergence_rejection(
    values: dict, decision, *, has_rule: bool, refused_at_once: bool = False
) -> Rejection:
    seller, paid = values["seller_value_cents"], values["paid_value_cents"]
    if refused_at_once:
        where = "an order placed without isCreatedAsync is refused whatever the rule"
    elif not has_rule:
        where = "the seller has no price divergence rule"
    elif decision.decision.band is not None:
        band = decision.decision.band
        where = f"the rule denies {band.lower_percent:.2f}–{band.upper_percent:.2f} %"
    elif decision.decision.reason == "gap":
        where = "it falls in a gap of the rule, where orders are not integrated"
    else:
        where = "it is above the last band of the rule"
    return Rejection(
        "EOI003",
        [
            ContractError(
                "FMT007",
                f"Payment total ({paid}) differs from store desired value ({seller})",
                SOURCE_FULFILLMENT,
            ),
            ContractError(
                "DIVERGENCE",
                f"Price divergence of {values['divergence_percent']} %: {where}",
                SOURCE_INTEGRATION,
            ),
        ],
    )


@dataclass
class Decided:
    """A planned submission, valued and decided by the account's rule: what writing it needs."""

    plan: OrderPlan
    values: dict
    bands: list
    has_rule: bool
    item_divergences: list[Decimal]
    facts: SubmissionFacts
    submission: SubmissionDecision

    @property
    def decision(self):
        return self.submission.decision

    @property
    def outcome(self) -> Outcome:
        return self.submission.outcome


def intake_decide(intake: IntakeRecord, plan: OrderPlan, bands: list | None) -> Decided:
    """Value the planned submission and decide it by the account's `bands` (None: it has no rule)."""
    body = intake.body
    values = values_of(body, plan.items)
    item_divergences = [
        divergence_percent(seller_value_cents=item.seller_sku.price_cents, paid_value_cents=item.price_cents)
        for item in plan.items
    ]
    facts = SubmissionFacts(
        connector=ConnectorFacts.of(intake.connector),
        divergence_percent=values["divergence_percent"],
        item_divergences=tuple(item_divergences),
        allowance_rate=Decimal(str(body["priceDivergenceAllowanceRate"]))
        if body.get("priceDivergenceAllowanceRate") is not None
        else None,
        ignore_divergence=intake.ignore_divergence,
    )
    submission = decide_submission(
        facts=facts,
        bands=bands or [],
        has_rule=bands is not None,
        no_rule_policy=intake.account.no_rule_policy,
        overpayment_is_divergence=intake.account.overpayment_is_divergence,
    )
    return Decided(plan, values, bands or [], bands is not None, item_divergences, facts, submission)


def order_status_of(intake: IntakeRecord, decided: Decided) -> tuple[str, bool]:
    """The status an integrated order starts in, and whether the marketplace posted it approved."""
    marketplace_approved = str(intake.body["marketplaceOrderStatus"]).lower() == "approved"
    if decided.outcome is Outcome.MANUAL:
        return OrderStatus.WAITING_FOR_MANUAL_AUTHORIZATION, marketplace_approved
    return status_after_authorization(marketplace_approved=marketplace_approved), marketplace_approved


def decision_note(decision) -> str:
    outcome = decision.decision.outcome.value
    band = decision.decision.band
    if band is not None:
        return (
            f"{outcome} by the band {band.lower_percent:.2f}–{band.upper_percent:.2f} % ({decision.route})."
        )
    return f"{outcome} ({decision.route}, {decision.decision.reason.value})."
