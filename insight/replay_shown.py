"""The replay as the rule editor shows it: the figures beside what happened, the picture, and
the changes and deadlines in words (`insight.replay` computes it).

This module is what insight installs in the editor's admin (`InsightConfig.ready`): the editor
asks it for `replay_draft`, `shown` and the replay's limits.
"""

from functools import partial

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from authorization.decision import BandAction, DeadlineVerdict, Outcome
from authorization.decision_words import OUTCOME_LABELS, deadline_words
from kit.money import money
from kit.numbers import count, percent_range

from . import charts
from .replay import DEFAULT_DAYS, MOST_SUBMISSIONS, Change, Replay, replay_draft

__all__ = ["DEFAULT_DAYS", "MOST_SUBMISSIONS", "replay_draft", "shown"]


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
