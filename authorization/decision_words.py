"""A decision in words, in the reader's language: its outcome, route and reason.

One vocabulary for every screen, e-mail and export; `authorization.decision` keeps the values.
"""

from decimal import Decimal

from django.utils.text import capfirst
from django.utils.translation import gettext, gettext_lazy

from kit.money import money

from .decision import IGNORED_DIVERGENCE, Band, OnDeadline, Outcome, Reason, Route, SubmissionDecision

# The routes on which a band of the account's rule decides.
BAND_ROUTES = frozenset({Route.RULE, Route.PER_ITEM_RULE})

OUTCOME_LABELS = {
    Outcome.NO_DIVERGENCE: gettext_lazy("No divergence"),
    Outcome.AUTHORIZE: gettext_lazy("Authorized"),
    Outcome.MANUAL: gettext_lazy("Held for approval"),
    Outcome.DENY: gettext_lazy("Denied"),
    Outcome.HELD: gettext_lazy("Held, not integrated"),
}


ROUTE_LABELS = {
    Route.RULE: gettext_lazy("decided by the account’s rule"),
    Route.PER_ITEM_RULE: gettext_lazy("decided by the rule, item by item (own store)"),
    Route.PREVIOUS_FLOW: gettext_lazy("decided by the connector’s previous flow"),
    Route.HOLD_UNTIL_RULE: gettext_lazy("held until the account has a rule"),
    Route.DENY_WITHOUT_RULE: gettext_lazy("denied: the account has no rule"),
    Route.AUTHORIZE_WITHOUT_RULE: gettext_lazy("authorized: the account has no rule"),
}


REASON_LABELS = {
    Reason.NO_DIVERGENCE: gettext_lazy("no divergence"),
    Reason.WITHIN_ALLOWANCE: gettext_lazy("within the connector’s allowance"),
    Reason.OVERPAYMENT: gettext_lazy(
        "the marketplace paid more, which the account does not count as a divergence"
    ),
    Reason.BAND: gettext_lazy("within a band of the rule"),
    Reason.GAP: gettext_lazy("in a gap between the rule’s bands"),
    Reason.ABOVE_LAST_BAND: gettext_lazy("above the rule’s last band"),
}
IGNORED_DIVERGENCE_LABEL = gettext_lazy("divergence ignored when the seller reprocessed the order")


# The decision as orders keep it (plain strings: outcome, route, reason): its words for people.
# A value no longer known is shown as it was stored rather than hidden.


def band_label(lower, upper) -> str:
    """A band by its limits, as the dashboard and the metrics name it: "5.00-10.00"."""
    return f"{Decimal(lower):.2f}-{Decimal(upper):.2f}"


def deciding_band(submission: SubmissionDecision) -> Band | None:
    """Return the band that decided, or None when no band did (no rule, previous flow, ignored, gap)."""
    if submission.ignored or submission.decision.route not in BAND_ROUTES:
        return None
    return submission.decision.decision.band


def outcome_label(value: str) -> str:
    return str(OUTCOME_LABELS[Outcome(value)]) if value in Outcome else value


def route_label(value: str) -> str:
    return str(ROUTE_LABELS[Route(value)]) if value in Route else value


def reason_label(value: str) -> str:
    if value == IGNORED_DIVERGENCE:
        return str(IGNORED_DIVERGENCE_LABEL)
    return str(REASON_LABELS[Reason(value)]) if value in Reason else value


def route_and_reason_label(route: str, reason: str) -> str:
    """How it was decided, in words: "Decided by the account’s rule: within a band of the rule"."""
    if not route:
        return capfirst(reason_label(reason))
    return gettext("%(route)s: %(reason)s") % {
        "route": capfirst(route_label(route)),
        "reason": reason_label(reason),
    }


def deadline_words(band: Band, currency: str) -> str:
    """What a held order's band does once its deadline has passed, in a phrase ("" when it keeps waiting)."""
    if not band.has_deadline:
        return ""
    if band.on_deadline == OnDeadline.DENY:
        return gettext("denied as expired %(minutes)s min after the hold") % {
            "minutes": band.deadline_minutes
        }
    return gettext(
        "approved %(minutes)s min after the hold if paid is at most %(cap)s, else kept waiting"
    ) % {
        "minutes": band.deadline_minutes,
        "cap": money(band.approve_up_to_cents, currency),
    }
