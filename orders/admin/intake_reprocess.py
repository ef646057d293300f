"""Reprocessing connection orders from the admin: the list's actions and the record page's buttons.

The record page's buttons lead to a page saying what will happen; only its confirmation reprocesses.
Owner and OMS Full may reprocess (`orders.reprocess_intake`).
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.roles import REPROCESS_INTAKE
from connectors.codes import code_text
from kit.money import money

from ..events import Actor
from ..intake.receive import intake_reprocess
from ..models import IntakeRecord
from ..statuses import IntakeStatus

REPROCESSABLE = frozenset({IntakeStatus.HELD, IntakeStatus.REJECTED, IntakeStatus.FAILED})
# Refused as a duplicate: the order exists already, and reprocessing would only be refused again.
DUPLICATE = "EOI007"


# A marketplace's approval of an order still waiting for the seller is kept (EOI011) and applied
# when the seller approves: the contract counts it as not integrated, but it is no failure.
REMEMBERED = "EOI011"


def reprocessing_helps(intake: IntakeRecord) -> tuple[bool, bool]:
    """What reprocessing could change for the record: (reprocess, ignore its divergence).

    Nothing for a duplicate; ignoring the divergence only where a divergence held or refused it.
    """
    if intake.status not in REPROCESSABLE or intake.code in (DUPLICATE, REMEMBERED):
        return False, False
    divergent = intake.status == IntakeStatus.HELD or any(
        isinstance(error, dict) and error.get("code") == "DIVERGENCE" for error in intake.errors or []
    )
    return True, divergent


def payment_cents(intake: IntakeRecord) -> int | None:
    """What the marketplace says it pays (`marketplacePaymentValue`), if the body holds a whole number."""
    value = intake.body.get("marketplacePaymentValue") if isinstance(intake.body, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class ReprocessAdmin:
    """Reprocessing for the connection orders' admin."""

    def has_reprocess_permission(self, request, obj=None):
        if obj is None:
            return request.user.has_perm(REPROCESS_INTAKE)
        return request.user.has_perm(REPROCESS_INTAKE, obj)

    @admin.action(description=_("Reprocess"), permissions=["reprocess"])
    def reprocess(self, request, queryset):
        self.reprocess_records(request, queryset.select_related("connector"), ignore_divergence=False)

    @admin.action(description=_("Ignore divergence and reprocess"), permissions=["reprocess"])
    def reprocess_ignoring_divergence(self, request, queryset):
        self.reprocess_records(request, queryset.select_related("connector"), ignore_divergence=True)

    def reprocess_records(self, request, records, *, ignore_divergence: bool) -> None:
        """Reprocess each record the user may, and say in a message what became of each."""
        actor = Actor.of_user(request.user)
        for intake in records:
            label = f"{intake.connector.affiliate_id} {intake.marketplace_order_id}"
            if not self.has_reprocess_permission(request, intake):
                messages.error(
                    request,
                    gettext("%(row)s: only an Owner or OMS Full user may reprocess it.") % {"row": label},
                )
                continue
            if intake.status not in REPROCESSABLE:
                messages.warning(
                    request,
                    gettext(
                        "%(row)s: not reprocessed, it is %(status)s; only held, rejected or failed "
                        "connection orders are."
                    )
                    % {"row": label, "status": str(intake.get_status_display()).lower()},
                )
                continue
            if intake.code == DUPLICATE:
                messages.warning(
                    request,
                    gettext(
                        "%(row)s: not reprocessed, it is a duplicate of an order that exists already; "
                        "reprocessing it would be refused again."
                    )
                    % {"row": label},
                )
                continue
            if not intake_reprocess(intake=intake, actor=actor, ignore_divergence=ignore_divergence):
                messages.warning(
                    request,
                    gettext("%(row)s: not reprocessed, it moved on in the meantime.") % {"row": label},
                )
                continue
            self.log_change(
                request,
                intake,
                "Reprocessed ignoring the divergence." if ignore_divergence else "Reprocessed.",
            )
            # Not refresh_from_db(): the record may be gone already, its connector or account deleted.
            intake = IntakeRecord.objects.select_related("order").filter(pk=intake.pk).first()
            if intake is None:
                messages.warning(
                    request,
                    gettext("%(row)s: sent for reprocessing, but it was deleted meanwhile.") % {"row": label},
                )
                continue
            level, text = self.reprocess_outcome(intake, ignore_divergence=ignore_divergence)
            messages.add_message(request, level, f"{label}: {text}")

    def reprocess_outcome(self, intake, *, ignore_divergence: bool) -> tuple[int, str]:
        """Describe where a reprocessed record stands: done already, or queued for the worker."""
        how = gettext(" ignoring the divergence") if ignore_divergence else ""
        if intake.status == IntakeStatus.INTEGRATED:
            return messages.SUCCESS, gettext("reprocessed%(how)s, integrated as order %(order)s.") % {
                "how": how,
                "order": intake.order.main_order_id,
            }
        if intake.status == IntakeStatus.REJECTED:
            reason = "; ".join(error.get("description", "") for error in intake.errors)
            return messages.WARNING, gettext("reprocessed%(how)s, rejected again (%(code)s): %(reason)s") % {
                "how": how,
                "code": code_text(intake.code),
                "reason": reason,
            }
        if intake.status == IntakeStatus.HELD:
            return messages.WARNING, gettext("reprocessed%(how)s, held again: %(reason)s") % {
                "how": how,
                "reason": intake.held_reason,
            }
        if intake.status == IntakeStatus.FAILED:
            return messages.ERROR, gettext("reprocessing%(how)s failed: %(error)s") % {
                "how": how,
                "error": intake.last_error,
            }
        return messages.SUCCESS, gettext(
            "sent for reprocessing%(how)s; its status here follows once it is processed."
        ) % {"how": how}

    def get_urls(self):
        return [
            path(
                "<path:object_id>/reprocess/",
                self.admin_site.admin_view(self.reprocess_view),
                name="orders_intakerecord_reprocess",
            ),
            *super().get_urls(),
        ]

    def reprocess_view(self, request, object_id):
        """Say what reprocessing the record will do; reprocess it once the user confirms."""
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        intake = self.get_object(request, unquote(object_id))
        if intake is None:
            raise Http404(gettext("No such connection order."))
        if not self.has_reprocess_permission(request, intake):
            raise PermissionDenied
        ignore_divergence = request.POST.get("ignore_divergence", request.GET.get("ignore_divergence")) == "1"
        change_url = reverse("admin:orders_intakerecord_change", args=[intake.pk])
        if request.method == "POST" and "confirm" in request.POST:
            self.reprocess_records(request, [intake], ignore_divergence=ignore_divergence)
            return redirect(change_url)
        if ignore_divergence:
            title = gettext("Ignore the divergence and reprocess %(order)s?")
        else:
            title = gettext("Reprocess %(order)s?")
        context = {
            **self.admin_site.each_context(request),
            "title": title % {"order": intake.marketplace_order_id},
            "opts": self.opts,
            "original": intake,
            "change_url": change_url,
            "ignore_divergence": ignore_divergence,
            "paid": money(payment_cents(intake), intake.account.currency),
        }
        return TemplateResponse(request, "admin/orders/intakerecord/reprocess_confirmation.html", context)

    def reprocess_offers(self, request, intake) -> dict:
        """The detail page's buttons: only the reprocessing that could help, for who may."""
        if not self.has_reprocess_permission(request, intake):
            return {"may_reprocess": False, "may_ignore_divergence": False}
        reprocess, ignore = reprocessing_helps(intake)
        return {"may_reprocess": reprocess, "may_ignore_divergence": ignore}
