"""The queue's columns, for `WaitingOrderAdmin`: what decides a row, compact enough for a laptop.

Each column that holds two facts shows the second on a smaller line beneath the first (the
marketplace order under the order number, the seller value under the paid one, the band under
the divergence), so that a page of fifty orders fits 1280 pixels beside the admin's sidebar and
its filters. Longer texts are cut to two lines with the whole of them in the title.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kit.admin_display import signed_percent

from ..approvals import DENY_NOTE_MAX
from ..explained import explanation_short
from .display import (
    approval_task_of,
    approver_level_text,
    band_range,
    human_duration,
    notified_text,
    order_money,
    reservation_left,
    short_moment,
    two_lines,
)
from .forms import DenyForm


class QueueColumns:
    @admin.display(description=_("Order number"))
    def main_order_link(self, order):
        return order_and_origin(order, reverse("admin:orders_order_change", args=[order.pk]))

    @admin.display(description=_("Paid / seller"))
    def values(self, order):
        return paid_over_seller(order)

    @admin.display(description=_("Divergence"))
    def divergence(self, order):
        return two_lines(
            signed_percent(order.divergence_percent),
            band_range(order.band),
            second_title=gettext("Band that held the order"),
        )

    @admin.display(description=_("Why"))
    def why(self, order):
        explanation = getattr(order, "explanation", None)
        text = explanation_short(explanation, order.account.currency) if explanation else ""
        return format_html('<span class="oa-clip" title="{}">{}</span>', text, text) if text else "-"

    @admin.display(description=_("Waiting"), ordering="created_at")
    def waiting(self, order):
        return two_lines(
            human_duration(timezone.now() - order.created_at),
            reservation_left(order),
            first_title=gettext("since %(time)s") % {"time": short_moment(order.created_at)},
            second_title=gettext("Stock reservation, until %(time)s")
            % {"time": short_moment(order.reservation_expires_at)},
        )

    @admin.display(description=_("Approver"))
    def approver_level(self, order):
        # Who is on it first, where in the chain beneath; everyone e-mailed, why and when, in the title.
        task = approval_task_of(order)
        if task is None or task.level < 0 or not task.approvers:
            return format_html('<span title="{}">{}</span>', notified_text(task), approver_level_text(task))
        return two_lines(
            task.current_approver,
            gettext("approver %(level)d of %(count)d")
            % {"level": task.level + 1, "count": len(task.approvers)},
            first_title=notified_text(task),
        )

    @admin.display(description=_("Decide"))
    def decide(self, order):
        """Approve, or deny with a reason and a note, without leaving the queue; only for those who
        may decide the order (`order.may_decide`, set for the page by the admin), beneath whose
        turn they take when they decide it as a substitute (`order.covering_for`)."""
        if not getattr(order, "may_decide", False):
            return ""
        if getattr(order, "covering_for", ""):
            return format_html(
                '<span class="oa-line oa-covering">{}</span>{}',
                gettext("covering for %(absent)s") % {"absent": order.covering_for},
                row_decision(order),
            )
        return row_decision(order)


def row_decision(order) -> str:
    """The row's Approve button and Deny disclosure. They submit forms written after the list
    (`row-approve-form`, `row-deny-<id>`), since a form cannot sit inside the list's own."""
    reason, note = DenyForm.base_fields["reason_code"], DenyForm.base_fields["note"]
    deny_form = f"row-deny-{order.pk}"
    return format_html(
        '<div class="oa-row-decide">'
        '<button type="submit" form="row-approve-form" formaction="{}" class="button row-approve" aria-label="{}">{}</button>'
        '<details class="oa-row-deny"><summary class="button row-deny" aria-label="{}">{}</summary>'
        '<div class="oa-row-deny-form">'
        '<label for="{}-reason">{}</label><select name="reason_code" id="{}-reason" form="{}" required>{}</select>'
        '<label for="{}-note">{}</label>'
        '<textarea name="note" id="{}-note" form="{}" rows="2" maxlength="{}" required></textarea>'
        '<button type="submit" form="{}" class="button oa-button--bad">{}</button>'
        "</div></details></div>",
        reverse("admin:orders_order_approve", args=[order.pk]),
        gettext("Approve order %(order)s") % {"order": order.main_order_id},
        gettext("Approve"),
        gettext("Deny order %(order)s…") % {"order": order.main_order_id},
        gettext("Deny…"),
        deny_form,
        reason.label,
        deny_form,
        deny_form,
        format_html_join("", '<option value="{}">{}</option>', reason.choices),
        deny_form,
        note.label,
        deny_form,
        deny_form,
        DENY_NOTE_MAX,
        deny_form,
        gettext("Deny order"),
    )


def order_and_origin(order, url: str) -> str:
    """The order number, linked, over where it came from: "MKP-A" over "A · SkyHub (MKP)"."""
    return two_lines(
        format_html('<a href="{}">{}</a>', url, order.main_order_id),
        f"{order.marketplace_order_id} · {order.connector}",
        second_title=gettext("Marketplace order %(order)s, from the connector %(connector)s")
        % {"order": order.marketplace_order_id, "connector": order.connector},
    )


def paid_over_seller(order) -> str:
    """What the marketplace paid over what the seller asks, in the account's currency."""
    return two_lines(
        order_money(order, order.paid_value_cents),
        order_money(order, order.seller_value_cents),
        first_title=gettext("Paid"),
        second_title=gettext("Seller value"),
    )
