"""Admin for connectors: their settings, and credentials that are shown once and never again.

The app token is stored as a digest, so no page can show it: it appears once, in a message,
when the connector is created or its token rotated. The signing secret is write-only.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from accounts.admin_base import AccountScopedAdmin
from accounts.roles import MANAGE_CONNECTORS
from kit.admin_lists import GuardedHistory

from .models import Connector
from .services import connector_create, connector_rotate_token, connector_set_secret

SETTINGS_FIELDS = [
    "name",
    "type",
    "affiliate_id",
    "endpoint",
    "sales_channel",
    "rate_limit",
    "legacy_rate_percent",
    "keep_previous_flow",
    "honour_allowance",
]


class ConnectorForm(forms.ModelForm):
    new_signing_secret = forms.CharField(
        label=_("Signing secret"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_(
            "Every call to the connector is signed under this secret twice: HMAC-SHA256 in "
            "X-Signature-SHA256, and the Standard Webhooks headers (their key: whsec_ and the "
            "secret in base64). Write-only: it is never displayed. Leave empty to keep the current one."
        ),
    )
    remove_signing_secret = forms.BooleanField(
        label=_("Remove the signing secret"), required=False, help_text=_("Send notifications unsigned.")
    )

    class Meta:
        model = Connector
        fields = ["account", *SETTINGS_FIELDS, "active"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("new_signing_secret") and cleaned.get("remove_signing_secret"):
            raise forms.ValidationError(gettext("Either set a new signing secret or remove it, not both."))
        return cleaned


def credentials_message(connector, credentials, what: str):
    """`what` ("Connector created", "New app token") with the credentials, shown this once."""
    return format_html(
        gettext(
            "{what} for {connector}: app key <code>{key}</code>, app token <code>{token}</code>. "
            "Copy the token now: it is stored only as a digest and will not be shown again."
        ),
        what=what,
        connector=connector,
        key=credentials.app_key,
        token=credentials.app_token,
    )


@admin.register(Connector)
class ConnectorAdmin(GuardedHistory, AccountScopedAdmin, SimpleHistoryAdmin):
    form = ConnectorForm
    list_display = ["name", "account", "type", "affiliate_id", "endpoint", "active"]
    list_filter = ["type", "active"]
    search_fields = ["name", "affiliate_id", "app_key"]
    list_select_related = ["account"]

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            credentials = ["new_signing_secret"]
        else:
            credentials = [
                "app_key",
                "app_token",
                "signing_secret_status",
                "new_signing_secret",
                "remove_signing_secret",
            ]
        return [
            (
                None,
                {
                    "fields": [
                        "account",
                        "name",
                        "type",
                        "affiliate_id",
                        "endpoint",
                        "sales_channel",
                        "rate_limit",
                        "active",
                    ]
                },
            ),
            (_("Credentials"), {"fields": credentials}),
            (_("Divergence"), {"fields": ["honour_allowance", "legacy_rate_percent", "keep_previous_flow"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = ["app_key", "app_token", "signing_secret_status"]
        if obj is not None:
            # A connector posts into one account for good; its orders stay there.
            readonly.append("account")
        return readonly

    @admin.display(description=_("App token"))
    def app_token(self, connector):
        return gettext(
            "Stored only as a digest: shown once, when the connector is created or its token rotated."
        )

    @admin.display(description=_("Signing secret"))
    def signing_secret_status(self, connector):
        if not connector.has_secret:
            return gettext("Not set: notifications are sent unsigned.")
        return gettext("Set (never displayed).")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        connector = self.get_object(request, object_id)
        extra_context = {
            **(extra_context or {}),
            "may_rotate_token": connector is not None and self._may_manage(request, connector),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def save_form(self, request, form, change):
        if change:
            return super().save_form(request, form, change)
        form.save(commit=False)
        data = form.cleaned_data
        connector, credentials = connector_create(
            account=data["account"],
            **{name: data[name] for name in SETTINGS_FIELDS},
            secret=data.get("new_signing_secret") or "",
        )
        if not data["active"]:
            connector.active = False
            connector.save(update_fields=["active"])
        messages.warning(request, credentials_message(connector, credentials, gettext("Connector created")))
        return connector

    def save_model(self, request, obj, form, change):
        if not change:
            return  # Saved by connector_create in save_form.
        super().save_model(request, obj, form, change)
        if form.cleaned_data.get("remove_signing_secret"):
            connector_set_secret(connector=obj, secret="")
        elif form.cleaned_data.get("new_signing_secret"):
            connector_set_secret(connector=obj, secret=form.cleaned_data["new_signing_secret"])

    def get_urls(self):
        return [
            path(
                "<int:object_id>/rotate-token/",
                self.admin_site.admin_view(self.rotate_token_view),
                name="connectors_connector_rotate_token",
            ),
            *super().get_urls(),
        ]

    def _may_manage(self, request, connector) -> bool:
        return request.user.has_perm(MANAGE_CONNECTORS, connector)

    def rotate_token_view(self, request, object_id):
        """Ask for confirmation, then issue a new app token and show it once."""
        connector = get_object_or_404(self.get_queryset(request), pk=object_id)
        if not self._may_manage(request, connector):
            raise PermissionDenied
        change_url = reverse("admin:connectors_connector_change", args=[connector.pk])
        if request.method == "POST":
            credentials = connector_rotate_token(connector=connector)
            self.log_change(request, connector, "Rotated the app token.")
            messages.warning(request, credentials_message(connector, credentials, gettext("New app token")))
            return redirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Rotate the app token of %(connector)s?") % {"connector": connector},
            "opts": self.opts,
            "original": connector,
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/connectors/connector/rotate_token.html", context)


from . import feed_admin, notification_admin  # noqa: E402,F401
