from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuthorizationConfig(AppConfig):
    name = "authorization"
    verbose_name = _("Order authorization")

    def ready(self):
        from django.contrib import admin

        from accounts.absences import absence_uncovered
        from kit.admin_lists import guard_every_list

        from .selectors import bands_left_without_approver

        # Every app's admin module is imported by now (the admin app comes first, and finds them).
        guard_every_list(admin.site)
        absence_uncovered.connect(
            bands_left_without_approver, dispatch_uid="authorization.bands_left_without_approver"
        )
