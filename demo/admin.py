"""What the demo connector received, read-only: for the site's superusers and the demo account's members.

Not one of the role table's models (`accounts/roles.py`): the demo is no part of a seller's
account, so whoever belongs to the demo account reads it, whatever their role.
"""

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.utils.translation import gettext_lazy as _

from accounts.admin_base import ReadOnlyAccountAdmin
from accounts.backends import account_roles
from accounts.models import Account
from kit.admin_display import pretty_json

from .models import ReceivedCall
from .names import ACCOUNT


@admin.register(ReceivedCall)
class ReceivedCallAdmin(ReadOnlyAccountAdmin):
    list_display = ["received_at", "kind", "code", "order", "signature_valid", "attempt"]
    list_filter = ["kind", "signature_valid"]
    search_fields = ["^order", "^code"]
    search_help_text = _("Order or code (beginning).")
    fieldsets = [
        (None, {"fields": [("received_at", "kind"), ("code", "order"), ("signature_valid", "attempt")]}),
        (_("Request"), {"fields": ["path", "idempotency_key", "body_pretty"]}),
    ]
    readonly_fields = flatten_fieldsets(fieldsets)

    @admin.display(description=_("body"))
    def body_pretty(self, call):
        return pretty_json(call.body)

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_view_permission(self, request, obj=None):
        user = request.user
        if not user.is_active:
            return False
        if user.is_superuser:
            return True
        if obj is not None:
            return obj.account_id in account_roles(user)
        if (
            not settings.DEMO_RECEIVER
        ):  # no receiver on this site: no module to offer, and no query on every page
            return False
        if not hasattr(request, "_demo_member"):
            request._demo_member = Account.objects.filter(
                name=ACCOUNT, pk__in=list(account_roles(user))
            ).exists()
        return request._demo_member
