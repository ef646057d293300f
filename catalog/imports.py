"""The CSV import's file between preview and confirmation, bound to the user who uploaded it.

The import page keeps the uploaded file while the user looks at the preview. The library's
confirmation form would name that file, and its default storage would open (then delete) the
named file in the system's temp folder. Here the file goes into the app's own `imports`
storage under a random name, and the confirmation carries only a random token: a
`PendingImport` row, looked up for the requesting user and list, says which file, account,
format and original name the preview was for. A token that is not theirs, of another list,
already used or expired is a form error, and nothing is read or deleted.

`OwnedImportMixin` is the one place every admin import goes through (a test checks that
every `ImportMixin` admin is one); `ImportFiles` is also the library's storage by setting, so
not even a forgotten admin can reach the system temp folder.
"""

import re
import secrets
from datetime import timedelta
from uuid import uuid4

from django import forms
from django.contrib import messages
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportMixin
from import_export.forms import ConfirmImportForm
from import_export.tmp_storages import BaseStorage

from accounts.models import Account

from .models import PendingImport

# A preview not confirmed by then is forgotten, and its file deleted.
PENDING_FOR = timedelta(hours=2)
FILE_NAME = re.compile(r"[0-9a-f]{32}")
TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")

NOT_WAITING = format_lazy(
    _(
        "This import is not waiting for your confirmation: it was confirmed already, it expired "
        "(a preview is kept {hours} hours), or it is not yours. Upload the file again."
    ),
    hours=int(PENDING_FOR.total_seconds() // 3600),
)


def import_storage():
    return storages["imports"]


class ImportFiles(BaseStorage):
    """The library's temporary storage, kept in the `imports` storage under names it chose itself.

    It reads bytes, which the CSV format decodes with the import's encoding.
    """

    def save(self, data):
        self.name = import_storage().save(uuid4().hex, ContentFile(data))

    def read(self):
        with import_storage().open(self._checked_name(), "rb") as file:
            return file.read()

    def remove(self):
        import_storage().delete(self._checked_name())

    def _checked_name(self) -> str:
        # Names come from PendingImport rows only; anything else is a bug, never a file to touch.
        if not isinstance(self.name, str) or not FILE_NAME.fullmatch(self.name):
            raise SuspiciousFileOperation("Not the name of an import's file.")
        return self.name


def imports_sweep(*, now=None) -> int:
    """Forget previews older than `PENDING_FOR` and delete every file older than that; return how many."""
    now = now or timezone.now()
    PendingImport.objects.filter(created_at__lt=now - PENDING_FOR).delete()
    storage = import_storage()
    try:
        _, names = storage.listdir("")
    except FileNotFoundError:
        return 0
    deleted = 0
    for name in names:
        if FILE_NAME.fullmatch(name) and storage.get_modified_time(name) < now - PENDING_FOR:
            storage.delete(name)
            deleted += 1
    return deleted


def pending_import_take(*, user, model_label: str, account, token: str) -> PendingImport | None:
    """Take the user's unexpired preview of this list into this account that `token` names.

    Taken once: a second press of "Confirm import" finds nothing. None when there is no such
    preview, or its file is gone.
    """
    if user is None or not TOKEN.fullmatch(token):
        return None
    pending = PendingImport.objects.filter(
        token=token,
        user=user,
        model_label=model_label,
        account=account,
        created_at__gte=timezone.now() - PENDING_FOR,
    ).first()
    if pending is None or not PendingImport.objects.filter(pk=pending.pk).delete()[0]:
        return None
    return pending if import_storage().exists(pending.file_name) else None


class PendingImportConfirmForm(ConfirmImportForm):
    """Confirm a previewed import by its token; the file, format and account are the preview's own.

    Only the token and the account are read from the request: the rest of the library's
    hidden fields are shown back but replaced by what the preview recorded.
    """

    import_file_name = forms.CharField(widget=forms.HiddenInput, error_messages={"required": NOT_WAITING})
    original_file_name = forms.CharField(widget=forms.HiddenInput, required=False)
    format = forms.CharField(widget=forms.HiddenInput, required=False)
    account = forms.ModelChoiceField(
        queryset=Account.objects.none(),
        widget=forms.HiddenInput,
        error_messages={
            "required": NOT_WAITING,
            "invalid_choice": _("You may not import into this account: nothing was imported."),
        },
    )

    def __init__(self, *args, user=None, model_label="", **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.model_label = model_label

    def clean_import_file_name(self):
        """Keep the token as sent (the library would cut it to its last path component)."""
        return self.cleaned_data["import_file_name"]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        pending = pending_import_take(
            user=self.user,
            model_label=self.model_label,
            account=cleaned["account"],
            token=cleaned["import_file_name"],
        )
        if pending is None:
            raise forms.ValidationError(NOT_WAITING, code="not_waiting")
        cleaned.update(
            import_file_name=pending.file_name,
            original_file_name=pending.original_file_name,
            format=pending.format,
            resource=pending.resource,
        )
        return cleaned


class OwnedImportMixin(ImportMixin):
    """Admin import whose confirmation reads only the file this user previewed in this import.

    The import form must have an `account` field: the account the rows go into.
    """

    tmp_storage_class = ImportFiles
    confirm_form_class = PendingImportConfirmForm

    def import_url(self) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import")

    def get_confirm_form_kwargs(self, request, import_form=None):
        kwargs = super().get_confirm_form_kwargs(request, import_form)
        return {**kwargs, "user": request.user, "model_label": self.opts.label_lower}

    def get_confirm_form_initial(self, request, import_form):
        """Record the previewed file for this user and list; the form carries only its token."""
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is None:
            return initial
        pending = PendingImport.objects.create(
            token=secrets.token_urlsafe(32),
            user=request.user,
            account=import_form.cleaned_data["account"],
            model_label=self.opts.label_lower,
            file_name=initial["import_file_name"],
            original_file_name=initial["original_file_name"][:255],
            format=initial["format"],
            resource=initial["resource"] or "",
        )
        return {**initial, "import_file_name": pending.token, "account": pending.account_id}

    def import_action(self, request, **kwargs):
        """Preview an upload; delete its file at once unless it may be confirmed."""
        response = super().import_action(request, **kwargs)
        if request.method == "POST":
            imports_sweep()
        context = getattr(response, "context_data", None) or {}
        # The library marks the upload with the name it stored it under (the form may have dropped it).
        written = getattr(request.FILES.get("import_file"), "tmp_storage_name", None)
        if written and context.get("confirm_form") is None:
            ImportFiles(name=written).remove()
        return response

    def process_import(self, request, **kwargs):
        """Import the previewed file; a refused confirmation says why on the import page."""
        response = super().process_import(request, **kwargs)
        context = getattr(response, "context_data", None) or {}
        refused = context.get("confirm_form")
        if refused is not None and refused.errors:
            for errors in refused.errors.values():
                for error in errors:
                    messages.error(request, error)
            return HttpResponseRedirect(self.import_url())
        return response
