"""How the order page, the order list and the queue show an order: time waited, stock reservation,
approvers notified, band, money in the account's currency, and the decision's codes in words."""

from datetime import timedelta

from django.core.exceptions import ObjectDoesNotExist
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from authorization.decision import Band, BandAction
from authorization.decision_words import deadline_words, outcome_label, reason_label, route_label
from authorization.models import DenyReason
from catalog.models import DeliveryChannel
from kit.admin_display import badge, money_shown, signed_percent
from kit.numbers import percent_range

from ..approvals import DEADLINE
from ..models import Order
from ..statuses import OrderStatus


def decision_words(label, code: str | None) -> str:
    """A decision's code (outcome, route or reason) in `authorization.decision`'s words, as a
    sentence starts: "Held for approval"; "-" when there is none."""
    return capfirst(label(code)) if code else "-"


def words(table: dict, code: str | None) -> str:
    """A code in words, or the code itself when it is none the table knows."""
    if not code:
        return "-"
    return str(table.get(code, code))


def order_money(order: Order, cents: int | None) -> str:
    """Cents of an order in its account's currency, for the reader: R$ 127,78."""
    return money_shown(cents, order.account.currency)


def short_moment(value) -> str:
    """A time in the reader's short format, in the current time zone."""
    if value is None:
        return "-"
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


def human_duration(delta: timedelta) -> str:
    """Say how long in the largest two units: "2 d 4 h", "3 h 12 min", "45 min"."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return gettext("less than a minute")
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return gettext("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return gettext("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    return gettext("%(minutes)d min") % {"minutes": minutes}


def reservation_expired(order: Order, now=None) -> bool:
    """The stock reservation ran out: released by the sweep, or past its lockTTL and about to be."""
    if order.reservation_expired:
        return True
    now = now or timezone.now()
    return (
        order.reservation_released_at is None
        and order.reservation_expires_at is not None
        and order.reservation_expires_at <= now
    )


def reservation_left(order: Order, now=None):
    """Show the time left on the stock reservation, or a flag once it ran out."""
    now = now or timezone.now()
    if reservation_expired(order, now):
        return badge("canceled", gettext("expired"))
    if order.reservation_released_at is not None or order.reservation_expires_at is None:
        return "-"
    return gettext("%(duration)s left") % {"duration": human_duration(order.reservation_expires_at - now)}


def approval_task_of(order: Order):
    try:
        return order.approval_task
    except ObjectDoesNotExist:
        return None


def approver_level_text(task) -> str:
    """Say who the order waits for: "2 of 2: bo@acme.example", or that nobody was asked yet."""
    if task is None:
        return "-"
    if task.level < 0 or not task.approvers:
        return gettext("nobody notified yet")
    return gettext("%(level)d of %(count)d: %(email)s") % {
        "level": task.level + 1,
        "count": len(task.approvers),
        "email": task.current_approver,
    }


def notified_emails(task) -> list[str]:
    """Return everyone notified about the order, first notified first."""
    emails = []
    for entry in (task.notified if task else []) or []:
        if entry.get("email") and entry["email"] not in emails:
            emails.append(entry["email"])
    return emails


# Why an approver was e-mailed (the `kind` of an approval task's notified entry; "first" before digests).
NOTIFIED_KINDS = {
    "new": _("held: first approver"),
    "first": _("held: first approver"),
    "escalation": _("escalated"),
    "reminder": _("reminder"),
}


def notified_at(entry: dict) -> str:
    """Show when a notification entry was sent, in the reader's time zone and format."""
    sent = parse_datetime(entry.get("at") or "")
    return short_moment(sent) if sent else ""


def notified_text(task) -> str:
    """Everyone e-mailed about the order, why and when the e-mail that listed it was sent, on one
    line (the queue's tooltip): "Notified: ana@acme.example (held: first approver, 06/12/2026 9:41 a.m.)"."""
    entries = (task.notified if task else []) or []
    if not entries:
        return gettext("Nobody notified yet.")
    return gettext("Notified: %(entries)s") % {
        "entries": "; ".join(
            f"{entry.get('email', '')} ({words(NOTIFIED_KINDS, entry.get('kind', ''))}, {notified_at(entry)})"
            for entry in entries
        )
    }


def two_lines(first, second, *, first_title: str = "", second_title: str = "") -> str:
    """Two values in one cell, the second smaller beneath it, each titled with what it is: how a
    list fits a laptop's screen without dropping a column (paid over seller value)."""
    return format_html(
        '<span class="oa-line"{}>{}</span><span class="oa-line oa-sub"{}>{}</span>',
        _title(first_title),
        first,
        _title(second_title),
        second,
    )


def _title(text: str) -> str:
    return format_html(' title="{}"', text) if text else ""


def band_range(band: dict | None) -> str:
    if not band:
        return "-"
    return percent_range(band["from"], band["to"], 2)


def band_action(action: str) -> str:
    """A band's action in words: "Hold for manual authorization"."""
    try:
        return str(BandAction(action).label)
    except ValueError:
        return action


