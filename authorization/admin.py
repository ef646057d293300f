"""Admin for accounts and their team members."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.contrib.auth import get_user_model

from .admin_base import AccountScopedAdmin, managed_accounts
from .backends import account_roles
from .models import Account, Membership
from .roles import Role
from .services import membership_remove, membership_set, user_upsert

admin.site.site_header = "Order Authorization"
admin.site.site_title = "Order Authorization"
admin.site.index_title = "Orders, rules and connectors"


@admin.register(Account)
class AccountAdmin(AccountScopedAdmin):
    account_path = "pk"
    list_display = [
        "name",
        "parent",
        "order_prefix",
        "no_rule_policy",
        "overpayment_is_divergence",
        "time_zone",
    ]
    search_fields = ["name"]
    fields = ["name", "parent", "order_prefix", "no_rule_policy", "overpayment_is_divergence", "time_zone"]

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
        return ["name", "parent", "order_prefix"]

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class MembershipForm(forms.ModelForm):
    """Add a team member by e-mail; the user is created when the e-mail is new."""

    email = forms.EmailField(label="E-mail")
    initial_password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="For a new user only: their first password. Leave empty for an existing user.",
    )

    class Meta:
        model = Membership
        fields = ["account", "role"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        if self.instance.pk:
            self.fields["email"].initial = self.instance.user.email
            self.fields["email"].disabled = True
            self.fields["initial_password"].disabled = True
            self.fields["account"].disabled = True

    def clean(self):
        cleaned = super().clean()
        account, role = cleaned.get("account"), cleaned.get("role")
        user = self.request.user
        touches_owner = role == Role.OWNER or (self.instance.pk and self.instance.role == Role.OWNER)
        is_owner = user.is_superuser or (account and account_roles(user).get(account.pk) == Role.OWNER)
        if account and touches_owner and not is_owner:
            raise forms.ValidationError("Only an Owner of the account may grant or take the Owner role.")
        email = cleaned.get("email")
        if email and account and not self.instance.pk:
            existing = get_user_model().objects.filter(username=email.lower()).first()
            if existing and existing.memberships.filter(account=account).exists():
                raise forms.ValidationError(f"{email} is already a member of {account}.")
        return cleaned


@admin.register(Membership)
class MembershipAdmin(AccountScopedAdmin):
    form = MembershipForm
    list_display = ["user_email", "account", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email"]
    list_select_related = ["user", "account"]
    actions = ["remove_members"]

    @admin.display(description="E-mail", ordering="user__email")
    def user_email(self, membership):
        return membership.user.email

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)

        class RequestBoundForm(form_class):
            def __new__(cls, *args, **form_kwargs):
                return form_class(*args, request=request, **form_kwargs)

        return RequestBoundForm

    def get_fields(self, request, obj=None):
        return ["email", "initial_password", "account", "role"]

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
        password = form.cleaned_data.get("initial_password") or None
        user = user_upsert(email=form.cleaned_data["email"], password=password)
        created = membership_set(user=user, account=obj.account, role=obj.role)
        obj.pk, obj.user = created.pk, user

    def delete_model(self, request, obj):
        membership_remove(membership=obj)

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        # Removing a member goes through the service, which also updates their role groups.
        actions = super().get_actions(request, action_location)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description="Remove the selected members from their account", permissions=["delete"])
    def remove_members(self, request, queryset):
        removed = 0
        for membership in queryset.select_related("user", "account"):
            if request.user.has_perm("authorization.delete_membership", membership):
                membership_remove(membership=membership)
                removed += 1
        messages.success(request, f"Removed {removed} member(s).")


from . import rule_admin  # noqa: E402,F401
