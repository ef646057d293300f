"""What the admin's screens show alike: status badges, money, percents, moments, users, JSON."""

import json
from decimal import Decimal

from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.html import format_html
from django.utils.translation import gettext as _

from .money import money
from .numbers import percent

# Badge tone of each status: ok (green), info (blue), warn (amber), bad (red), done (grey).
TONES = {
    # connection orders
    "received": "info",
    "processing": "info",
    "integrated": "ok",
    "rejected": "bad",
    "held": "warn",
    "failed": "bad",
    # orders
    "waiting-for-manual-authorization": "warn",
    "payment-pending": "info",
    "ready-for-handling": "ok",
    "handling": "ok",
    "invoiced": "done",
    "canceled": "bad",
    # notifications, and exports
    "pending": "info",
    "delivered": "ok",
    "running": "info",
    "ready": "ok",
}

ADMIN_CSS = {"all": ["orders/admin.css"]}


def badge(value: str, label: str):
    return format_html('<span class="oa-badge oa-badge--{}">{}</span>', TONES.get(value, "done"), label)


def money_shown(cents: int | None, currency: str) -> str:
    """Cents in `currency` for the reader (R$ 975,50), or "-" for none, as the admin shows an empty value."""
    return "-" if cents is None else money(cents, currency)


def signed_percent(value: Decimal | None) -> str:
    """Show a divergence with its sign, in the reader's format: positive when the marketplace pays less."""
    if value is None:
        return "-"
    return percent(value, 2, signed=True)


def moment(value) -> str:
    """Show a time to the second, in the admin's time zone and the reader's date format: attempts are
    seconds apart."""
    if value is None:
        return "-"
    local = timezone.localtime(value)
    return f"{date_format(local, 'SHORT_DATE_FORMAT')} {time_format(local, 'H:i:s')}"


def decider(task) -> str:
    """Name who decided an approval task: their e-mail, or that the user is gone."""
    return user_name(task.decided_by)


def user_name(user) -> str:
    """Name a user who acted: their e-mail, or that the user is gone."""
    if user is None:
        return _("a deleted user")
    return user.email or user.get_username()


def pretty_json(value):
    return format_html(
        '<pre class="oa-json">{}</pre>', json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False)
    )


def shorten(text: str, limit: int = 90) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ChangesNothing:
    """Admin or inline mixin: nothing is added, changed or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
