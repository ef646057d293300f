"""The order page's buttons: approve and deny a held order, which only the approvers of the band
that held it may do (`may_decide`), then stay on it or open the next one waiting for them; start
handling and invoice, for Owner and OMS Full (`orders.handle_order`)."""

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext

from accounts.roles import HANDLE_ORDERS
from authorization.models import DenyReason
from kit.errors import DomainError, admin_refusal

from ..approvals import DecisionForbidden, order_approve, order_deny
from ..events import Actor
from ..selectors import next_order_to_decide
from ..services import order_invoice, order_start_handling

# The name of the buttons "Approve and open the next" and "Deny and open the next".
OPEN_NEXT = "_open_next"


class OrderActions:
    """The views behind the order page's buttons, for `OrderAdmin`."""

    # Approve, deny, handle, invoice

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/approve/", view(self.approve_view), name="orders_order_approve"),
            path("<path:object_id>/deny/", view(self.deny_view), name="orders_order_deny"),
            path(
                "<path:object_id>/start-handling/",
                view(self.start_handling_view),
                name="orders_order_start_handling",
            ),
            path("<path:object_id>/invoice/", view(self.invoice_view), name="orders_order_invoice"),
            *super().get_urls(),
        ]

    def posted_order(self, request, object_id):
        if request.method != "POST":
            return None, HttpResponseNotAllowed(["POST"])
        order = self.get_object(request, unquote(object_id))
        if order is None:
            raise Http404(gettext("No such order."))
        return order, redirect(back_to(request, order))

    def say_forbidden(self, request, refused: DecisionForbidden) -> None:
        """The service's refusal, naming whom to ask."""
        messages.error(
            request,
            gettext("Only the approvers of the band that held order %(order)s may decide it (%(approvers)s).")
            % {"order": refused.order.main_order_id, "approvers": refused.approvers},
        )

    def refuse(self, request, refused: DomainError) -> None:
        """Tell the person why the service refused: whom to ask, or the refusal's own words."""
        if isinstance(refused, DecisionForbidden):
            self.say_forbidden(request, refused)
        else:
            admin_refusal(request, refused)

    def decided(self, request, order, response):
        """Where a decision leads: back to the order's page, or with "and open the next" to the next
        order waiting for the user's decision (`next_order_to_decide`), or to the queue when none is left."""
        if OPEN_NEXT not in request.POST:
            return response
        following = next_order_to_decide(user=request.user, order=order)
        if following is not None:
            return redirect(reverse("admin:orders_order_change", args=[following.pk]))
        messages.info(
            request,
            gettext("That was the last order waiting for your decision: nothing left to decide for now."),
        )
        return redirect(reverse("admin:orders_waitingorder_changelist"))

    def approve_view(self, request, object_id):
        order, response = self.posted_order(request, object_id)
        if order is None:
            return response
        try:
            order_approve(order=order, approver=request.user, note=request.POST.get("note", "").strip())
        except DomainError as refused:
            self.refuse(request, refused)
            return response
        self.log_change(request, order, "Approved.")
        messages.success(
            request,
            gettext("Order %(order)s approved: it is now %(status)s.")
            % {"order": order.main_order_id, "status": str(order.get_status_display()).lower()},
        )
        return self.decided(request, order, response)

    def deny_view(self, request, object_id):
        order, response = self.posted_order(request, object_id)
        if order is None:
            return response
        reason_code = request.POST.get("reason_code", "")
        try:
            order_deny(
                order=order,
                approver=request.user,
                reason_code=reason_code,
                note=request.POST.get("note", "").strip(),
            )
        except DomainError as refused:
            self.refuse(request, refused)
            return response
        self.log_change(request, order, "Denied.")
        messages.success(
            request,
            gettext("Order %(order)s denied (%(reason)s): it is canceled and its stock released.")
            % {"order": order.main_order_id, "reason": DenyReason(reason_code).label},
        )
        return self.decided(request, order, response)

    def refuse_handling(self, request, order) -> bool:
        if request.user.has_perm(HANDLE_ORDERS, order):
            return False
        messages.error(
            request,
            gettext("Only an Owner or OMS Full user may handle or invoice order %(order)s.")
            % {"order": order.main_order_id},
        )
        return True

    def start_handling_view(self, request, object_id):
        order, response = self.posted_order(request, object_id)
        if order is None or self.refuse_handling(request, order):
            return response
        try:
            order_start_handling(order=order, actor=Actor.of_user(request.user))
        except DomainError as refused:
            admin_refusal(request, refused)
            return response
        self.log_change(request, order, "Handling started.")
        messages.success(
            request, gettext("Order %(order)s is now being handled.") % {"order": order.main_order_id}
        )
        return response

    def invoice_view(self, request, object_id):
        order, response = self.posted_order(request, object_id)
        if order is None or self.refuse_handling(request, order):
            return response
        invoice_number = request.POST.get("invoice_number", "")
        try:
            order_invoice(order=order, actor=Actor.of_user(request.user), invoice_number=invoice_number)
        except DomainError as refused:
            admin_refusal(request, refused)
            return response
        self.log_change(request, order, f"Invoiced ({invoice_number.strip()}).")
        messages.success(
            request,
            gettext("Order %(order)s invoiced: invoice %(invoice)s.")
            % {"order": order.main_order_id, "invoice": invoice_number.strip()},
        )
        return response


def back_to(request, order) -> str:
    """Where a button returns: the page that posted it (`next`, the queue as it was filtered) when
    that is on this site, else the order's page."""
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return reverse("admin:orders_order_change", args=[order.pk])
