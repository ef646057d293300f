"""The denial form, shared by the order page and the queue's bulk denial, and the bulk approval's note."""

from django import forms
from django.utils.translation import gettext_lazy as _

from authorization.models import DenyReason

from ..approvals import DENY_NOTE_MAX


class DenyForm(forms.Form):
    """A denial's reason, from a fixed list, and a note; both go to the connector."""

    reason_code = forms.ChoiceField(
        label=_("Reason"), choices=[("", "---------"), *DenyReason.chosen_by_people()]
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=DENY_NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Why the order is denied; the connector is told."),
    )


class ApproveForm(forms.Form):
    """An approval's optional note, kept in each order's history."""

    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=DENY_NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Optional: why the orders are approved, kept in each order’s history."),
    )
