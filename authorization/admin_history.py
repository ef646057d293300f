"""The rule's history in the admin: every change, and an earlier version brought back as a draft.

Restoring saves nothing: the version's bands open in the editor as a draft, based on the rule's
version of the moment, and saving it goes through `rule_replace` like any save, so a change
someone made meanwhile is refused with their name rather than overwritten. Only who may edit the
rule (`authorization.edit_rule` on the account) restores it.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext

from accounts.roles import EDIT_RULE

from . import rule_editor, rule_history
from .services import rule_version

TEMPLATES = "admin/authorization/rule_editor"


class RuleHistoryViews:
    """The history views of `PriceDivergenceRuleAdmin`, which gives `account_or_404`, `context`,
    `url` and `editor_page`."""

    def rule_history_view(self, request, account_id):
        """List every change to the account's rule: who, when, the bands before and after."""
        account = self.account_or_404(request, account_id)
        revisions = rule_history.rule_revisions(account=account)
        page = Paginator(revisions, 50).get_page(request.GET.get("page"))
        return TemplateResponse(
            request,
            f"{TEMPLATES}/history.html",
            self.context(
                request,
                account,
                title=gettext("History of the price divergence rule of %(account)s") % {"account": account},
                page=page,
                can_edit=request.user.has_perm(EDIT_RULE, account),
                revisions=self.revisions_shown(request, account, page.object_list),
            ),
        )

    def restore_view(self, request, account_id, revision_id):
        """Open the editor with an earlier version's bands as a draft, not saved yet."""
        account = self.account_or_404(request, account_id)
        if not request.user.has_perm(EDIT_RULE, account):
            raise PermissionDenied
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        revision = self.restoring_of(account, revision_id)
        bands = rule_history.revision_bands(revision)
        if not bands:
            messages.info(
                request,
                gettext("Version %(number)s deleted the rule: it has no bands to restore.")
                % {"number": revision.number},
            )
            return redirect(self.url("rule_history", account))
        formset = rule_editor.band_formset(bands=bands, currency=account.currency)
        return self.editor_page(request, account, formset=formset, bar_bands=bands, restoring=revision)

    @staticmethod
    def restoring_of(account, revision_id):
        """The account's revision `revision_id` names, numbered; None without one; 404 for another's."""
        number = rule_editor.parse_version(revision_id)
        if number is None:
            return None
        revision = rule_history.rule_revisions(account=account).filter(pk=number).first()
        if revision is None:
            raise Http404("No such version of the rule.")
        return revision

    def revisions_shown(self, request, account, revisions):
        """Each change with its bands before and after, and where to restore it when it may be."""
        may_restore = request.user.has_perm(EDIT_RULE, account)
        current = rule_version(account=account)
        shown = []
        for revision in revisions:
            before, after = rule_history.revision_lines(revision, currency=account.currency)
            restorable = may_restore and revision.bands_after and revision.pk != current
            shown.append(
                {
                    "revision": revision,
                    "before": before,
                    "after": after,
                    "restore_url": restorable and self.restore_url(account, revision),
                }
            )
        return shown

    def restore_url(self, account, revision):
        return reverse(
            f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_restore",
            kwargs={"account_id": account.pk, "revision_id": revision.pk},
        )
