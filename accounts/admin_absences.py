"""Absences in the admin: each approver sets their own, the account's Owner anyone's.

Every member of an account sees its absences. A new absence is set through the service
(`accounts.absences.absence_set`), which replaces any of the member's it overlaps; deleting one
ends it now (one not begun is removed). An absence is not edited in place: set it again.
"""

from datetime import timedelta

from django import forms
from django.contrib import admin
from django.contrib.admin.options import ActionLocation
from django.contrib.auth import get_user_model
from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kit.admin_display import ADMIN_CSS

from .absences import AbsenceRefused, absence_end, absence_set
from .admin_base import AccountScopedAdmin, FormsKnowTheRequest, managed_accounts
from .backends import account_roles
from .models import Absence
from .roles import DECIDING_ROLES, MANAGE_ABSENCES

# The service's fields, as the form names them.
FORM_FIELDS = {"endsAt": "ends_at", "startsAt": "starts_at", "substitute": "substitute", "user": "user"}
LOCAL_MOMENT = "%Y-%m-%dT%H:%M"


def deciding_members(accounts, *, first):
    """The active users who may decide orders in any of the accounts, `first` on top, then by e-mail."""
    return (
        get_user_model()
        .objects.filter(
            memberships__account__in=accounts, memberships__role__in=DECIDING_ROLES, is_active=True
        )
        .exclude(email="")
        .distinct()
        .annotate(
            yourself=Case(When(pk=first.pk, then=Value(0)), default=Value(1), output_field=IntegerField())
        )
        .order_by("yourself", "email")
    )


class MemberChoice(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return user.email


class AbsenceForm(forms.ModelForm):
    """Who is away (oneself, or for the Owner anyone of their account), from when until when, and
    who covers. The account's rules are the service's; its refusals are the form's errors."""

    user = MemberChoice(queryset=get_user_model().objects.none(), label=_("absent"))
    substitute = MemberChoice(
        queryset=get_user_model().objects.none(),
        label=_("substitute"),
        required=False,
        help_text=_(
            "Who decides in their place meanwhile. Without one, their turn passes to the next approver."
        ),
    )
    starts_at = forms.DateTimeField(
        label=_("from"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_MOMENT)
    )
    ends_at = forms.DateTimeField(
        label=_("until"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_MOMENT)
    )

    class Meta:
        model = Absence
        fields = ["user", "account", "substitute", "starts_at", "ends_at"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.saved = None
        reader = request.user
        accounts = managed_accounts(reader, Absence._meta)
        owned = [
            account
            for account in accounts
            if reader.is_superuser or reader.has_perm(MANAGE_ABSENCES, account)
        ]
        self.fields["user"].queryset = (
            deciding_members(owned or accounts, first=reader)
            if owned
            else get_user_model().objects.filter(pk=reader.pk)
        )
        self.fields["substitute"].queryset = deciding_members(accounts, first=reader)
        now = timezone.localtime().replace(second=0, microsecond=0)
        self.initial.setdefault("starts_at", now)
        self.initial.setdefault("ends_at", now + timedelta(days=7))
        self.initial.setdefault("user", reader.pk)

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self.saved = absence_set(
                account=cleaned["account"],
                user=cleaned["user"],
                starts_at=cleaned["starts_at"],
                ends_at=cleaned["ends_at"],
                substitute=cleaned.get("substitute"),
                actor=self.request.user,
            )
        except AbsenceRefused as refused:
            self.add_error(FORM_FIELDS.get(refused.field), refused.message)
        return cleaned


@admin.register(Absence)
class AbsenceAdmin(FormsKnowTheRequest, AccountScopedAdmin):
    form = AbsenceForm
    list_display = ["absent_email", "starts_at", "ends_at", "substitute_email", "state", "set_by"]
    list_select_related = ["user", "substitute", "created_by", "account"]
    search_fields = ["user__email", "substitute__email"]
    ordering = ["-ends_at", "-pk"]
    actions = []

    class Media:
        css = ADMIN_CSS

    @admin.display(description=_("absent"), ordering="user__email")
    def absent_email(self, absence):
        return absence.user.email

    @admin.display(description=_("substitute"))
    def substitute_email(self, absence):
        return absence.substitute.email if absence.substitute else gettext("nobody: the next approver")

    @admin.display(description=_("set by"))
    def set_by(self, absence):
        return absence.created_by.email if absence.created_by else "—"

    @admin.display(description=_("state"))
    def state(self, absence):
        now = timezone.now()
        if absence.ends_at <= now:
            return gettext("ended")
        return gettext("in force") if absence.starts_at <= now else gettext("to come")

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        return (
            [*columns, "account"]
            if request.user.is_superuser or len(account_roles(request.user)) > 1
            else columns
        )

    def has_change_permission(self, request, obj=None):
        return False  # set again instead: the service replaces what it overlaps

    def save_model(self, request, obj, form, change):
        # The form's clean set it through the service, in the admin's transaction.
        obj.pk, obj.created_at = form.saved.pk, form.saved.created_at

    def delete_model(self, request, obj):
        absence_end(absence=obj, actor=request.user)

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        # Ending goes through the service, one absence at a time from its page.
        actions = super().get_actions(request, action_location)
        actions.pop("delete_selected", None)
        return actions
