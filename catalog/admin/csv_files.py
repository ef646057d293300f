"""CSV import into one account the user may change, and CSV export for every reader.

The import previews first, names every bad row, and saves all rows or none.
"""

from django import forms
from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.http import HttpResponseRedirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV
from import_export.forms import ExportForm, ImportForm

from accounts.models import Account
from accounts.selectors import accounts_where
from kit.admin_lists import list_refused, perm_name

from ..imports import OwnedImportMixin


class AccountImportForm(ImportForm):
    account = forms.ModelChoiceField(
        queryset=Account.objects.none(),
        label=_("Account"),
        help_text=_("Every row of the file goes into this account."),
    )
    field_order = ["account", "resource", "import_file", "format"]


class AccountImportExportMixin(OwnedImportMixin, ImportExportMixin):
    """CSV import into one account the user may change; CSV export for whoever may view."""

    formats = [CSV]
    import_form_class = AccountImportForm
    export_form_class = ExportForm

    def import_accounts(self, request):
        return accounts_where(request.user, perm_name(self.opts, "change"))

    def has_import_permission(self, request):
        return self.import_accounts(request).exists()

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def export_action(self, request):
        try:
            return super().export_action(request)
        except IncorrectLookupParameters:
            return list_refused(self)

    def create_import_form(self, request):
        form = super().create_import_form(request)
        accounts = self.import_accounts(request)
        form.fields["account"].queryset = accounts
        form.fields["import_file"].help_text = self.get_import_resource_classes(request)[0].import_help
        if len(accounts) == 1:
            form.fields["account"].initial = accounts[0].pk
        return form

    def create_confirm_form(self, request, import_form=None):
        form = super().create_confirm_form(request, import_form)
        form.fields["account"].queryset = self.import_accounts(request)
        return form

    def get_import_resource_kwargs(self, request, **kwargs):
        form = kwargs.get("form")
        account = getattr(form, "cleaned_data", {}).get("account") if form is not None else None
        return {"account": account}

    def get_export_resource_kwargs(self, request, **kwargs):
        return {}

    def get_import_data_kwargs(self, **kwargs):
        kwargs.pop("form", None)
        kwargs["rollback_on_validation_errors"] = True
        return kwargs

    def process_result(self, result, request):
        """Say so when rows that passed the preview fail on confirmation (nothing was saved)."""
        if result.has_errors() or result.has_validation_errors():
            lines = sorted(
                {line for line, _ in result.row_errors()} | {row.number for row in result.invalid_rows}
            )
            if lines:
                said = gettext(
                    "Nothing was imported: the file no longer passes the checks (lines %(lines)s). "
                    "Upload it again to see why."
                ) % {"lines": ", ".join(map(str, lines))}
            else:
                said = gettext(
                    "Nothing was imported: the file no longer passes the checks. Upload it again to see why."
                )
            messages.error(request, said)
            return HttpResponseRedirect(self.import_url())
        return super().process_result(result, request)
