"""The queue's bulk decisions: approve or deny the selected orders, a few at once and many as a
background job with a progress page, for `WaitingOrderAdmin`."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.roles import DECIDE_ORDER

from .. import bulk
from ..bulk_words import NAMED_MAX, bulk_summary, selection_question, undecidable_words
from ..models import BulkDecision
from ..selectors import bulk_decision_of, selection_totals, selection_undecidable
from .forms import ApproveForm, DenyForm

# The orders a confirmation lists; the rest of a selection is counted.
LISTED_MAX = 200


class BulkDecisions:
    """The queue's actions on a selection, and the progress page of a background one."""

    actions = ["approve_selected", "deny_selected"]

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("bulk/<int:job_id>/", view(self.bulk_progress_view), name="orders_waitingorder_bulk"),
            path(
                "bulk/<int:job_id>/progress.json",
                view(self.bulk_progress_json),
                name="orders_waitingorder_bulk_json",
            ),
            *super().get_urls(),
        ]

    def has_decide_permission(self, request):
        return request.user.has_perm(DECIDE_ORDER)

    def changelist_view(self, request, extra_context=None):
        if (
            request.method == "POST"
            and request.POST.get("action") in self.actions
            and not self.has_decide_permission(request)
        ):
            messages.error(
                request, gettext("You may read the queue but not decide orders: your role does not approve.")
            )
            return redirect(request.get_full_path())
        return super().changelist_view(request, extra_context)

    def selected_ids(self, request, queryset) -> list[int]:
        """Return the ids the user ticked, including orders decided meanwhile: those are reported too."""
        if request.POST.get("select_across") == "1":
            return list(queryset.values_list("pk", flat=True)[: bulk.SELECTION_MAX + 1])
        ids = []
        for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
            if value.isdigit() and int(value) not in ids:
                ids.append(int(value))
        return ids

    @admin.action(description=_("Approve the selected orders…"), permissions=["decide"])
    def approve_selected(self, request, queryset):
        form = ApproveForm(request.POST if "confirm" in request.POST else None)
        return self.confirm_selection(request, queryset, BulkDecision.Action.APPROVE, form)

    @admin.action(description=_("Deny the selected orders…"), permissions=["decide"])
    def deny_selected(self, request, queryset):
        form = DenyForm(request.POST if "confirm" in request.POST else None)
        return self.confirm_selection(request, queryset, BulkDecision.Action.DENY, form)

    def confirm_selection(self, request, queryset, action, form):
        """Decide the selection once confirmed; until then, say how many orders it holds, what was
        paid for them, and which of them the user may not decide."""
        if form.is_bound and form.is_valid():
            return self.decide_selection(
                request, self.selected_ids(request, queryset), action, **form.cleaned_data
            )
        totals = selection_totals(queryset, user=request.user, most=bulk.SELECTION_MAX)
        if totals.count > bulk.SELECTION_MAX:
            return self.say_too_many(request)
        if not totals.count:
            messages.warning(
                request,
                gettext("None of the selected orders waits for a decision any more; nothing was done."),
            )
            return None
        across = request.POST.get("select_across") == "1"
        ticked = list(
            dict.fromkeys(v for v in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME) if v.isdigit())
        )
        orders = list(queryset[:LISTED_MAX])
        approve = action == BulkDecision.Action.APPROVE
        undecidable = ""
        if totals.undecidable:
            names = selection_undecidable(queryset, user=request.user, most=NAMED_MAX)
            undecidable = undecidable_words(names, total=totals.undecidable)
        gone = 0 if across else max(len(ticked) - totals.count, 0)
        return TemplateResponse(
            request,
            f"admin/orders/waitingorder/{action}_selected.html",
            {
                **self.admin_site.each_context(request),
                "title": gettext("Approve the selected orders")
                if approve
                else gettext("Deny the selected orders"),
                "opts": self.opts,
                "form": form,
                "question": selection_question(action, totals),
                "undecidable": undecidable,
                "gone": gone,
                "orders": orders,
                "more": totals.count - len(orders),
                "ticked": ticked,
                "select_across": across,
                "action": f"{action}_selected",
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "back_url": request.get_full_path(),
            },
        )

    def say_too_many(self, request):
        messages.error(
            request,
            gettext("Select at most %(most)s orders at once.")
            % {"most": formats.number_format(bulk.SELECTION_MAX, force_grouping=True)},
        )

    def decide_selection(self, request, ids, action, *, reason_code="", note=""):
        if len(ids) > bulk.SELECTION_MAX:
            return self.say_too_many(request)
        if len(ids) > bulk.inline_max():
            job = bulk.bulk_decision_start(
                user=request.user, order_ids=ids, action=action, reason_code=reason_code, note=note
            )
            if action == BulkDecision.Action.APPROVE:
                started = gettext("%(count)s orders are being approved in the background:")
            else:
                started = gettext("%(count)s orders are being denied in the background:")
            messages.info(
                request,
                format_html(
                    '{} <a href="{}">{}</a>.',
                    started % {"count": len(ids)},
                    reverse("admin:orders_waitingorder_bulk", args=[job.pk]),
                    gettext("follow the progress"),
                ),
            )
            return None
        results = bulk.orders_approve_or_deny(
            user=request.user, order_ids=ids, action=action, reason_code=reason_code, note=note
        )
        level, summary = bulk_summary((result.as_dict() for result in results), action)
        messages.add_message(request, level, summary)
        return None

    def bulk_progress_view(self, request, job_id):
        job = bulk_decision_of(user=request.user, job_id=job_id)
        if job is None:
            raise Http404(gettext("No such bulk decision of yours."))
        return TemplateResponse(
            request,
            "admin/orders/waitingorder/bulk_progress.html",
            {
                **self.admin_site.each_context(request),
                "title": bulk_title(job),
                "opts": self.opts,
                "job": job,
                "progress": bulk_progress(job),
            },
        )

    def bulk_progress_json(self, request, job_id):
        job = bulk_decision_of(user=request.user, job_id=job_id)
        if job is None:
            raise Http404(gettext("No such bulk decision of yours."))
        try:
            since = max(int(request.GET.get("since", 0)), 0)
        except ValueError:
            since = 0
        return JsonResponse(bulk_progress(job, since=since))


def bulk_title(job: BulkDecision) -> str:
    if job.action == BulkDecision.Action.APPROVE:
        return ngettext("Approve %(count)s order", "Approve %(count)s orders", job.total) % {
            "count": job.total
        }
    return ngettext("Deny %(count)s order", "Deny %(count)s orders", job.total) % {"count": job.total}


def bulk_progress(job: BulkDecision, since: int = 0) -> dict:
    results = job.results or []
    level, summary = bulk_summary(results, job.action) if job.state == BulkDecision.State.DONE else (None, "")
    return {
        "summary": summary,
        "summaryLevel": messages.DEFAULT_TAGS.get(level, ""),
        "state": job.state,
        "stateLabel": job.get_state_display(),
        "total": job.total,
        "done": job.done,
        "decided": sum(1 for result in results if result.get("ok")),
        "refused": sum(1 for result in results if not result.get("ok")),
        "results": [
            {
                **result,
                "url": reverse("admin:orders_order_change", args=[result["order"]])
                if result.get("main_order_id")
                else "",
            }
            for result in results[since:]
        ],
    }
