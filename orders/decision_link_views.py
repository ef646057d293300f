"""The page a decision link opens (`/decide/<token>`), outside the admin and without signing in.

GET shows the order and the approve and deny forms, and changes nothing: link scanners and mail
previewers open links. Only the form's POST decides (`orders.decision_links.decision_link_decide`),
protected by Django's CSRF cookie, which works for a browser with no session. The page speaks the
approver's language and the account's time zone, and grants nothing else: no session, no other order.
"""

from django.contrib import admin
from django.db.models import prefetch_related_objects
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.selectors import mail_language
from kit.errors import DomainError

from .admin.forms import ApproveForm, DenyForm
from .approvals import order_admin_url
from .decision_link_use import APPROVE, DENY, LinkUnknown, decision_link_decide, link_refusal
from .decision_links import decision_link_of
from .explained import explanation_words
from .selectors import order_explanations

TEMPLATE = "orders/decide.html"


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def decide(request, token: str):
    link = decision_link_of(token)
    if link is None:
        return _page(request, {"title": gettext("This link cannot be used"), "refusal": LinkUnknown()}, 404)
    order = link.order
    with (
        translation.override(mail_language(email=link.approver.email)),
        timezone.override(order.account.time_zone),
    ):
        if request.method == "POST":
            return _post(request, link)
        refusal = link_refusal(link, user=request.user)
        if refusal is not None:
            return _refused(request, link, refusal)
        return _confirmation(request, link)


def _post(request, link):
    action = request.POST.get("action")
    form = (
        DenyForm(request.POST, prefix=DENY) if action == DENY else ApproveForm(request.POST, prefix=APPROVE)
    )
    refusal = link_refusal(link, user=request.user)
    if refusal is not None:
        return _refused(request, link, refusal)
    if action not in (APPROVE, DENY) or not form.is_valid():
        forms = {"deny_form": form} if action == DENY else {"approve_form": form}
        return _confirmation(request, link, status=400, **forms)
    try:
        order = decision_link_decide(
            link=link,
            decision=action,
            reason_code=form.cleaned_data.get("reason_code", ""),
            note=form.cleaned_data.get("note", ""),
            user=request.user,
        )
    except DomainError as refused:
        return _refused(request, link, refused)
    done = (
        gettext("Order %(order)s is approved.")
        if action == APPROVE
        else gettext("Order %(order)s is denied.")
    )
    context = {
        "title": done % {"order": order.main_order_id},
        "done": True,
        "order": order,
        "order_url": order_admin_url(order),
    }
    return _page(request, context, 200)


def _confirmation(request, link, *, status=200, approve_form=None, deny_form=None):
    order = link.order
    prefetch_related_objects([order], "items")
    explanation = order_explanations([order])[order.pk]
    context = {
        "title": gettext("Decide order %(order)s") % {"order": order.main_order_id},
        "order": order,
        "link": link,
        "currency": order.account.currency,
        "explanation": explanation_words(explanation, order.account.currency),
        "approve_form": approve_form or ApproveForm(prefix=APPROVE),
        "deny_form": deny_form or DenyForm(prefix=DENY),
        "order_url": order_admin_url(order),
    }
    return _page(request, context, status)


def _refused(request, link, refusal: DomainError):
    context = {
        "title": gettext("This link cannot decide order %(order)s") % {"order": link.order.main_order_id},
        "refusal": refusal,
        "order": link.order,
        "order_url": order_admin_url(link.order),
    }
    return _page(request, context, refusal.status)


def _page(request, context: dict, status: int):
    response = render(request, TEMPLATE, {**admin.site.each_context(request), **context}, status=status)
    # The token is in the address: no search engine keeps it, and the site's same-origin referrer
    # policy tells it to no other site. (No referrer at all would make the browser post the form
    # from origin "null", which the CSRF check refuses.)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
