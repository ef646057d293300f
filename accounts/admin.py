"""Admin for accounts, their team members, and the failed logins django-axes records."""

from axes import admin as axes_admin
from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from kit.admin_lists import perm_name

from . import admin_absences  # noqa: F401  (registers the absences' admin)
from .admin_base import AccountScopedAdmin, FormsKnowTheRequest, managed_accounts
from .backends import account_roles
from .models import Account, Membership, time_zones
from .roles import Role
from .selectors import email_normalized, owns, user_by_email
from .services import TeamError, member_add, membership_remove, membership_set


class AccountForm(forms.ModelForm):
    """The account's settings; its time zone chosen from a list, and checked by the model's validator."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("time_zone")
        if field is not None:
            zones = sorted(time_zones())
            current = self.initial.get("time_zone")
            if current and current not in zones:
                # Written before zones were checked: shown as it is (not silently the list's first
                # zone) and refused until one is chosen.
                zones.insert(0, current)
            field.widget = forms.Select(choices=[(zone, zone) for zone in zones])


@admin.register(Account)
class AccountAdmin(AccountScopedAdmin):
    form = AccountForm
    account_path = "pk"
    list_display = fields = [
        "name",
        "parent",
        "order_prefix",
        "no_rule_policy",
        "overpayment_is_divergence",
        "time_zone",
        "email_decisions",
    ]
    search_fields = ["name"]

    def get_queryset(self, request):
        queryset = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(pk__in=list(account_roles(request.user)))

    def get_list_filter(self, request):
        return []

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return []
        fixed = ["name", "parent", "order_prefix"]
        # Links that decide without a sign-in are the Owner's call; OMS Full sees it, unchangeable.
        if obj is None or not owns(user=request.user, account=obj):
            fixed.append("email_decisions")
        return fixed

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class MembershipForm(forms.ModelForm):
    """Add a team member by e-mail, or change a member's role.

    Managing a team changes memberships, never a user: a person who already has a user is
    added as they are. Only for an e-mail no user has does the form ask, on a second step,
    for the first password of the user it creates (`offers_password`).
    """

    email = forms.EmailField(label=_("E-mail"))
    initial_password = forms.CharField(
        label=_("First password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("No user has this e-mail yet: the password their new user starts with. Tell it to them."),
    )

    class Meta:
        model = Membership
        fields = ["account", "role"]

    @staticmethod
    def offers_password(data) -> bool:
        """Whether the add form asks for a first password: for a posted e-mail no user has yet.

        Also when a password was posted anyway, so that its refusal is shown beside it.
        """
        if not data:
            return False
        email = (data.get("email") or "").strip()
        if data.get("initial_password"):
            return True
        return bool(email) and user_by_email(email=email) is None

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        if self.instance.pk or not self.offers_password(self.data):
            self.fields.pop("initial_password", None)
        if self.instance.pk:
            self.fields.pop("email", None)
            if "account" in self.fields:
                self.fields["account"].disabled = True

    def clean(self):
        cleaned = super().clean()
        account, role = cleaned.get("account"), cleaned.get("role")
        user = self.request.user
        touches_owner = role == Role.OWNER or (self.instance.pk and self.instance.role == Role.OWNER)
        is_owner = user.is_superuser or (account and account_roles(user).get(account.pk) == Role.OWNER)
        if account and touches_owner and not is_owner:
            raise forms.ValidationError(_("Only an Owner of the account may grant or take the Owner role."))
        if not self.instance.pk:
            self._clean_new_member(cleaned)
        return cleaned

    def _clean_new_member(self, cleaned) -> None:
        email, account = cleaned.get("email"), cleaned.get("account")
        if not email:
            return
        existing = user_by_email(email=email)
        password = cleaned.get("initial_password") or None
        if existing is not None:
            if password is not None:
                self.add_error(
                    "initial_password",
                    _("%(email)s already has a user; they keep their own password. Leave this empty.")
                    % {"email": existing.email},
                )
            if account and existing.memberships.filter(account=account).exists():
                self.add_error(
                    "email",
                    _("%(email)s is already a member of %(account)s.")
                    % {"email": existing.email, "account": account},
                )
            return
        if password is None:
            self.add_error(
                "initial_password",
                _("No user has the e-mail %(email)s yet. Give their new user a first password.")
                % {"email": email_normalized(email)},
            )
            return
        try:
            password_validation.validate_password(password, get_user_model()(username=email, email=email))
        except forms.ValidationError as invalid:
            self.add_error("initial_password", invalid)


@admin.register(Membership)
class MembershipAdmin(FormsKnowTheRequest, AccountScopedAdmin):
    form = MembershipForm
    list_display = ["user_email", "account", "role", "added_by_email", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email"]
    list_select_related = ["user", "account", "added_by"]
    actions = ["remove_members"]

    @admin.display(description=_("E-mail"), ordering="user__email")
    def user_email(self, membership):
        return membership.user.email

    @admin.display(description=_("Added by"))
    def added_by_email(self, membership):
        return membership.added_by.email if membership.added_by else "—"

    def get_fields(self, request, obj=None):
        if obj is not None:
            return ["user_email", "account", "role", "added_by_email"]
        if request.method == "POST" and MembershipForm.offers_password(request.POST):
            return ["email", "initial_password", "account", "role"]
        return ["email", "account", "role"]

    def get_readonly_fields(self, request, obj=None):
        # The member's user is shown, never edited, here: it is theirs, not the team's.
        return ["user_email", "added_by_email"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "account":
            kwargs["queryset"] = managed_accounts(request.user, self.opts)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request):
        return request.user.is_superuser or managed_accounts(request.user, self.opts).exists()

    def save_model(self, request, obj, form, change):
        if change:
            membership_set(user=obj.user, account=obj.account, role=obj.role)
            return
        try:
            added = member_add(
                email=form.cleaned_data["email"],
                account=obj.account,
                role=obj.role,
                actor=request.user,
                initial_password=form.cleaned_data.get("initial_password") or None,
            )
        except TeamError as refused:
            # Only when the e-mail was taken between the form's check and the save.
            raise PermissionDenied(refused.message) from None
        obj.pk, obj.user, obj.created_at = added.pk, added.user, added.created_at

    def delete_model(self, request, obj):
        membership_remove(membership=obj)

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        # Removing a member goes through the service, which also updates their role groups.
        actions = super().get_actions(request, action_location)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description=_("Remove the selected members from their account"), permissions=["delete"])
    def remove_members(self, request, queryset):
        removed = 0
        for membership in queryset.select_related("user", "account"):
            if request.user.has_perm(perm_name(self.opts, "delete"), membership):
                membership_remove(membership=membership)
                removed += 1
        messages.success(request, _("Removed %(count)d member(s).") % {"count": removed})


class AccessAttemptAdmin(axes_admin.AccessAttemptAdmin):
    """django-axes' list of failed logins, with its clean-up action working outside a login.

    The action hands the request to axes' database handler, which reads what axes' proxy handler
    sets on the request of a login (`axes_attempt_time` …) before it calls a handler; an admin
    page is no login, so the action has the proxy set them first.
    """

    @admin.action(description=_("Clean up expired attempts"))
    def cleanup_expired_attempts(self, request, queryset):
        AxesProxyHandler.update_request(request)
        return super().cleanup_expired_attempts(request, queryset)


# axes registered its own in its admin module, imported above.
admin.site.unregister(AccessAttempt)
admin.site.register(AccessAttempt, AccessAttemptAdmin)
