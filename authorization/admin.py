"""The price divergence rule in the admin: the editor of one account's rule, its history, deletion.

The rule is edited per account, not per row: "Price divergence rule" in the admin index leads
straight to the editor of the user's account, or to the list of their accounts when they have
several. Every save and delete goes through `rule_replace` / `rule_delete` with the user as
actor; Owner and OMS Full edit (`authorization.edit_rule` on the account), every other member
of the account sees the same page read-only.
"""

import json

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import number_format
from django.utils.translation import gettext

from accounts.admin_base import AccountScopedAdmin
from accounts.roles import EDIT_RULE
from accounts.selectors import accounts_for, accounts_listed, possible_approvers

from . import rule_bar, rule_editor, rule_history
from .admin_history import RuleHistoryViews
from .decision import decide_divergence
from .models import PriceDivergenceRule
from .selectors import rule_bands, rule_of
from .services import RuleChanged, RuleInvalid, rule_check, rule_delete, rule_replace, rule_version

TEMPLATES = "admin/authorization/rule_editor"


@admin.register(PriceDivergenceRule)
class PriceDivergenceRuleAdmin(RuleHistoryViews, AccountScopedAdmin):
    # What replays a draft over the account's past orders (`insight/replay_shown.py`): insight, above this
    # app, installs it when it is ready. None: the editor offers no replay.
    replay = None

    def get_urls(self):
        def name(view):
            return f"{self.opts.app_label}_{self.opts.model_name}_{view}"

        wrap = self.admin_site.admin_view
        return [
            path("account/<int:account_id>/", wrap(self.editor_view), name=name("editor")),
            path("account/<int:account_id>/preview/", wrap(self.preview_view), name=name("preview")),
            path("account/<int:account_id>/replay/", wrap(self.replay_view), name=name("replay")),
            path("account/<int:account_id>/delete/", wrap(self.delete_rule_view), name=name("delete_rule")),
            path(
                "account/<int:account_id>/history/", wrap(self.rule_history_view), name=name("rule_history")
            ),
            path(
                "account/<int:account_id>/history/<int:revision_id>/restore/",
                wrap(self.restore_view),
                name=name("restore"),
            ),
            *super().get_urls(),
        ]

    def has_add_permission(self, request):
        return False  # a rule is created by saving the editor of an account that has none

    def url(self, view, account):
        return reverse(
            f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_{view}",
            kwargs={"account_id": account.pk},
        )

    def account_or_404(self, request, account_id):
        """Return the account if the user is in it; other accounts do not exist for them."""
        account = accounts_for(user=request.user).filter(pk=account_id).first()
        if account is None:
            raise Http404("No such account.")
        return account

    def context(self, request, account=None, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "account": account,
            "editor_url": account and self.url("editor", account),
            "history_url": account and self.url("rule_history", account),
            "delete_url": account and self.url("delete_rule", account),
            "preview_url": account and self.url("preview", account),
            "replay_url": account and self.replay and self.url("replay", account),
            "replay_days": self.replay and self.replay.DEFAULT_DAYS,
            "replay_most": self.replay and number_format(self.replay.MOST_SUBMISSIONS, force_grouping=True),
            "changelist_url": reverse(
                f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_changelist"
            ),
            "several_accounts": accounts_for(user=request.user).count() > 1,
            **extra,
        }

    # The default object views lead to the account's editor.

    def changelist_view(self, request, extra_context=None):
        """Open the editor of the user's account, or list their accounts when they have several."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        accounts = accounts_listed(user=request.user)
        if len(accounts) == 1:
            return redirect(self.url("editor", accounts[0]))
        rules = {
            rule.account_id: rule
            for rule in PriceDivergenceRule.objects.filter(account__in=accounts)
            .select_related("updated_by")
            .prefetch_related("bands")
        }
        rows = []
        for account in accounts:
            rule = rules.get(account.pk)
            rows.append(
                {
                    "account": account,
                    "url": self.url("editor", account),
                    "summary": rule_bar.rule_summary(rule_bands(rule=rule)),
                    "rule": rule,
                    "can_edit": request.user.has_perm(EDIT_RULE, account),
                }
            )
        return TemplateResponse(
            request,
            f"{TEMPLATES}/account_list.html",
            self.context(request, title=gettext("Price divergence rules"), rows=rows),
        )

    def _rule_or_404(self, request, object_id):
        rule = self.get_object(request, unquote(object_id))
        if rule is None:
            raise Http404("No such rule.")
        return rule

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return redirect(self.url("editor", self._rule_or_404(request, object_id).account))

    def delete_view(self, request, object_id, extra_context=None):
        return redirect(self.url("delete_rule", self._rule_or_404(request, object_id).account))

    def history_view(self, request, object_id, extra_context=None):
        return redirect(self.url("rule_history", self._rule_or_404(request, object_id).account))

    # The editor.

    def editor_view(self, request, account_id):
        """Show the account's rule; save the posted bands through `rule_replace`."""
        account = self.account_or_404(request, account_id)
        can_edit = request.user.has_perm(EDIT_RULE, account)
        saved_bands = rule_bands(rule=rule_of(account=account))
        if request.method == "GET":
            formset = rule_editor.band_formset(
                bands=saved_bands, read_only=not can_edit, currency=account.currency
            )
            if saved_bands:
                # The saved rule can have gone stale, e.g. an approver who left the account.
                check = rule_check(account=account, bands=saved_bands)
                draft = rule_editor.Draft(
                    formset=formset, bands=saved_bands, form_indexes=list(range(len(saved_bands)))
                )
                draft.attach(errors=check.errors, warnings=check.warnings)
            return self.editor_page(request, account, formset=formset, bar_bands=saved_bands)
        if request.method != "POST":
            return HttpResponseNotAllowed(["GET", "POST"])
        if not can_edit:
            raise PermissionDenied
        restoring = self.restoring_of(account, request.POST.get("restored_from"))
        formset = rule_editor.band_formset(data=request.POST, currency=account.currency)
        if not formset.is_valid():
            return self.editor_page(request, account, formset=formset, restoring=restoring)
        draft = rule_editor.draft_of(formset)
        conflict = ""
        try:
            _, warnings = rule_replace(
                account=account,
                bands=draft.bands,
                actor=request.user,
                based_on=rule_editor.parse_version(request.POST.get("based_on")),
                restored_from=restoring,
            )
        except RuleInvalid as invalid:
            draft.attach(errors=invalid.problems, warnings=invalid.warnings)
        except RuleChanged as changed:
            # Their change is in "Recent changes" below; saving again replaces it knowingly.
            conflict = gettext("%(changed)s Compare with their change below; save again to replace it.") % {
                "changed": changed
            }
        else:
            saved = gettext("The price divergence rule of %(account)s was saved.") % {"account": account}
            if restoring:
                saved = gettext(
                    "The price divergence rule of %(account)s was saved: version %(number)s restored."
                ) % {
                    "account": account,
                    "number": restoring.number,
                }
            messages.success(request, saved)
            for warning in warnings:
                messages.warning(request, draft.describe(warning))
            return redirect(self.url("editor", account))
        return self.editor_page(
            request, account, formset=formset, bar_bands=draft.bands, conflict=conflict, restoring=restoring
        )

    def editor_page(self, request, account, *, formset, bar_bands=None, conflict="", restoring=None):
        """The editor showing `formset`: the saved rule on a GET, else a draft not saved yet.

        `restoring`: the earlier version the draft brings back (`rule_history.rule_revisions`).
        """
        can_edit = request.user.has_perm(EDIT_RULE, account)
        rule = rule_of(account=account)
        saved_bands = rule_bands(rule=rule)
        bar_bands = saved_bands if bar_bands is None else bar_bands
        preview = None
        if "at" in request.GET:
            at = rule_editor.parse_percent(request.GET["at"])
            preview = (
                rule_editor.describe_decision(self._decide(account, saved_bands, at), account=account)
                if at is not None
                else gettext("Type a percentage, e.g. %(example)s.") % {"example": number_format(12.5)}
            )
        return TemplateResponse(
            request,
            f"{TEMPLATES}/editor.html",
            self.context(
                request,
                account,
                title=gettext("Price divergence rule of %(account)s") % {"account": account},
                rule=rule,
                formset=formset,
                can_edit=can_edit,
                bar=rule_bar.bar_of(bar_bands),
                bar_scale=rule_bar.bar_scale(bar_bands),
                bar_scales=json.dumps(rule_bar.bar_scales(bar_bands)),
                approver_options=possible_approvers(account=account),
                recent_revisions=self.revisions_shown(
                    request, account, rule_history.rule_revisions(account=account)[:5]
                ),
                preview_at=request.GET.get("at", ""),
                preview=preview,
                # A draft shown again keeps the version it was based on, until a conflict was shown.
                based_on=(
                    request.POST.get("based_on", "")
                    if request.method == "POST" and not conflict
                    else rule_version(account=account)
                ),
                conflict=conflict,
                restoring=restoring,
                # A draft shown again, or a version being restored, is not saved.
                unsaved=request.method == "POST" or restoring is not None,
            ),
        )

    @staticmethod
    def _decide(account, bands, at):
        return decide_divergence(
            bands=bands, divergence_percent=at, overpayment_is_divergence=account.overpayment_is_divergence
        )

    def preview_view(self, request, account_id):
        """Answer what the posted draft decides at `at` % and what is wrong with it, as JSON."""
        account = self.account_or_404(request, account_id)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if request.user.has_perm(EDIT_RULE, account):
            draft = rule_editor.draft_of(
                rule_editor.band_formset(data=request.POST, currency=account.currency)
            )
        else:
            # Read-only users cannot change the draft: answer for the saved rule.
            saved = rule_bands(rule=rule_of(account=account))
            draft = rule_editor.Draft(
                formset=rule_editor.band_formset(bands=saved, read_only=True, currency=account.currency),
                bands=saved,
                form_indexes=list(range(len(saved))),
            )
        check = rule_check(account=account, bands=draft.bands)
        answer = {
            "errors": draft.field_errors + draft.problems_json(check.errors, "error"),
            "warnings": draft.problems_json(check.warnings, "warning"),
            "decision": None,
            "scales": rule_bar.bar_scales(draft.bands),
        }
        at = rule_editor.parse_percent(request.POST.get("at", ""))
        if at is not None:
            answer["decision"] = rule_editor.decision_json(
                self._decide(account, draft.bands, at), draft=draft, account=account
            )
        return JsonResponse(answer)

    def replay_view(self, request, account_id):
        """Replay the account's recent submissions under the posted draft, beside what happened.

        Owner and OMS Full replay the draft as edited; every other member of the account, who
        cannot edit, replays the saved rule. Answers the result's HTML: a fragment for the
        editor's script (`?fragment=1`), or a page of its own without JavaScript.
        """
        account = self.account_or_404(request, account_id)
        replay = self.replay
        if replay is None:
            raise Http404("No replay here.")
        if request.method != "POST":
            return redirect(self.url("editor", account))
        fragment = request.GET.get("fragment") == "1"
        can_edit = request.user.has_perm(EDIT_RULE, account)
        if can_edit:
            draft = rule_editor.draft_of(
                rule_editor.band_formset(data=request.POST, currency=account.currency)
            )
            check = rule_check(account=account, bands=draft.bands)
            problems = [problem["message"] for problem in draft.field_errors] + [
                draft.describe(problem) for problem in check.errors
            ]
            bands = draft.bands
        else:
            bands, problems = rule_bands(rule=rule_of(account=account)), []
        context = self.context(
            request,
            account,
            title=gettext("Replay of the price divergence rule of %(account)s") % {"account": account},
            can_edit=can_edit,
            problems=problems,
            bar=rule_bar.bar_of(bands),
        )
        if not problems:
            try:
                days = int(request.POST.get("replay_days") or replay.DEFAULT_DAYS)
            except ValueError:
                days = replay.DEFAULT_DAYS
            context.update(replay.shown(replay.replay_draft(account=account, bands=bands, days=days)))
        template = f"{TEMPLATES}/{'_replay.html' if fragment else 'replay.html'}"
        return TemplateResponse(request, template, context, status=400 if problems and fragment else 200)

    def delete_rule_view(self, request, account_id):
        """Ask for confirmation, then delete the account's rule for good through `rule_delete`."""
        account = self.account_or_404(request, account_id)
        if not request.user.has_perm(EDIT_RULE, account):
            raise PermissionDenied
        rule = rule_of(account=account)
        if rule is None:
            messages.info(
                request, gettext("%(account)s has no price divergence rule to delete.") % {"account": account}
            )
            return redirect(self.url("editor", account))
        if request.method == "POST":
            try:
                rule_delete(
                    account=account,
                    actor=request.user,
                    based_on=rule_editor.parse_version(request.POST.get("based_on")),
                )
            except RuleChanged as changed:
                messages.error(
                    request,
                    gettext("%(changed)s Look at the rule as it is now before deleting it.")
                    % {"changed": changed},
                )
                return redirect(self.url("editor", account))
            messages.success(
                request,
                gettext(
                    "The price divergence rule of %(account)s was deleted. Divergent orders are now "
                    "decided as without a rule."
                )
                % {"account": account},
            )
            return redirect(self.url("editor", account))
        return TemplateResponse(
            request,
            f"{TEMPLATES}/delete_confirmation.html",
            self.context(
                request,
                account,
                title=gettext("Delete the price divergence rule?"),
                rule=rule,
                bar=rule_bar.bar_of(rule_bands(rule=rule)),
                band_lines=[
                    rule_history.describe_band_row(band.as_dict(), currency=account.currency)
                    for band in rule_bands(rule=rule)
                ],
                based_on=rule_version(account=account),
            ),
        )
