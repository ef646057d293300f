"""What the decisions' codes mean, in words people read: outcomes, routes and reasons."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from authorization.decision import Outcome, Reason, Route

OUTCOME_LABELS = {
    Outcome.NO_DIVERGENCE: gettext_lazy("No divergence"),
    Outcome.AUTHORIZE: gettext_lazy("Authorized"),
    Outcome.MANUAL: gettext_lazy("Held for manual authorization"),
    Outcome.DENY: gettext_lazy("Denied"),
    Outcome.HELD: gettext_lazy("Held in the connection orders"),
}

ROUTE_WORDS = {
    Route.RULE: gettext_lazy("The rule"),
    Route.PER_ITEM_RULE: gettext_lazy("The rule, item by item"),
    Route.PREVIOUS_FLOW: gettext_lazy("The previous flow"),
    Route.HOLD_UNTIL_RULE: gettext_lazy("Held until there is a rule"),
    Route.DENY_WITHOUT_RULE: gettext_lazy("Denied: no rule"),
    Route.AUTHORIZE_WITHOUT_RULE: gettext_lazy("Authorized: no rule"),
}

REASON_WORDS = {
    Reason.NO_DIVERGENCE: gettext_lazy("no divergence"),
    Reason.WITHIN_ALLOWANCE: gettext_lazy("within the order's allowance"),
    Reason.OVERPAYMENT: gettext_lazy("paid more than the seller's price, not counted as divergence"),
    Reason.BAND: gettext_lazy("the band its divergence falls in"),
    Reason.GAP: gettext_lazy("a divergence between bands"),
    Reason.ABOVE_LAST_BAND: gettext_lazy("a divergence above the last band"),
}


def outcome_words(outcome: str) -> str:
    return str(OUTCOME_LABELS.get(outcome, outcome))


def reason_words(route: str, reason: str) -> str:
    """Say how a submission was decided: "The rule: the band its divergence falls in"."""
    return _("%(route)s: %(reason)s") % {
        "route": ROUTE_WORDS.get(route, route),
        "reason": REASON_WORDS.get(reason, reason),
    }
