"""An order's divergence explained in words, as the admin's screens, e-mails and CSV show it.

The breakdown is `authorization.explanation`'s (`orders.selectors.order_explanations` reads it for
many orders at once); here it becomes what a person reads, in the active language and the
account's currency. The seller API says it in its own shape (`orders.serializers.explanation_data`).
"""

from dataclasses import dataclass

from django.utils.translation import gettext

from authorization.explanation import (
    Cause,
    CauseKind,
    Component,
    Explanation,
    Kind,
    describe_cause,
    describe_component,
)
from kit.money import money


@dataclass(frozen=True)
class ComponentWords:
    words: str
    amount: str  # its part of seller − paid, signed; "not counted" for taxes and interest
    counted: bool


@dataclass(frozen=True)
class ExplanationWords:
    diverges: bool
    difference: str  # seller − paid, signed
    components: tuple[ComponentWords, ...]
    causes: tuple[str, ...]


def diverges(explanation: Explanation) -> bool:
    """Whether anything counts: taxes or interest alone are on both sides, no divergence."""
    return any(component.counted for component in explanation.components)


def explanation_words(explanation: Explanation, currency: str) -> ExplanationWords:
    """Every component with its amount, the total difference and the likely causes, in words."""
    return ExplanationWords(
        diverges=diverges(explanation),
        difference=money(explanation.difference_cents, currency, signed=True),
        components=tuple(
            ComponentWords(
                describe_component(component, currency),
                money(component.cents, currency, signed=True)
                if component.counted
                else gettext("not counted"),
                component.counted,
            )
            for component in explanation.components
        ),
        causes=tuple(describe_cause(cause, currency) for cause in explanation.causes),
    )


def explanation_text(explanation: Explanation, currency: str) -> str:
    """The components in words on one line (the CSV's column); empty when nothing diverges."""
    if not diverges(explanation):
        return ""
    return "; ".join(describe_component(component, currency) for component in explanation.components)


def explanation_short(explanation: Explanation, currency: str) -> str:
    """Why, in a few words (the queue's column): the largest component, named by its cause if one is known."""
    counted = [component for component in explanation.components if component.counted]
    if not counted:
        return ""
    largest = max(counted, key=lambda component: abs(component.cents))
    cause = next((cause for cause in explanation.causes if largest.sku and cause.sku == largest.sku), None)
    return _short(largest, cause, currency)


def _short(component: Component, cause: Cause | None, currency: str) -> str:
    values = {"sku": component.sku, "amount": money(abs(component.cents), currency)}
    below = component.cents > 0  # seller − paid: the marketplace paid less
    if component.kind is Kind.ITEM:
        if cause is not None and cause.kind is CauseKind.EARLIER_PRICE:
            return gettext("SKU %(sku)s at an earlier price") % values
        if cause is not None and cause.kind is CauseKind.PROMOTION:
            return gettext("SKU %(sku)s on promotion") % values
        if below:
            return gettext("SKU %(sku)s %(amount)s below your price") % values
        return gettext("SKU %(sku)s %(amount)s above your price") % values
    if component.kind is Kind.FREIGHT:
        if below:
            return gettext("Freight %(amount)s below your policy") % values
        return gettext("Freight %(amount)s above your policy") % values
    if component.kind is Kind.DISCOUNT:
        return gettext("Discount by the marketplace %(amount)s") % values
    return gettext("Fee by the marketplace %(amount)s") % values
