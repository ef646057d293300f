"""A bulk decision in one message: how many orders were decided and their value, and which were
not, grouped by why — after an inline decision and at the end of a background one alike."""

from collections import defaultdict
from collections.abc import Iterable

from django.contrib import messages
from django.utils.translation import gettext, ngettext

from kit.money import money

from .approvals import AlreadyDecided, DecisionForbidden
from .bulk import NOT_FOUND
from .models import BulkDecision

# How many order numbers a message names before "and N more".
NAMED_MAX = 10


def money_totals(totals: dict[str, int]) -> str:
    """Sums in several currencies side by side, each in its own: "R$ 1.234,56 + US$ 10,00"."""
    return " + ".join(money(cents, currency) for currency, cents in sorted(totals.items()))


def order_names(names: list[str], *, total: int | None = None) -> str:
    """Order numbers for a sentence: the first NAMED_MAX of them, then how many more of `total`."""
    shown = ", ".join(names[:NAMED_MAX])
    more = (len(names) if total is None else total) - len(names[:NAMED_MAX])
    if more <= 0:
        return shown
    return ngettext("%(orders)s and %(count)s more", "%(orders)s and %(count)s more", more) % {
        "orders": shown,
        "count": more,
    }


def selection_question(action: str, totals) -> str:
    """What a confirmation asks of a selection (`selectors.SelectionTotals`): its count and value."""
    values = {"count": totals.count, "value": money_totals(totals.paid_by_currency)}
    if action == BulkDecision.Action.APPROVE:
        question = ngettext(
            "Approve %(count)s order, paid %(value)s?",
            "Approve %(count)s orders, paid %(value)s in all?",
            totals.count,
        )
    else:
        question = ngettext(
            "Deny %(count)s order, paid %(value)s?",
            "Deny %(count)s orders, paid %(value)s in all?",
            totals.count,
        )
    return question % values


def undecidable_words(names: list[str], *, total: int) -> str:
    """The orders of a selection the user may not decide, named before they confirm it."""
    return ngettext(
        "%(count)s of these you may not decide; it will be left as it is: %(orders)s.",
        "%(count)s of these you may not decide; they will be left as they are: %(orders)s.",
        total,
    ) % {"count": total, "orders": order_names(names, total=total)}


def _why(kind: str, names: list[str]) -> str:
    orders = order_names(names)
    if kind == AlreadyDecided.code:
        return ngettext("%(orders)s was already decided", "%(orders)s were already decided", len(names)) % {
            "orders": orders
        }
    if kind == DecisionForbidden.code:
        return ngettext("%(orders)s you may not decide", "%(orders)s you may not decide", len(names)) % {
            "orders": orders
        }
    return ngettext(
        "%(orders)s is not in your accounts", "%(orders)s are not in your accounts", len(names)
    ) % {"orders": orders}


def _own_words(messages_: list[str]) -> list[str]:
    if len(messages_) <= NAMED_MAX:
        return messages_
    more = len(messages_) - NAMED_MAX
    return [
        *messages_[:NAMED_MAX],
        ngettext("%(count)s more could not be decided", "%(count)s more could not be decided", more)
        % {"count": more},
    ]


GROUPED = (AlreadyDecided.code, DecisionForbidden.code, NOT_FOUND)


def bulk_summary(results: Iterable[dict], action: str) -> tuple[int, str]:
    """The message level and text of a selection's results (`BulkDecisionResult.as_dict()`):
    "18 of 20 orders approved (R$ 2.345,67). 2 were not: 1234 was already decided; 1240 you may not decide."
    """
    results = list(results)
    if not results:
        return messages.INFO, gettext("No order was selected.")
    totals: dict[str, int] = defaultdict(int)
    refused: dict[str, list[str]] = defaultdict(list)
    others = []  # refusals of their own kind (no stock left, no longer waiting): said in their own words
    for result in results:
        if result.get("ok"):
            totals[result.get("currency") or ""] += result.get("paid_value_cents") or 0
        elif result.get("refusal") in GROUPED:
            refused[result["refusal"]].append(result.get("main_order_id") or f"#{result['order']}")
        else:
            others.append(result.get("message", "").rstrip("."))
    decided = sum(1 for result in results if result.get("ok"))
    count, not_decided = len(results), len(results) - decided
    values = {
        "decided": decided,
        "count": count,
        "value": money_totals(totals),
        "reasons": "; ".join(
            [_why(kind, refused[kind]) for kind in GROUPED if refused[kind]] + _own_words(others)
        ),
    }
    approve = action == BulkDecision.Action.APPROVE
    if decided == 0:
        if approve:
            text = ngettext(
                "%(decided)s of %(count)s order approved: %(reasons)s.",
                "%(decided)s of %(count)s orders approved: %(reasons)s.",
                count,
            )
        else:
            text = ngettext(
                "%(decided)s of %(count)s order denied: %(reasons)s.",
                "%(decided)s of %(count)s orders denied: %(reasons)s.",
                count,
            )
        return messages.ERROR, text % values
    if approve:
        text = ngettext(
            "%(decided)s of %(count)s order approved (%(value)s).",
            "%(decided)s of %(count)s orders approved (%(value)s).",
            count,
        )
    else:
        text = ngettext(
            "%(decided)s of %(count)s order denied (%(value)s).",
            "%(decided)s of %(count)s orders denied (%(value)s).",
            count,
        )
    if not not_decided:
        return messages.SUCCESS, text % values
    text += " " + ngettext(
        "%(not_decided)s was not: %(reasons)s.", "%(not_decided)s were not: %(reasons)s.", not_decided
    )
    return messages.WARNING, text % {**values, "not_decided": not_decided}