# The fixed notes services write into an order's events, in the reader's language. Notes are
# stored as written (in English); a note not listed here is shown as it was stored.
FIXED_NOTES = {
    "Handling started.": _("Handling started."),
    "Order canceled.": _("Order canceled."),
    "Canceled.": _("Canceled."),
    "Stock reserved again.": _("Stock reserved again."),
    "The stock reservation ran out (lockTTL).": _("The stock reservation ran out."),
    "Reserved stock sold with the invoice.": _("Reserved stock sold with the invoice."),
    "The marketplace asked to approve: applied once the order is authorized.": _(
        "The marketplace asked to approve: applied once the order is authorized."
    ),
    "Approved by the marketplace.": _("Approved by the marketplace."),
    "Posted as approved: applied once the order is authorized.": _(
        "Posted as approved: applied once the order is authorized."
    ),
    "Divergence ignored on reprocessing.": _("Divergence ignored on reprocessing."),
}


def event_note(event, order: Order) -> str:
    """An event's note in the reader's language and the account's money, read from what the event
    recorded (its kind and data) rather than from the English text stored with it."""
    data = event.data or {}
    if event.kind == "created" and event.note.startswith("Integrated from "):
        return gettext(
            "Integrated from %(connector)s: paid %(paid)s, seller value %(seller)s, divergence %(divergence)s."
        ) % {
            "connector": order.connector.name,
            "paid": order_money(order, order.paid_value_cents),
            "seller": order_money(order, order.seller_value_cents),
            "divergence": signed_percent(order.divergence_percent),
        }
    if data.get("deadline"):
        return deadline_event_note(event, order)
    behalf = data.get("onBehalfOf")
    if event.kind == "decision" and data.get("decision") == "approved":
        if behalf:
            text = gettext("Approved by %(who)s on behalf of %(absent)s.") % {
                "who": event.actor_label,
                "absent": behalf,
            }
        else:
            text = gettext("Approved by %(who)s.") % {"who": event.actor_label}
        return f"{text} {data['note']}" if data.get("note") else text
    if event.kind == "decision" and data.get("decision") == "denied":
        words = {
            "who": event.actor_label,
            "absent": behalf,
            "reason": deny_reason_label(data.get("reasonCode", "")),
            "note": data.get("note", ""),
        }
        if behalf:
            return gettext("Denied by %(who)s on behalf of %(absent)s: %(reason)s. %(note)s") % words
        return gettext("Denied by %(who)s: %(reason)s. %(note)s") % words
    if event.kind == "decision" and data.get("outcome") and event.note in FIXED_NOTES:
        return str(FIXED_NOTES[event.note])
    if event.kind == "decision" and data.get("outcome"):
        outcome = decision_words(outcome_label, data["outcome"])
        route = decision_words(route_label, data.get("route"))
        if data.get("band"):
            return gettext("%(outcome)s: in the band %(band)s (%(route)s).") % {
                "outcome": outcome,
                "band": band_range(data["band"]),
                "route": route,
            }
        return gettext("%(outcome)s: %(route)s; %(reason)s.") % {
            "outcome": outcome,
            "route": route,
            "reason": decision_words(reason_label, data.get("reason")),
        }
    if event.note in FIXED_NOTES:
        return str(FIXED_NOTES[event.note])
    return event.note


def deadline_event_note(event, order: Order) -> str:
    """What a band's deadline did, in the reader's language, from the event's data."""
    data = event.data
    words = {
        "minutes": data["deadline"].get("minutes"),
        "cap": order_money(order, data["deadline"].get("capCents")),
        "paid": order_money(order, order.paid_value_cents),
    }
    if data.get("decision") == "approved":
        return gettext("Approved at the deadline: paid %(paid)s is at most the cap of %(cap)s.") % words
    if data.get("decision") == "denied":
        return (
            gettext("Denied at the deadline: expired, no decision within %(minutes)s min of the hold.")
            % words
        )
    if data["deadline"].get("keptWaiting") == "above-cap":
        return (
            gettext(
                "The deadline passed: paid %(paid)s is above the cap of %(cap)s, so the order keeps waiting "
                "for the approvers."
            )
            % words
        )
    return gettext(
        "The deadline passed but the order could not be approved (its stock ran out): it keeps waiting "
        "for the approvers."
    )


def deadline_shown(order: Order, task) -> dict | None:
    """The held order's deadline for its page: what the band does then (`what`), and whether it has
    passed without deciding; None when the order was held by no band with a deadline."""
    if task is None or not order.band:
        return None
    band = Band.from_dict(order.band)
    if not band.has_deadline:
        return {"what": "", "passed": False}
    return {
        "what": deadline_words(band, order.account.currency),
        "passed": not task.decision and task.deadline_at is None,
    }


def deny_reason_label(code: str) -> str:
    try:
        return str(DenyReason(code).label)
    except ValueError:
        return code


def status_words(status: str) -> str:
    try:
        return str(OrderStatus(status).label)
    except ValueError:
        return status


def delivery_channel_words(channel: str) -> str:
    try:
        return str(DeliveryChannel(channel).label)
    except ValueError:
        return channel


def event_actor(event) -> str:
    """Who acted, in the reader's language: the system, a connector by its name, or a user's e-mail."""
    label = event.actor_label
    if label == "system":
        return gettext("system")
    if label == DEADLINE and event.actor_id is None:
        return gettext("deadline")
    if label.startswith("connector ") and event.actor_id is None:
        return gettext("connector %(name)s") % {"name": label.removeprefix("connector ")}
    return label


# Django 6's blank choice of the actions menu has no Portuguese or Spanish in Django's catalogs
# yet; marking the same msgid here puts it in ours, which Django's action form then reads.
DJANGO_STRINGS = (_("- Select an option -"),)
